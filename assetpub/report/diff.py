"""What changed between two builds or deploys: added, removed and changed files with byte
deltas, and for each change what it cascaded to.

A file *cascades* when its fingerprint (and bytes) changed only because something it
references changed: with every fingerprint and SRI hash of either build masked, its old
and new bytes are equal. Its `because` lists the changed files it references; each
change lists in `cascaded_to` every file that changed only because of it (transitively).
When the bytes of either side cannot be read, the cause is "unknown"; binary files
(images, fonts) reference nothing, so their cause is always "content".
"""

from __future__ import annotations

import re
from typing import Any

from .. import media_types
from ..budgets import sizes
from ..manifest import Entry
from .snapshot import Snapshot

_FINGERPRINT = re.compile(rb"\.([0-9a-f]{12})(?=\.)")
_SRI = re.compile(rb"sha(?:256|384|512)-[A-Za-z0-9+/]+=*")


def _fingerprint(entry: Entry) -> str | None:
    if not entry.fingerprinted:
        return None
    m = _FINGERPRINT.search(entry.path.rsplit("/", 1)[-1].encode("utf-8", "surrogateescape"))
    return m[1].decode("ascii") if m else None


def _is_text(name: str) -> bool:
    return media_types.kind(name) != "other" or media_types.is_compressible(name)


def diff(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    """{against, added, removed, changed, totals} from `old` to `new` (see the module doc)."""
    a, b = old.entries, new.entries
    changes: list[dict[str, Any]] = []
    for name in sorted(set(a) | set(b)):
        before, after = a.get(name), b.get(name)
        if before is not None and after is not None and (
            before.integrity == after.integrity and before.path == after.path
        ):
            continue
        s0 = sizes(before) if before else {"raw": 0, "gz": 0, "br": 0}
        s1 = sizes(after) if after else {"raw": 0, "gz": 0, "br": 0}
        changes.append({
            "name": name,
            "status": "added" if before is None else "removed" if after is None else "changed",
            "old_path": before and before.path,
            "new_path": after and after.path,
            "raw": s1["raw"], "br": s1["br"], "gz": s1["gz"],
            "delta_raw": s1["raw"] - s0["raw"], "delta_gz": s1["gz"] - s0["gz"], "delta_br": s1["br"] - s0["br"],
            "cause": "content", "because": [], "cascaded_to": [],
        })
    _causes(changes, old, new)
    totals = {k: sum(c[k] for c in changes) for k in ("delta_raw", "delta_gz", "delta_br")}
    counts = {s: sum(1 for c in changes if c["status"] == s) for s in ("added", "removed", "changed")}
    cascaded = sum(1 for c in changes if c["cause"] == "references")
    return {"against": old.label, "changes": changes, "totals": {**totals, **counts, "cascaded": cascaded}}


def _causes(changes: list[dict[str, Any]], old: Snapshot, new: Snapshot) -> None:
    """Set cause/because/cascaded_to of the changed files (see the module doc)."""
    by_name = {c["name"]: c for c in changes}
    # a fingerprint of either build -> the changed file it names
    fingerprints: dict[bytes, str] = {}
    known_fp: set[bytes] = set()
    known_sri: set[bytes] = set()
    for entries in (old.entries, new.entries):
        for name, entry in entries.items():
            fp = _fingerprint(entry)
            if fp:
                known_fp.add(fp.encode())
                if name in by_name:
                    fingerprints[fp.encode()] = name
            known_sri.add(entry.integrity.encode())

    def mask(data: bytes) -> bytes:
        data = _FINGERPRINT.sub(lambda m: b"." if m[1] in known_fp else m[0], data)
        return _SRI.sub(lambda m: b"sha-" if m[0] in known_sri else m[0], data)

    def refs(data: bytes, name: str) -> set[str]:
        found = {fingerprints.get(m[1]) for m in _FINGERPRINT.finditer(data)}
        return {n for n in found if n and n != name}

    for change in changes:
        if change["status"] != "changed" or not _is_text(change["name"]):
            continue
        before, after = old.read(change["old_path"]), new.read(change["new_path"])
        if before is None or after is None:
            change["cause"] = "unknown"
            continue
        if mask(before) == mask(after):
            change["cause"] = "references"
            change["because"] = sorted(refs(before, change["name"]) | refs(after, change["name"]))
    # each change -> the files that changed only because of it, transitively
    dependants: dict[str, set[str]] = {}
    for change in changes:
        if change["cause"] == "references":
            for ref in change["because"]:
                dependants.setdefault(ref, set()).add(change["name"])
    for change in changes:
        seen: set[str] = set()
        todo = [change["name"]]
        while todo:
            for dependant in dependants.get(todo.pop(), ()):
                if dependant not in seen and dependant != change["name"]:
                    seen.add(dependant)
                    todo.append(dependant)
        change["cascaded_to"] = sorted(seen)
