"""The consistency check run after every race and every injected fault: what a visitor and
the next publish would find on the target."""

from __future__ import annotations

import json
import posixpath
import re

from assetpub.publish.lock import LOCK_KEY
from assetpub.publish.record import CURRENT_KEY, DEPLOYS_PREFIX, JOURNAL_KEY
from tests.publish.conftest import record_json

FINGERPRINTED = re.compile(r"[A-Za-z0-9_./-]+\.[0-9a-f]{12}\.[A-Za-z0-9]+")


def problems(backend) -> list[str]:
    """Everything wrong with the target (empty when consistent): no lock or journal left;
    a live record whose every object is present, whose manifest is the live manifest, whose
    pages and stylesheets reference only present files; every stored record live or in the
    live record's history."""
    out = []
    keys = backend.keys()
    for leftover in (LOCK_KEY, JOURNAL_KEY):
        if leftover in keys:
            out.append(f"{leftover} left behind")
    data = backend.read(CURRENT_KEY)
    if data is None:
        return out + ["no live record"]
    record = record_json(data)
    missing = sorted(set(record["objects"]) - keys)
    if missing:
        out.append(f"live record lists missing objects: {missing[:5]}")
    manifest = backend.read("assetpub-manifest.json")
    if manifest is None or json.loads(manifest) != record["manifest"]:
        out.append("the live manifest is not the live record's")
    basenames = {posixpath.basename(k) for k in keys}
    for key, entry in record["objects"].items():
        if entry.get("fingerprinted") or entry.get("content_encoding") or key not in keys:
            continue
        if entry["content_type"].split(";")[0] in ("text/html", "text/css", "text/javascript"):
            text = backend.read(key).decode("utf-8", "replace")
            for ref in set(FINGERPRINTED.findall(text)):
                if posixpath.basename(ref) not in basenames:
                    out.append(f"{key} references {ref}, which is not on the target")
    stored = {k[len(DEPLOYS_PREFIX) : -len(".json")] for k in keys if k.startswith(DEPLOYS_PREFIX)}
    known = {record["id"]} | {h["id"] for h in record.get("history", [])}
    if record["id"] not in stored:
        out.append(f"no stored record of the live deploy {record['id']}")
    if stored - known:
        out.append(f"stored records in no history: {sorted(stored - known)}")
    return out
