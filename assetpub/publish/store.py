"""Reading deploy records from a target: the live one conditionally, against a copy kept in
the build directory, and the stored ones for retention, `deploys` and rollback.

A publish keeps the last `current.json` it read or wrote for a target, and the stored
records retention read, with the version the target gave each (S3: the ETag; a
directory: the content's SHA-256), in

    BUILD/.assetpub/records/<sha256 of the target URL>/current.json    one header line,
    BUILD/.assetpub/records/<sha256 of the target URL>/deploys/<ID>    then the bytes

and asks the target for a record only if it changed (S3 `If-None-Match`: a 304 has no
body). The copy is used only when the target says it still holds that very version; a
missing, torn or foreign copy is ignored (one full GET). See docs/publishing.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..output import copy_atomic, write_atomic
from ..safe_path import id_problem
from .errors import PublishError
from .record import CURRENT_KEY, DEPLOYS_PREFIX, DeployRecord, UnreadableRecord, deploy_key
from .record_parts import LazyObjects, check
from .state import RESERVED
from .target import Target

log = logging.getLogger(__name__)
CACHE_DIR = ".assetpub/records"
CACHE_FORMAT = "assetpub-record-copy"


@dataclass(frozen=True)
class Live:
    """The live record as read (None on a target never published to) and its version."""

    record: DeployRecord | None
    version: str | None = None


class LocalCopies:
    """The last live record read or written per target, under BUILD/.assetpub/records/."""

    def __init__(self, build_dir: str | Path):
        self.root = Path(build_dir) / CACHE_DIR

    def folder(self, url: str) -> Path:
        """Where the copies for the target `url` live (and unchanged.py's proof)."""
        return self.root / hashlib.sha256(url.encode("utf-8")).hexdigest()

    def _path(self, url: str, key: str) -> Path:
        """Where the copy of `key` (current.json, or deploys/<ID>.json with a checked id) lives."""
        return self.folder(url) / key[len(RESERVED) :]

    def load(self, url: str, key: str = CURRENT_KEY) -> tuple[bytes, str] | None:
        """(bytes, version) kept for `key` of `url`, or None (absent, torn, or for another target)."""
        try:
            raw = self._path(url, key).read_bytes()
            head, _, data = raw.partition(b"\n")
            meta = json.loads(head)
            if (
                meta.get("format") != CACHE_FORMAT
                or meta.get("url") != url
                or meta.get("key") != key
                or not isinstance(meta.get("version"), str)
                or meta.get("sha256") != hashlib.sha256(data).hexdigest()
            ):
                return None
        except (OSError, ValueError, AttributeError):
            return None
        return data, meta["version"]

    def save(self, url: str, data: bytes, version: str, key: str = CURRENT_KEY) -> None:
        """Remember the bytes; a build directory that cannot be written only costs a full GET next time."""
        if not version:
            return
        meta = {
            "format": CACHE_FORMAT,
            "url": url,
            "key": key,
            "version": version,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        try:
            write_atomic(self._path(url, key), json.dumps(meta, sort_keys=True).encode() + b"\n" + data)
        except OSError as e:
            log.debug("cannot keep a copy of %s: %s", key, e)

    def keep_only(self, url: str, ids: list[str]) -> None:
        """Forget the copies of stored records that are no longer on the target."""
        folder = self._path(url, deploy_key("x")).parent
        wanted = {deploy_key(i).rsplit("/", 1)[1] for i in ids}
        try:
            for path in folder.iterdir():
                if path.name not in wanted:
                    path.unlink(missing_ok=True)
        except OSError:
            pass

    def objects(self, url: str) -> Path:
        """Plain copies of content-addressed objects (`objects/<sha256>.json`: manifests)."""
        return self.folder(url) / "objects"

    def keep_file(self, url: str, sha256: str, path: str) -> None:
        """Keep a copy of the file `path` (this build's manifest, just published and
        stashed) as the object `sha256`. Not a hard link: a link moves the file's ctime,
        and with it the no-op proof's digest of the build directory (unchanged.py)."""
        dest = self.objects(url) / f"{sha256}.json"
        if dest.exists():
            return
        try:
            copy_atomic(path, dest)
        except OSError as e:
            log.debug("cannot keep a copy of %s: %s", path, e)

    def keep_objects(self, url: str, keys: set[str]) -> None:
        """Forget the copies of content-addressed objects (parts, manifests) not in `keys`."""
        wanted = {k.rsplit("/", 1)[-1] for k in keys}
        try:
            for path in self.objects(url).iterdir():
                if path.name.removesuffix(".json") not in wanted:
                    path.unlink(missing_ok=True)
        except OSError:
            pass

    def read(self, target: Target, key: str) -> tuple[bytes | None, str | None]:
        """(bytes, version) of key on the target, from the copy when the target confirms it
        (a 304); (None, None) when there is no such object."""
        kept = self.load(target.url, key)
        found = target.read_if_changed(key, kept[1] if kept else None)
        if found is None:
            return None, None
        data, version = found
        if data is None:
            assert kept is not None
            return kept[0], version
        self.save(target.url, data, version, key)
        return data, version


class Parts:
    """The `fetch` of format-3 records (record_parts.py): content-addressed objects under
    `_assetpub/objects/`, from the local copies when they hold them (a part's name is the
    SHA-256 of its bytes: a copy that matches never needs asking), else from the target
    (16 at a time), kept for next time. A manifest is also found as the build directory's
    own `assetpub-manifest.json` when that is the one named."""

    def __init__(self, target: Target, copies: LocalCopies | None = None):
        self.target, self.copies = target, copies

    def __call__(self, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        todo = []
        for key in keys:
            data = self._local(key)
            if data is not None:
                found[key] = data
            else:
                todo.append(key)
        if todo:
            with ThreadPoolExecutor(max_workers=16) as pool:
                for key, data in zip(todo, pool.map(self.target.get, todo), strict=True):
                    if data is not None:
                        found[key] = data
                        if self.copies is not None and check(key, data):
                            self.copies.save(self.target.url, data, key.rsplit("/", 1)[-1], key)
        return found

    def _local(self, key: str) -> bytes | None:
        if self.copies is None:
            return None
        kept = self.copies.load(self.target.url, key)
        if kept is not None and check(key, kept[0]):
            return kept[0]
        sha = key.rsplit("/", 1)[-1]
        own = self.copies.root.parent.parent / "assetpub-manifest.json"  # BUILD/.assetpub/records -> BUILD
        for path in (self.copies.objects(self.target.url) / f"{sha}.json", own):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if check(key, data):
                return data
        return None


def read_live(
    target: Target,
    *,
    verify: bool = False,
    copies: LocalCopies | None = None,
    known: Live | None = None,
) -> Live:
    """The live deploy record, asked for only if it is not the version `known` (a record
    read earlier in this run) or the local copy holds: one request, a 304 on no change.

    With `verify` an unreadable record counts as none: --verify lists the target instead
    and writes a good record (the error message advises it)."""
    if known is not None and known.version:
        found = target.read_if_changed(CURRENT_KEY, known.version)
        if found is not None and found[0] is None:
            return known  # not modified: the record parsed earlier in this run
        data, version = found if found is not None else (None, None)
    elif copies is not None:
        data, version = copies.read(target, CURRENT_KEY)
    else:
        found = target.read_if_changed(CURRENT_KEY, None)
        data, version = found if found is not None else (None, None)
    if data is None:
        return Live(None)
    return Live(parse_current(target, data, verify=verify, copies=copies), version)


def parse_current(
    target: Target, data: bytes, *, verify: bool = False, copies: LocalCopies | None = None
) -> DeployRecord | None:
    """The live record; with `verify`, its parts are read at once (an unreadable one makes
    the record count as none: --verify writes a good one)."""
    try:
        record = DeployRecord.from_json(data, where=f"{target.url}/{CURRENT_KEY}", fetch=Parts(target, copies))
        if verify and isinstance(record.objects, LazyObjects):
            record.objects.load()
        return record
    except UnreadableRecord as e:  # not one of a newer version: that one is never overwritten
        if not verify:
            if "--verify" in str(e):
                raise
            raise UnreadableRecord(f"{e}; `publish --verify` rebuilds the record from the target") from None
        log.warning("%s; --verify replaces it", e)
        return None


def read_current(target: Target, *, verify: bool = False) -> DeployRecord | None:
    """The live deploy record (one GET), or None on a target never published to."""
    return read_live(target, verify=verify).record


def stored_ids(target: Target, current: DeployRecord | None) -> list[str]:
    """Ids of the stored deploy records that were live, newest first, the live one excluded:
    records newer than the live one are left out (a publish killed between writing its
    record and current.json left it; it never went live, the next publish removes it)."""
    ids = sorted(
        (k[len(DEPLOYS_PREFIX) : -len(".json")] for k, _ in target.listing(DEPLOYS_PREFIX) if k.endswith(".json")),
        reverse=True,
    )
    return [i for i in ids if (current is None or i < current.id) and id_problem(i) is None]


def read_record(target: Target, deploy_id: str, copies: LocalCopies | None = None) -> DeployRecord | None:
    """The stored record of `deploy_id` (None if absent); PublishError if it is unreadable
    or holds another deploy. With `copies`, a conditional read against the local copy."""
    key = deploy_key(deploy_id)
    data = copies.read(target, key)[0] if copies is not None else target.get(key)
    if data is None:
        return None
    record = DeployRecord.from_json(data, where=f"{target.url}/{key}", fetch=Parts(target, copies))
    if record.id != deploy_id:
        raise UnreadableRecord(f"{target.url}/{key}: holds deploy {record.id}, not {deploy_id}")
    return record


def read_records(target: Target, current: DeployRecord | None, copies: LocalCopies | None = None) -> list[DeployRecord]:
    """Every stored deploy record that was live, newest first (current first). Unreadable
    ones are skipped with a warning. With `copies`, each is a conditional read (records
    are immutable: a 304 but for the first time), and copies of records gone are dropped."""
    ids = stored_ids(target, current)
    others = read_records_by_id(target, ids, copies)
    if copies is not None:
        copies.keep_only(target.url, ids + ([current.id] if current is not None else []))
    records = ([current] if current is not None else []) + others
    return sorted(records, key=lambda r: r.id, reverse=True)


def deploy_summaries(target: Target) -> list[dict[str, Any]]:
    """`assetpub deploys`: every stored deploy, newest first (id, time, tool, objects, bytes,
    live). The live record's history already summarises earlier deploys: a stored record
    is read whole only when the history does not hold it (older than its 50 entries, or
    written before format 2 put the tool there). Two requests in the usual case."""
    current = read_current(target)
    if current is None:
        return [{**r.summary(), "live": False} for r in read_records(target, None)]
    known = {h.id: h for h in current.history if h.tool is not None}
    rows = [{**current.summary(), "live": True}]
    missing = []
    for deploy_id in stored_ids(target, current):
        if deploy_id in known:
            rows.append({**known[deploy_id].to_dict(), "live": False})
        else:
            missing.append(deploy_id)
    if missing:
        for record in read_records_by_id(target, missing):
            rows.append({**record.summary(), "live": False})
    return sorted(rows, key=lambda r: r["id"], reverse=True)


def read_records_by_id(target: Target, ids: list[str], copies: LocalCopies | None = None) -> list[DeployRecord]:
    """The readable ones of these stored records, in the same order (8 GETs at a time);
    a format-3 record's parts are read too (its readers need its objects), so one with a
    part gone is skipped like any unreadable record."""

    def load(deploy_id: str) -> DeployRecord | None:
        try:
            record = read_record(target, deploy_id, copies)
            if record is not None and isinstance(record.objects, LazyObjects):
                record.objects.load()
            return record
        except PublishError as e:
            log.warning("%s (ignored)", e)
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [r for r in pool.map(load, ids) if r is not None]
