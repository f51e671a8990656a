"""Format 3 of the deploy record: its objects in content-addressed parts, its manifest by
reference, so that a deploy that changes a few files writes a few small parts, not a
record as large as the site (docs/publishing.md, "Record parts").

A format-3 record (`current.json`, `deploys/<ID>.json`) holds the id, time, tool, prefix,
history, the number of objects and their bytes, and the SHA-256 of each part. A part is
`_assetpub/objects/<sha256 of its bytes>`: gzip'd compact JSON {key: entry} of the
objects whose key (without a `.br`/`.gz` suffix, so a file and its variants share one)
hashes to it. The number of parts is a power of two, about one per PART_OBJECTS objects:
an edit of a few assets changes a few parts; every other part keeps its bytes, so its
name, and is not written again. Nothing chains: each record names every part it needs,
so every reader (publish, retention, rollback, `deploys`, --verify, deploy's reuse)
reads one record and its parts, and a rollback writes a record naming the parts the
earlier deploy had.

The manifest is not copied into the record: it is the record's `assetpub-manifest.json`
object, whose bytes publish already stashes at `_assetpub/objects/<sha256>` for rollback.

Parts and the manifest are read only when needed (LazyObjects, LazyManifest: `deploys`
reads the record alone), through a `fetch` that the store gives (store.Parts: local
copies first, the target next, every one checked against the SHA-256 that names it). A
part that is gone or damaged is one line naming it and saying that `publish --verify`
writes a good record.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .record_schema import UnreadableRecord, parse_manifest, parse_objects
from .state import RESERVED, RemoteObject

PART_PREFIX = RESERVED + "objects/"  # the rollback stash's room: content-addressed, retention prunes both
PART_OBJECTS = 512  # objects per part, about: a part is ≈10–25 KB gzip'd
MANIFEST_KEY = "assetpub-manifest.json"

Fetch = Callable[[list[str]], dict[str, bytes]]  # keys -> bytes (checked against the hash naming each)


def part_key(sha256: str) -> str:
    return PART_PREFIX + sha256


def part_count(objects: int) -> int:
    count = 1
    while count * PART_OBJECTS < objects:
        count *= 2
    return count


def part_of(key: str, count: int) -> int:
    """Which part lists `key`: a file and its `.br`/`.gz` variants land in the same one."""
    base = key[:-3] if key.endswith((".br", ".gz")) else key
    return int.from_bytes(hashlib.sha256(base.encode("utf-8")).digest()[:4], "big") % count


def split(objects: Mapping[str, RemoteObject]) -> dict[str, bytes]:
    """{sha256: bytes} of the parts that list `objects` (deterministic: the same objects give
    the same parts, byte for byte)."""
    count = part_count(len(objects))
    tables: list[dict[str, Any]] = [{} for _ in range(count)]
    for key in sorted(objects):
        tables[part_of(key, count)][key] = objects[key].entry()
    out = {}
    for table in tables:
        text = json.dumps(table, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        data = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
        out[hashlib.sha256(data).hexdigest()] = data
    return out


def check(key: str, data: bytes) -> bool:
    """Do these bytes have the SHA-256 that names `key`?"""
    return hashlib.sha256(data).hexdigest() == key.rsplit("/", 1)[-1]


class LazyObjects(Mapping[str, RemoteObject]):
    """A format-3 record's objects, read from its parts on first use (then kept)."""

    def __init__(self, parts: tuple[str, ...], count: int, size: int, fetch: Fetch | None, where: str):
        self.parts, self.count, self.size, self._fetch, self._where = parts, count, size, fetch, where
        self._objects: dict[str, RemoteObject] | None = None
        self._lock = threading.Lock()

    def load(self) -> dict[str, RemoteObject]:
        with self._lock:
            if self._objects is None:
                self._objects = self._read()
            return self._objects

    @property
    def loaded(self) -> bool:
        return self._objects is not None

    def _read(self) -> dict[str, RemoteObject]:
        from .record import decode

        keys = [part_key(sha) for sha in self.parts]
        found = fetch_all(self._fetch, keys, self._where)
        objects: dict[str, RemoteObject] = {}
        for key in keys:
            where = f"{self._where}: part {key}"
            try:
                raw = json.loads(decode(found[key], where=where))
            except ValueError as e:
                raise UnreadableRecord(f"{where} is not valid JSON ({e}); publish again with --verify") from None
            objects.update(parse_objects(raw, where=where))
        if len(objects) != self.count:
            raise UnreadableRecord(
                f"{self._where}: its parts list {len(objects)} objects, not {self.count}; publish again with --verify"
            )
        return objects

    def __getitem__(self, key: str) -> RemoteObject:
        return self.load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.load())

    def __len__(self) -> int:
        return self.count

    def __contains__(self, key: object) -> bool:
        return key in self.load()


class LazyManifest(Mapping[str, Any]):
    """A format-3 record's manifest: the bytes of its `assetpub-manifest.json` object, read
    from the stash (`_assetpub/objects/<sha256>`) on first use."""

    def __init__(self, objects: LazyObjects, fetch: Fetch | None, where: str):
        self._objects, self._fetch, self._where = objects, fetch, where
        self._manifest: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def load(self) -> dict[str, Any]:
        with self._lock:
            if self._manifest is None:
                self._manifest = self._read()
            return self._manifest

    def _read(self) -> dict[str, Any]:
        entry = self._objects.get(MANIFEST_KEY)
        if entry is None or entry.sha256 is None:
            return {}
        key = part_key(entry.sha256)
        data = fetch_all(self._fetch, [key], self._where)[key]
        try:
            raw = json.loads(data)
        except ValueError as e:
            raise UnreadableRecord(f"{self._where}: manifest {key} is not valid JSON ({e})") from None
        return parse_manifest(raw, where=f"{self._where}: manifest {key}")

    def __getitem__(self, key: str) -> Any:
        return self.load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.load())

    def __len__(self) -> int:
        return len(self.load())


def fetch_all(fetch: Fetch | None, keys: list[str], where: str) -> dict[str, bytes]:
    if fetch is None:
        raise UnreadableRecord(f"{where}: a format-3 record read without access to its parts")
    found = fetch(keys)
    for key in keys:
        data = found.get(key)
        if data is None:
            raise UnreadableRecord(f"{where}: {key} is missing; publish again with --verify to write a good record")
        if not check(key, data):
            raise UnreadableRecord(f"{where}: {key} does not hold the bytes its name says; publish again with --verify")
    return found
