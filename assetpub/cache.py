"""The build cache in OUT/.assetpub/cache.json: safe to delete, never trusted blindly.

Two tables:
* `sources`: source path -> [size, mtime_ns, ctime_ns, inode, device, sha256] so an
  unchanged file is only stat()ed, plus `scans`: sha256 -> references found in that
  content, so an unchanged file is not re-scanned even when its stat changed (a fresh
  checkout). A file with more than pipeline.MANY_REFS references is kept in its capped
  form (the first of each distinct reference, and their number), or not at all when
  even that is more than MAX_SCAN_REFS rows. A file that had not settled when the build began (assetpub/stamps.py: a
  write in the same clock tick would go unseen) is kept in `scans` only, not `sources`.
* `products`: logical name -> {digest, entry, files: {path: [size, mtime_ns]}}: the
  manifest entry built for that fingerprint, valid only while every output file it
  names still has the recorded size and mtime (so an edited, truncated or deleted
  output is rebuilt).

The file carries a format version, the pipeline id and the scanners' revision
(compilers.REVISION): anything that does not parse or was written by another format is
discarded whole; scans of another revision and products of another pipeline are dropped.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from . import json_file
from .compilers import REVISION
from .output import STATE_DIR
from .safe_path import is_safe_key
from .stamps import Reference, remembered, stamp

log = logging.getLogger(__name__)

FORMAT = 1
CACHE_NAME = f"{STATE_DIR}/cache.json"


MAX_SCAN_REFS = 20_000


class BuildCache:
    def __init__(self, out: Path, pipeline: str):
        self.path = out / CACHE_NAME
        self.pipeline = pipeline
        self.sources: dict[str, list] = {}
        self.scans: dict[str, list] = {}
        self.products: dict[str, dict[str, Any]] = {}
        self.discarded: str | None = None
        self._digest: str | None = None  # of the file as read: a save that changes nothing writes nothing
        self._dirty = False  # anything remembered or forgotten since it was read
        self._load()

    def _load(self) -> None:
        try:
            data, self._digest = json_file.read(self.path)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as e:
            self.discarded = f"unreadable ({e.__class__.__name__})"
            return
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            self.discarded = "unknown format"
            return
        if not all(isinstance(data.get(k), dict) for k in ("sources", "scans", "products")):
            self.discarded = "malformed"
            return
        self.sources = data["sources"]
        # scans depend on the scanners' revision only, products on the whole pipeline
        if data.get("scanners") == REVISION:
            self.scans = data["scans"]
        if data.get("pipeline") == self.pipeline:
            self.products = data["products"]
        self._dirty = data.get("scanners") != REVISION or data.get("pipeline") != self.pipeline

    # -- sources -------------------------------------------------------------
    def source_sha(self, path: str, st: os.stat_result) -> str | None:
        return remembered(self.sources.get(path), st)

    def reference(self) -> Reference:
        """Take before reading any source: a marker in OUT/.assetpub when that exists (a
        cold build must not create the output directory before it succeeds)."""
        state = self.path.parent
        return Reference(state if state.is_dir() else None)

    def remember_source(self, path: str, st: os.stat_result, sha: str, reference: Reference) -> None:
        self._dirty = True
        if reference.settled(st):
            self.sources[path] = [*stamp(st), sha]
        else:
            self.sources.pop(path, None)

    def forget_source(self, path: str) -> None:
        """The file is not what its stat entry says (it changed while being built)."""
        self._dirty = True
        self.sources.pop(path, None)

    def scan(self, key: str) -> tuple[list, list, int] | None:
        """(refs, notes, many) recorded for content `key` ("kind:sha256"), if well-formed.
        `many` is pipeline.Scan.many: 0, or the file's number of references when the rows
        are the first of each distinct one (stored as a third item, only then)."""
        value = self.scans.get(key)
        if not isinstance(value, list) or len(value) not in (2, 3) or not all(isinstance(v, list) for v in value[:2]):
            return None
        many = value[2] if len(value) == 3 else 0
        if type(many) is not int or many < 0 or (len(value) == 3 and many == 0):
            return None
        return value[0], value[1], many

    def remember_scan(self, key: str, value: list, *, many: int = 0) -> None:
        """Kept unless it has more rows than MAX_SCAN_REFS: a generated file with millions
        of distinct url() would bloat the cache for every later build; it is scanned
        again instead. (Millions of the same few are kept as those few: `many`.)"""
        if len(value[0]) <= MAX_SCAN_REFS:
            self._dirty = True
            self.scans[key] = [*value, many] if many else value

    # -- products --------------------------------------------------------------
    def product(self, name: str, digest: str, out: Path) -> dict[str, Any] | None:
        """The cached product ({path, integrity, size, encodings}) for (name, digest), if every
        output file it names is still as recorded."""
        cached = self.products.get(name)
        if not isinstance(cached, dict) or cached.get("digest") != digest:
            return None
        entry, files = cached.get("entry"), cached.get("files")
        if not isinstance(entry, dict) or not isinstance(files, dict) or not files:
            return None
        encodings = entry.get("encodings", {})
        if not isinstance(encodings, dict) or not all(isinstance(v, dict) for v in encodings.values()):
            return None
        expected = {entry.get("path")} | {v.get("path") for v in encodings.values()}
        if set(files) != expected or not all(is_safe_key(rel) for rel in files):
            return None  # a tampered cache never puts a path outside OUT into the manifest
        root = os.fspath(out)
        for rel, recorded in files.items():
            try:
                st = os.stat(os.path.join(root, rel))
            except OSError:
                return None
            if [st.st_size, st.st_mtime_ns] != recorded:
                return None
        return entry

    def remember_product(self, name: str, digest: str, entry: dict[str, Any], out: Path) -> None:
        """Record a product whose files are on disk now (their size and mtime are taken)."""
        files = {}
        for rel in [entry["path"], *(v["path"] for v in entry.get("encodings", {}).values())]:
            st = (out / rel).stat()
            files[rel] = [st.st_size, st.st_mtime_ns]
        self._dirty = True
        self.products[name] = {"digest": digest, "entry": entry, "files": files}

    def release(self) -> None:
        """Let go of the tables once saved (a large build's memory); the cache is then empty."""
        self.sources, self.scans, self.products = {}, {}, {}

    def save(self, *, live_sources: set[str], live_scans: set[str], live_names: set[str]) -> None:
        """Write the cache, keeping only what the build that just ran used."""
        if (
            self._digest is not None
            and not self._dirty
            and self.discarded is None
            and live_sources.issuperset(self.sources)
            and live_scans.issuperset(self.scans)
            and live_names.issuperset(self.products)
        ):
            return  # as read, nothing to drop: not even serialised again
        data = {
            "format": FORMAT,
            "pipeline": self.pipeline,
            "scanners": REVISION,
            "sources": {p: e for p, e in sorted(self.sources.items()) if p in live_sources},
            "scans": {k: v for k, v in sorted(self.scans.items()) if k in live_scans},
            "products": {n: e for n, e in sorted(self.products.items()) if n in live_names},
        }
        # streamed; a no-op build writes nothing (and works on a read-only output)
        self._digest = json_file.write(self.path, data, unless=self._digest)
