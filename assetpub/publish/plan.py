"""plan(local, remote, options) -> Plan: pure (no I/O), every action carries a reason.

Steps (actions.Step), applied in order, each only after the previous one fully succeeded:
  0  JOURNAL     the keys about to be written, so a killed publish can be finished cheaply
  1  NEW_FILES   new fingerprinted files and their .br/.gz variants (new names: nothing live changes)
  2  LIVE_FILES  files that keep their names (pages, robots.txt, ...: they now point at step 1's
                 files), and new headers of fingerprinted files already live (a live change too)
  3  RECORDS     the manifest, then the deploy record (this deploy's, then current.json)
  4  CLEANUP     removing the journal (then the CDN invalidation, outside the plan's actions)
  5  PRUNE       objects and records retention no longer needs (see prune.py)

Files that keep their names are also stashed by content (`_assetpub/objects/<sha256>`)
in step 1, so `rollback` can put them back without the old build directory (rollback.py
makes a Plan of the same shape: restores in steps 2 and 3).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterator, Mapping

from .actions import Action, Cause, Kind, Problem, Reason, Step
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

__all__ = ["Action", "Cause", "Diff", "Kind", "Plan", "PlanOptions", "Problem", "Reason", "Step", "diff", "plan"]


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

    def steps(self) -> Iterator[tuple[Step, list[Action]]]:
        for step in Step:
            todo = [a for a in self.actions if a.step == step and a.kind is not Kind.SKIP]
            if todo:
                yield step, todo

    @property
    def files(self) -> list[Action]:
        """Actions on published objects (not journal/records/stashes)."""
        return [a for a in self.actions if a.kind.writes or a.kind is Kind.SKIP]

    @property
    def has_work(self) -> bool:
        return self.record is not None

    @property
    def deletions(self) -> list[Action]:
        return [a for a in self.actions if a.step == Step.PRUNE]

    @property
    def invalidations(self) -> list[str]:
        """Keys whose cached copies a CDN must drop: changed files that keep their names."""
        return sorted(a.key for a in self.files if a.kind.writes and not a.obj.fingerprinted)

    def counts(self) -> dict[str, int]:
        c = Counter(a.kind for a in self.files)
        out = {k.value: c.get(k, 0) for k in (Kind.UPLOAD, Kind.OVERWRITE, Kind.UPDATE_HEADERS, Kind.SKIP, Kind.RESTORE)}
        records = sum(1 for a in self.deletions if a.key.startswith(RESERVED))
        out["delete"] = len(self.deletions) - records
        out["delete-records"] = records  # deploy records (and their stashes) retention no longer needs
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "deploy": self.record.id if self.record else None,
            "counts": self.counts(),
            "bytes_to_upload": sum(a.size for a in self.files if a.kind.sends),
            "actions": [a.to_dict() for a in self.actions],
            "conflicts": list(self.conflicts),
            "missing": list(self.missing),
            "unknown": list(self.unknown),
            "invalidate": self.invalidations,
            "refusal": self.refusal,
        }


@dataclass(frozen=True)
class Diff:
    """What diff() found: one action per published object it can publish, and the keys it cannot."""

    actions: tuple[Action, ...]
    conflicts: tuple[str, ...] = ()  # Problem.CONFLICT
    missing: tuple[str, ...] = ()  # Problem.MISSING


def diff(local: LocalState, remote: RemoteState, repairs: frozenset[str] = frozenset()) -> Diff:
    """Compare every local object with what the target holds: upload, overwrite,
    update-headers or skip, each with its Reason (Hugo's findDiffs). Pure."""
    actions: list[Action] = []
    problems: dict[Problem, list[str]] = {Problem.CONFLICT: [], Problem.MISSING: []}
    for obj in local.objects:
        decision = _decide(obj, remote.objects.get(obj.key), obj.key in repairs)
        if isinstance(decision, Problem):
            problems[decision].append(obj.key)
        else:
            actions.append(decision)
    return Diff(tuple(actions), tuple(problems[Problem.CONFLICT]), tuple(problems[Problem.MISSING]))


def plan(local: LocalState, remote: RemoteState, options: PlanOptions) -> Plan:
    """diff() the build against the target; when anything changes, add the journal, the
    rollback stashes, the record writes and retention's deletions."""
    found = diff(local, remote, options.repairs)
    actions = list(found.actions)
    record_objects: dict[str, RemoteObject] = {}
    for action in actions:
        entry = action.obj.record_entry()
        have = remote.objects.get(action.key)
        if action.obj.sha256 is None and have is not None:  # reused: the target has the bytes
            entry = replace(entry, sha256=have.sha256)
        record_objects[action.key] = entry

    unknown = _unknown(local, remote, (options.previous, *options.records))
    changed = any(a.kind.writes for a in actions)
    previous = options.previous
    if not changed and previous is not None and _same_objects(previous.objects, record_objects):
        return Plan(tuple(actions), None, found.conflicts, found.missing, unknown, options)

    record = next_record(
        deploy_id=options.deploy_id,
        now=options.now,
        tool=options.tool,
        manifest=local.manifest.to_dict(),
        objects=record_objects,
        prefix=options.prefix,
        previous=previous,
    )
    stashes = _stashes(actions, options)
    written = [a.key for a in (*actions, *stashes) if a.kind.writes or a.kind is Kind.STASH]
    deletions, refusal = _prune(record, options)
    actions = [
        *stashes,
        *actions,
        *deletions,
    ]
    known = set() if remote.complete or previous is None else set(previous.part_keys())  # --verify: write them all
    return Plan(
        with_records(actions, record, written, options.pending, known_parts=known), record, found.conflicts,
        found.missing, unknown, options, refusal,
    )


def with_records(
    actions: list[Action],
    record: DeployRecord,
    written: list[str],
    pending: tuple[str, ...] = (),
    *,
    known_parts: set[str] | frozenset[str] = frozenset(),
) -> tuple[Action, ...]:
    """`actions` framed by assetpub's own writes: first the journal (the keys in `written`,
    and those of `pending` the record lists: an interrupted run may have changed them),
    then, after the manifest, the record's parts the target does not hold yet (not in
    `known_parts`: those of a record read whole in this run), this deploy's record and
    current.json, then the journal's removal. Publish and rollback plans share this frame."""
    data = record.stored()
    journal = sorted(set(written) | (set(pending) & set(record.objects)))
    parts = [
        Action(Kind.PUT, key, Reason.RECORD_PART, Step.RECORDS, data=part)
        for key, part in sorted(record.parts().items())
        if key not in known_parts
    ]
    return (
        Action(Kind.PUT, JOURNAL_KEY, Reason.JOURNAL, Step.JOURNAL, data=journal_json(journal, record.id),
               detail=str(len(journal))),
        *[a for a in actions if a.step < Step.RECORDS],
        *[a for a in actions if a.step == Step.RECORDS],  # the manifest
        *parts,
        Action(Kind.PUT, deploy_key(record.id), Reason.RECORD, Step.RECORDS, data=data),
        Action(Kind.PUT, CURRENT_KEY, Reason.CURRENT, Step.RECORDS, data=data),
        Action(Kind.DELETE, JOURNAL_KEY, Cause.FINISHED, Step.CLEANUP),
        *[a for a in actions if a.step > Step.RECORDS],
    )


def _stashes(actions: list[Action], options: PlanOptions) -> list[Action]:
    """Keep-name files written now whose bytes no earlier deploy stashed (rollback needs them)."""
    stashed = set()
    for record in (options.previous, *options.records):
        if record is not None:
            stashed |= {k for k in record_keys(record) if k.startswith(STASH_PREFIX)}
    out: dict[str, Action] = {}
    for a in actions:
        if not a.obj.fingerprinted and a.obj.sha256 and a.kind.sends:
            key = stash_key(a.obj.sha256)
            if key not in stashed and key not in out:
                out[key] = Action(Kind.STASH, key, Reason.STASHED, Step.NEW_FILES, a.obj, detail=a.key)
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
    actions = [Action(Kind.DELETE, d.key, d.cause, Step.PRUNE, detail=d.detail) for d in deletions]
    actions += [Action(Kind.DELETE, key, Cause.OLD_RECORD, Step.PRUNE) for key in dead_records]
    return actions, refusal


def _decide(obj: LocalObject, have: RemoteObject | None, wrong_hash: bool = False) -> Action | Problem:
    """The action for one published object, or the Problem that forbids any."""
    step = Step(obj.step)  # a plain int from a caller that builds LocalObjects itself works too
    if have is None:
        if obj.file is None:
            return Problem.MISSING  # not built and not published: cannot publish it
        return Action(Kind.UPLOAD, obj.key, Reason.NOT_ON_TARGET, step, obj)
    if obj.sha256 is not None and have.sha256 != obj.sha256:
        if obj.fingerprinted and have.sha256 is not None:
            if wrong_hash:  # --verify read the bytes: they are the build's (same bytes, new metadata)
                return Action(Kind.OVERWRITE, obj.key, Reason.WRONG_HASH, step, obj)
            return Problem.CONFLICT  # immutable name, different bytes: never overwrite
        reason = Reason.NO_HASH if have.sha256 is None else Reason.CONTENT_CHANGED
        return Action(Kind.OVERWRITE, obj.key, reason, step, obj)
    if have.headers != obj.headers:  # a live object changes: never in step 1
        live = max(step, Step.LIVE_FILES)
        return Action(Kind.UPDATE_HEADERS, obj.key, Reason.HEADERS_CHANGED, live, obj, detail=_header_change(have, obj))
    return Action(Kind.SKIP, obj.key, Reason.UNCHANGED if obj.sha256 is not None else Reason.REUSED, step, obj)


def _header_change(have: RemoteObject, obj: LocalObject) -> str:
    changes = []
    for name in ("content_type", "cache_control", "content_encoding"):
        old, new = getattr(have.headers, name), getattr(obj.headers, name)
        if old != new:
            changes.append(f"{name.replace('_', '-')} {old!r} -> {new!r}")
    return ", ".join(changes)


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
