"""The deploy record: what one publish made live, stored in the target under `_assetpub/`.

    _assetpub/current.json          the live deploy's record (+ a short history of earlier ones)
    _assetpub/deploys/<ID>.json     every deploy's record, kept for `deploys`, retention and rollback
    _assetpub/journal.json          keys a publish is about to write; present only while one runs
                                    (or after one was killed): the next run checks those keys

A record is sorted JSON: id, time, tool, prefix, the manifest, and every object it
published ({key: {sha256, size, content_type, cache_control, content_encoding?,
fingerprinted}}). `history` lists earlier deploys newest first (id, time, tool, objects,
bytes) so `assetpub deploys` and pruning know them from the one GET of current.json.

Stored as format 2: that JSON, compact, gzip'd (deterministically: no name, mtime 0).
Readers tell the formats apart by the gzip magic bytes; format 1 (indented JSON, written
by assetpub before 2026-12) stays readable everywhere (docs/publishing.md, "Deploy records").
"""

from __future__ import annotations

import gzip
import json
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from ..safe_path import check_id, id_problem, is_safe_key
from .errors import PublishError
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
VERSION = 2  # gzip'd JSON; 1: plain JSON (still read)
READABLE = (1, 2)
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

    def __post_init__(self) -> None:
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
        return HistoryEntry(self.id, self.time, len(self.objects), sum(v.size for v in self.objects.values()), self.tool)

    @property
    def datetime(self) -> datetime:
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    # -- (de)serialising ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
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
        """The bytes written to the target: format 2, compact JSON gzip'd, deterministic."""
        text = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)

    @classmethod
    def from_json(cls, data: bytes, *, where: str) -> DeployRecord:
        """Parse a stored record, format 1 or 2 (told apart by the gzip magic bytes)."""
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
        return cls(
            id=parse_id(raw.get("id"), where=where),
            time=parse_time(raw.get("time"), where=where),
            tool=parse_text(raw, "tool", where=where),
            manifest=parse_manifest(raw.get("manifest"), where=where),
            objects=parse_objects(raw.get("objects"), where=where),
            prefix=parse_text(raw, "prefix", where=where),
            history=parse_history(raw.get("history"), where=where),
        )


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
