"""The deploy record: what one publish made live, stored in the target under `_assetpub/`.

    _assetpub/current.json          the live deploy's record (+ a short history of earlier ones)
    _assetpub/deploys/<ID>.json     every deploy's record, kept for `deploys`, retention and rollback
    _assetpub/journal.json          keys a publish is about to write; present only while one runs
                                    (or after one was killed): the next run checks those keys

A record is sorted JSON: id, time, tool, prefix, the manifest, and every object it
published ({key: {sha256, size, content_type, cache_control, content_encoding?,
fingerprinted}}). `history` lists earlier deploys newest first (id, time, tool, objects,
bytes) so `assetpub deploys` and pruning know them from the one GET of current.json.

Stored as format 3: compact JSON, gzip'd (deterministically: no name, mtime 0), whose
objects are in content-addressed parts and whose manifest is the stashed bytes of its
`assetpub-manifest.json` (record_parts.py). Readers tell gzip from plain JSON by the magic
bytes; formats 1 (indented JSON, written by assetpub before 2026-12) and 2 (gzip'd, objects
and manifest inline) stay readable everywhere (docs/publishing.md, "Deploy records").
"""

from __future__ import annotations

import gzip
import json
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, Mapping

from ..safe_path import check_id, id_problem, is_safe_key, is_sha256
from .errors import PublishError
from .record_parts import Fetch, LazyManifest, LazyObjects, part_key, split
from .record_schema import (
    HistoryEntry,
    UnreadableRecord,
    parse_history,
    parse_id,
    parse_manifest,
    parse_objects,
    parse_text,
    parse_time,
)
from .state import RESERVED, RemoteObject, RemoteState

CURRENT_KEY = RESERVED + "current.json"
DEPLOYS_PREFIX = RESERVED + "deploys/"
JOURNAL_KEY = RESERVED + "journal.json"
FORMAT = "assetpub-deploy"
VERSION = 3  # gzip'd JSON, objects in parts; 2: gzip'd JSON, all inline; 1: plain JSON (both still read)
INLINE = 2  # the format of a record small enough to carry its objects and manifest itself
INLINE_OBJECTS = 2000  # up to this many objects: one request reads it all, and parts would cost more
READABLE = (1, 2, 3)
GZIP_MAGIC = b"\x1f\x8b"
MAX_RECORD_BYTES = 1 << 30  # a record expands to at most this (a gzip bomb in a tampered record stops here)
HISTORY_LIMIT = 50  # entries carried inside current.json; older ones stay in deploys/


def new_deploy_id(now: datetime, previous: str | None = None) -> str:
    """Sortable by time, to the millisecond: 20261126T031500123Z-1a2b3c. Always sorts after
    `previous` (the live deploy's id), even within one millisecond or with a clock behind."""
    now = now.astimezone(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    if previous and stamp <= previous.split("-", 1)[0]:
        stamp = _after(previous.split("-", 1)[0])
    return stamp + "-" + secrets.token_hex(3)


def _after(stamp: str) -> str:
    """The stamp one millisecond later (old ids without milliseconds sort before any new one)."""
    try:
        when = datetime.strptime(stamp[:18], "%Y%m%dT%H%M%S%f").replace(tzinfo=timezone.utc)
    except ValueError:
        when = datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    when += timedelta(milliseconds=1)
    return when.strftime("%Y%m%dT%H%M%S") + f"{when.microsecond // 1000:03d}Z"


def deploy_key(deploy_id: str) -> str:
    """The key of a deploy's record; the id is checked (it may come from a record or the user)."""
    return f"{DEPLOYS_PREFIX}{check_id(deploy_id, what='deploy id')}.json"


RecordObject = RemoteObject  # one object a record lists: sha256, size, headers, fingerprinted


@dataclass(frozen=True)
class DeployRecord:
    """A parsed deploy record (DeployRecord.from_json checks every field). Objects and
    history entries given as plain dicts (tests, older callers) are converted, unchecked."""

    id: str
    time: str  # ISO 8601, UTC
    tool: str
    manifest: Mapping[str, Any]
    objects: Mapping[str, RecordObject]
    prefix: str = ""
    history: tuple[HistoryEntry, ...] = field(default_factory=tuple)
    read_as: int | None = field(default=None, compare=False)  # the format it was read in; None: made in this run

    def __post_init__(self) -> None:
        if isinstance(self.objects, LazyObjects):
            return  # read from a format-3 record: parsed (and checked) when its parts are read
        if any(not isinstance(v, RemoteObject) for v in self.objects.values()):
            objects = {k: v if isinstance(v, RemoteObject) else RemoteObject.from_entry(v) for k, v in self.objects.items()}
            object.__setattr__(self, "objects", objects)
        if any(not isinstance(h, HistoryEntry) for h in self.history):
            history = tuple(h if isinstance(h, HistoryEntry) else HistoryEntry(**h) for h in self.history)
            object.__setattr__(self, "history", history)

    # -- views ---------------------------------------------------------------
    def remote_state(self) -> RemoteState:
        return RemoteState(self.objects)

    def summary(self) -> dict[str, Any]:
        return self.history_entry().to_dict()

    def history_entry(self) -> HistoryEntry:
        return HistoryEntry(self.id, self.time, len(self.objects), self.bytes, self.tool)

    @property
    def bytes(self) -> int:
        if isinstance(self.objects, LazyObjects):
            return self.objects.size  # from the record itself: its parts are not read for this
        return sum(v.size for v in self.objects.values())

    @property
    def inline(self) -> bool:
        """Stored as format 2 (objects and manifest inside): a small record, or one read so."""
        if self.read_as is not None:
            return self.read_as != VERSION
        return len(self.objects) <= INLINE_OBJECTS

    def part_keys(self) -> list[str]:
        """The keys of the parts that list this record's objects (format 3), which the
        target must hold as long as the record is kept; none for an inline record."""
        if isinstance(self.objects, LazyObjects) and self.read_as == VERSION:
            return [part_key(sha) for sha in self.objects.parts]  # without reading them
        return [] if self.inline else [part_key(sha) for sha in self._parts]

    def parts(self) -> dict[str, bytes]:
        """{key: bytes} of this record's parts, as stored (format 3; none for an inline record)."""
        return {} if self.inline else {part_key(sha): data for sha, data in self._parts.items()}

    @cached_property
    def _parts(self) -> dict[str, bytes]:
        return split(self.objects)

    @property
    def datetime(self) -> datetime:
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    # -- (de)serialising ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": INLINE,
            "id": self.id,
            "time": self.time,
            "tool": self.tool,
            "prefix": self.prefix,
            "manifest": dict(self.manifest),
            "objects": {k: v.entry() for k, v in sorted(self.objects.items())},
            "history": [h.to_dict() for h in self.history],
        }

    def to_json(self) -> bytes:
        """The record as plain JSON (format 1's layout, for people and tests)."""
        return (json.dumps(self.to_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    def stored(self) -> bytes:
        """The bytes written to the target: compact JSON gzip'd, deterministic. Format 3
        (its parts, parts(), written before it), or format 2 for a small record."""
        if self.inline:
            return self.stored_v2()
        head = {
            "format": FORMAT,
            "version": VERSION,
            "id": self.id,
            "time": self.time,
            "tool": self.tool,
            "prefix": self.prefix,
            "objects": len(self.objects),
            "bytes": self.bytes,
            "parts": list(self._parts),
            "history": [h.to_dict() for h in self.history],
        }
        text = json.dumps(head, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)

    def stored_v2(self) -> bytes:
        """The record as format 2 stores it: objects and manifest inline."""
        raw = {**self.to_dict(), "version": INLINE}
        text = json.dumps(raw, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)

    @classmethod
    def from_json(cls, data: bytes, *, where: str, fetch: Fetch | None = None) -> DeployRecord:
        """Parse a stored record, format 1, 2 or 3 (gzip told by its magic bytes). A format-3
        record's objects and manifest are read through `fetch` when first used."""
        data = decode(data, where=where)
        try:
            raw = json.loads(data)
        except ValueError as e:
            raise UnreadableRecord(
                f"{where}: deploy record is not valid JSON ({e}); fix or delete it, or publish again with --verify"
            ) from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise UnreadableRecord(f"{where}: not an assetpub deploy record")
        if raw.get("version") not in READABLE:
            raise PublishError(f"{where}: unsupported deploy record version {raw.get('version')!r}")
        if raw["version"] == 3:
            objects = LazyObjects(_parts_of(raw, where), _count(raw, "objects", where), _count(raw, "bytes", where),
                                  fetch, where)
            return cls(
                id=parse_id(raw.get("id"), where=where),
                time=parse_time(raw.get("time"), where=where),
                tool=parse_text(raw, "tool", where=where),
                manifest=LazyManifest(objects, fetch, where),
                objects=objects,
                prefix=parse_text(raw, "prefix", where=where),
                history=parse_history(raw.get("history"), where=where),
                read_as=VERSION,
            )
        return cls(
            id=parse_id(raw.get("id"), where=where),
            time=parse_time(raw.get("time"), where=where),
            tool=parse_text(raw, "tool", where=where),
            manifest=parse_manifest(raw.get("manifest"), where=where),
            objects=parse_objects(raw.get("objects"), where=where),
            prefix=parse_text(raw, "prefix", where=where),
            history=parse_history(raw.get("history"), where=where),
            read_as=raw["version"],
        )


def _parts_of(raw: dict, where: str) -> tuple[str, ...]:
    parts = raw.get("parts")
    if not isinstance(parts, list) or not all(is_sha256(p) for p in parts):
        raise UnreadableRecord(f"{where}: parts is not a list of SHA-256s; publish again with --verify")
    return tuple(parts)


def _count(raw: dict, name: str, where: str) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UnreadableRecord(f"{where}: {name} {value!r} is not a count")
    return value


def decode(data: bytes, *, where: str) -> bytes:
    """The JSON text of a stored record: format 2 is gunzip'd (at most MAX_RECORD_BYTES),
    format 1 is returned as it is."""
    if not data.startswith(GZIP_MAGIC):
        return data
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(data, MAX_RECORD_BYTES)
        if inflate.unconsumed_tail:
            raise UnreadableRecord(f"{where}: deploy record expands beyond {MAX_RECORD_BYTES >> 20} MiB; not read")
        if not inflate.eof:
            raise zlib.error("truncated")
    except zlib.error as e:
        raise UnreadableRecord(
            f"{where}: deploy record is not valid gzip ({e}); fix or delete it, or publish again with --verify"
        ) from None
    return out


def next_record(
    *,
    deploy_id: str,
    now: datetime,
    tool: str,
    manifest: Mapping[str, Any],
    objects: Mapping[str, RecordObject],
    prefix: str,
    previous: DeployRecord | None,
) -> DeployRecord:
    """The record of a new deploy, carrying the previous one in its history."""
    history: tuple[HistoryEntry, ...] = ()
    if previous is not None:
        history = (previous.history_entry(), *previous.history)[:HISTORY_LIMIT]
    return DeployRecord(
        id=deploy_id,
        time=now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool=tool,
        manifest=manifest,
        objects=objects,
        prefix=prefix,
        history=history,
    )


def journal_json(keys: list[str], deploy_id: str) -> bytes:
    return (json.dumps({"deploy": deploy_id, "keys": sorted(set(keys))}, indent=0, sort_keys=True) + "\n").encode()


def journal_keys(data: bytes | None) -> list[str]:
    if not data:
        return []
    try:
        keys = json.loads(data).get("keys", [])
        return [k for k in keys if is_safe_key(k) and not k.startswith(RESERVED)] if isinstance(keys, list) else []
    except (ValueError, AttributeError, TypeError):
        return []  # a torn journal only costs a few re-uploads


def journal_deploy(data: bytes | None) -> str | None:
    """The id of the deploy the journal was written for (None if torn or absent)."""
    if not data:
        return None
    try:
        deploy = json.loads(data).get("deploy")
    except (ValueError, AttributeError):
        return None
    return deploy if isinstance(deploy, str) and id_problem(deploy) is None else None
