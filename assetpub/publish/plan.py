"""plan(local, remote, options) -> Plan: pure (no I/O), every action carries a reason.

Steps, applied in order, each only after the previous one fully succeeded:
  0  the journal (keys about to be written), so a killed publish can be finished cheaply
  1  new fingerprinted files and their .br/.gz variants (new names: nothing live changes)
  2  files that keep their names (pages, robots.txt, ...: they now point at step 1's files),
     and new headers of fingerprinted files already live (a live change too)
  3  the manifest, then the deploy record (this deploy's, then current.json)
  4  removing the journal (then the CDN invalidation, outside the plan's actions)
  5  pruning: objects and records retention no longer needs (see prune.py)

Files that keep their names are also stashed by content (`_assetpub/objects/<sha256>`)
in step 1, so `rollback` can put them back without the old build directory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterator, Mapping

from .prune import (
    STASH_PREFIX,
    Retention,
    plan_prune,
    record_keys,
    retired_keys,
    stash_key,
    too_many,
    too_many_retired,
)
from .record import CURRENT_KEY, JOURNAL_KEY, DeployRecord, deploy_key, journal_json, next_record
from .state import RESERVED, LocalObject, LocalState, RemoteObject, RemoteState

UPLOAD = "upload"
OVERWRITE = "overwrite"
UPDATE_HEADERS = "update-headers"
SKIP = "skip"
PUT = "put"  # assetpub's own bytes: journal and records
STASH = "stash"  # a keep-name file's bytes, by content, for rollback
DELETE = "delete"
WRITES = (UPLOAD, OVERWRITE, UPDATE_HEADERS)
WRONG_HASH = "stored sha256 metadata is wrong, the bytes are right: repaired by --verify"


@dataclass(frozen=True)
class Action:
    kind: str
    key: str
    reason: str
    step: int
    obj: LocalObject | None = None
    data: bytes | None = None  # for PUT

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        return self.obj.size if self.obj is not None else 0

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.kind, "key": self.key, "reason": self.reason, "step": self.step, "bytes": self.size}


@dataclass(frozen=True)
class PlanOptions:
    deploy_id: str
    now: datetime
    tool: str
    prefix: str = ""
    previous: DeployRecord | None = None  # the live record, if any
    pending: tuple[str, ...] = ()  # keys an interrupted publish's journal listed
    repairs: frozenset[str] = frozenset()  # --verify: fingerprinted keys whose bytes are right, stored hash wrong
    retention: Retention | None = None  # None: no pruning (records not read yet, or --keep 0)
    records: tuple[DeployRecord, ...] = ()  # every stored record, newest first (previous included)
    listing: Mapping[str, datetime] | None = None  # key -> last modified, for --delete-unknown


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    record: DeployRecord | None  # None when there is nothing to do
    conflicts: tuple[str, ...] = ()  # fingerprinted keys holding different bytes
    missing: tuple[str, ...] = ()  # keys neither in the build directory nor on the target
    unknown: tuple[str, ...] = ()  # --verify: keys on the target no record knows
    options: PlanOptions | None = field(default=None, compare=False)
    refusal: str | None = None  # why this publish must not run at all (max-deletes)

    def steps(self) -> Iterator[tuple[int, list[Action]]]:
        for step in range(6):
            todo = [a for a in self.actions if a.step == step and a.kind != SKIP]
            if todo:
                yield step, todo

    @property
    def files(self) -> list[Action]:
        """Actions on published objects (not journal/records)."""
        return [a for a in self.actions if a.kind in (*WRITES, SKIP)]

    @property
    def has_work(self) -> bool:
        return self.record is not None

    @property
    def deletions(self) -> list[Action]:
        return [a for a in self.actions if a.step == 5]

    @property
    def invalidations(self) -> list[str]:
        """Keys whose cached copies a CDN must drop: changed files that keep their names."""
        return sorted(a.key for a in self.files if a.kind in WRITES and a.obj is not None and not a.obj.fingerprinted)

    def counts(self) -> dict[str, int]:
        c = Counter(a.kind for a in self.files)
        out = {k: c.get(k, 0) for k in (UPLOAD, OVERWRITE, UPDATE_HEADERS, SKIP)}
        records = sum(1 for a in self.deletions if a.key.startswith(RESERVED))
        out["delete"] = len(self.deletions) - records
        out["delete-records"] = records  # deploy records (and their stashes) retention no longer needs
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "deploy": self.record.id if self.record else None,
            "counts": self.counts(),
            "bytes_to_upload": sum(a.size for a in self.files if a.kind in (UPLOAD, OVERWRITE)),
            "actions": [a.to_dict() for a in self.actions],
            "conflicts": list(self.conflicts),
            "missing": list(self.missing),
            "unknown": list(self.unknown),
            "invalidate": self.invalidations,
            "refusal": self.refusal,
        }


def plan(local: LocalState, remote: RemoteState, options: PlanOptions) -> Plan:
    """Compare every local object with what the target holds; decide upload, overwrite,
    update-headers or skip; add the journal and record writes when anything changes."""
    actions: list[Action] = []
    conflicts: list[str] = []
    missing: list[str] = []
    record_objects: dict[str, RemoteObject] = {}
    for obj in local.objects:
        have = remote.objects.get(obj.key)
        action = _decide(obj, have, obj.key in options.repairs)
        if action is None:
            missing.append(obj.key)
            continue
        if action == "conflict":
            conflicts.append(obj.key)
            continue
        actions.append(action)
        entry = obj.record_entry()
        if obj.sha256 is None and have is not None:  # reused: the target has the bytes
            entry = replace(entry, sha256=have.sha256)
        record_objects[obj.key] = entry

    unknown = _unknown(local, remote, (options.previous, *options.records))
    changed = any(a.kind in WRITES for a in actions)
    previous = options.previous
    if not changed and previous is not None and _same_objects(previous.objects, record_objects):
        return Plan(tuple(actions), None, tuple(conflicts), tuple(missing), unknown, options)

    record = next_record(
        deploy_id=options.deploy_id,
        now=options.now,
        tool=options.tool,
        manifest=local.manifest.to_dict(),
        objects=record_objects,
        prefix=options.prefix,
        previous=previous,
    )
    local_keys = set(record_objects)
    stashes = _stashes(local, actions, remote, options)
    journal = sorted(
        {a.key for a in actions if a.kind in WRITES} | {a.key for a in stashes} | (set(options.pending) & local_keys)
    )
    data = record.stored()
    deletions, refusal = _prune(record, options)
    actions = [
        Action(PUT, JOURNAL_KEY, f"{len(journal)} keys about to be written", 0, data=journal_json(journal, record.id)),
        *stashes,
        *actions,
        Action(PUT, deploy_key(record.id), "this deploy's record", 3, data=data),
        Action(PUT, CURRENT_KEY, "make this deploy the current one", 3, data=data),
        Action(DELETE, JOURNAL_KEY, "publish complete", 4),
        *deletions,
    ]
    return Plan(tuple(actions), record, tuple(conflicts), tuple(missing), unknown, options, refusal)


def _stashes(local: LocalState, actions: list[Action], remote: RemoteState, options: PlanOptions) -> list[Action]:
    """Keep-name files written now whose bytes no earlier deploy stashed (rollback needs them)."""
    stashed = set()
    for record in (options.previous, *options.records):
        if record is not None:
            stashed |= {k for k in record_keys(record) if k.startswith(STASH_PREFIX)}
    out: dict[str, Action] = {}
    for a in actions:
        if a.obj is not None and not a.obj.fingerprinted and a.obj.sha256 and a.kind in (UPLOAD, OVERWRITE):
            key = stash_key(a.obj.sha256)
            if key not in stashed and key not in out:
                out[key] = Action(STASH, key, f"bytes of {a.key}, for rollback", 1, a.obj)
    return [out[k] for k in sorted(out)]


def _prune(record: DeployRecord, options: PlanOptions) -> tuple[list[Action], str | None]:
    if options.retention is None:
        return [], None
    records = [record, *[r for r in options.records if r.id != record.id]]
    deletions, dead_records = plan_prune(records, retention=options.retention, now=options.now, listing=options.listing)
    refusal = too_many(deletions, options.retention.max_deletes) or too_many_retired(
        retired_keys(options.previous, record),
        len(options.previous.objects) if options.previous else 0,
        options.retention.max_deletes,
    )
    actions = [Action(DELETE, d.key, d.reason, 5) for d in deletions]
    actions += [Action(DELETE, key, "record of a deploy retention no longer needs", 5) for key in dead_records]
    return actions, refusal


def _decide(obj: LocalObject, have: RemoteObject | None, wrong_hash: bool = False) -> Action | str | None:
    if have is None:
        if obj.file is None:
            return None  # not built and not published: cannot publish it
        return Action(UPLOAD, obj.key, "not on target", obj.step, obj)
    if obj.sha256 is not None and have.sha256 != obj.sha256:
        if obj.fingerprinted and have.sha256 is not None:
            if wrong_hash:  # --verify read the bytes: they are the build's (same bytes, new metadata)
                return Action(OVERWRITE, obj.key, WRONG_HASH, obj.step, obj)
            return "conflict"  # immutable name, different bytes: never overwrite
        reason = "no assetpub hash on target" if have.sha256 is None else "content changed"
        return Action(OVERWRITE, obj.key, reason, obj.step, obj)
    if have.headers != obj.headers:  # a live object changes: never in step 1
        return Action(UPDATE_HEADERS, obj.key, _header_change(have, obj), max(obj.step, 2), obj)
    reason = "unchanged" if obj.sha256 is not None else "already published (reused by the build)"
    return Action(SKIP, obj.key, reason, obj.step, obj)


def _header_change(have: RemoteObject, obj: LocalObject) -> str:
    changes = []
    for name in ("content_type", "cache_control", "content_encoding"):
        old, new = getattr(have.headers, name), getattr(obj.headers, name)
        if old != new:
            changes.append(f"{name.replace('_', '-')} {old!r} -> {new!r}")
    return "headers changed: " + ", ".join(changes)


def _same_objects(a: Mapping[str, RemoteObject], b: Mapping[str, RemoteObject]) -> bool:
    return dict(a) == dict(b)


def _unknown(local: LocalState, remote: RemoteState, records: tuple[DeployRecord | None, ...]) -> tuple[str, ...]:
    """--verify: listed keys that neither this build nor any stored deploy record lists."""
    if not remote.complete:
        return ()
    known = set(local.by_key)
    for record in records:
        if record is not None:
            known |= set(record.objects)
    return tuple(sorted(k for k in remote.objects if k not in known))
