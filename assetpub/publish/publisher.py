"""publish(): read the build and the target's record, plan, check, lock, apply, invalidate, prune.

A publish with nothing to do costs one request (GET current.json) and takes no lock.
With work to do it takes the lock, re-reads the record (another publish may have
finished meanwhile), reads the journal an interrupted publish may have left (and HEADs
only the keys it lists, so a re-run uploads only what is really missing), reads the
stored deploy records for retention, and refuses before writing anything if retention
would delete more than --max-deletes objects.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

from .. import __version__
from ..config import check
from ..safe_path import id_problem
from .apply import DEFAULT_WORKERS, ApplyResult, apply
from .errors import ImmutableConflict, PublishError
from .lock import Lock
from .plan import WRITES, Action, Plan, PlanOptions, plan
from .prune import Retention
from .record import (
    CURRENT_KEY,
    DEPLOYS_PREFIX,
    JOURNAL_KEY,
    DeployRecord,
    UnreadableRecord,
    deploy_key,
    journal_keys,
    new_deploy_id,
)
from .state import LocalState, RemoteState, load_local
from .target import Target, open_target

log = logging.getLogger(__name__)
_UNREAD = object()
DEFAULT_RETENTION = Retention()  # keep 3 deploys, 7 days of grace, at most 500 deletions


@dataclass
class PublishResult:
    target: str
    plan: Plan
    applied: ApplyResult | None = None  # None for a dry run
    seconds: float = 0.0
    invalidation: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "dry_run": self.applied is None,
            "plan": self.plan.to_dict(),
            "result": self.applied.to_dict() if self.applied else None,
            "invalidation": self.invalidation,
            "seconds": round(self.seconds, 3),
            **self.extra,
        }


def read_current(target: Target, *, verify: bool = False) -> DeployRecord | None:
    """The live deploy record (one GET), or None on a target never published to.

    With `verify` an unreadable record counts as none: --verify lists the target instead
    and writes a good record (the error message advises it)."""
    data = target.get(CURRENT_KEY)
    if data is None:
        return None
    try:
        return DeployRecord.from_json(data, where=f"{target.url}/{CURRENT_KEY}")
    except UnreadableRecord as e:  # not one of a newer version: that one is never overwritten
        if not verify:
            if "--verify" in str(e):
                raise
            raise UnreadableRecord(f"{e}; `publish --verify` rebuilds the record from the target") from None
        log.warning("%s; --verify replaces it", e)
        return None


def read_records(target: Target, current: DeployRecord | None) -> list[DeployRecord]:
    """Every stored deploy record, newest first (current first). Unreadable ones are skipped."""
    ids = sorted(
        (k[len(DEPLOYS_PREFIX) : -len(".json")] for k, _ in target.listing(DEPLOYS_PREFIX) if k.endswith(".json")),
        reverse=True,
    )
    wanted = [i for i in ids if (current is None or i != current.id) and id_problem(i) is None]

    def load(deploy_id: str) -> DeployRecord | None:
        key = deploy_key(deploy_id)
        data = target.get(key)
        try:
            record = DeployRecord.from_json(data, where=f"{target.url}/{key}") if data else None
        except PublishError as e:
            log.warning("%s (ignored)", e)
            return None
        if record is not None and record.id != deploy_id:
            log.warning("%s/%s: holds deploy %s, not %s (ignored)", target.url, key, record.id, deploy_id)
            return None
        return record

    with ThreadPoolExecutor(max_workers=8) as pool:
        others = [r for r in pool.map(load, wanted) if r is not None]
    records = ([current] if current is not None else []) + others
    return sorted(records, key=lambda r: r.id, reverse=True)


def publish(
    build_dir: str | os.PathLike,
    *,
    target: Target | str | os.PathLike,
    dry_run: bool = False,
    verify: bool = False,
    workers: int = DEFAULT_WORKERS,
    now: datetime | None = None,
    previous: Any = _UNREAD,
    retention: Retention | None = DEFAULT_RETENTION,
    cloudfront_distribution: str | None = None,
    cloudfront_options: dict[str, Any] | None = None,
    progress: Callable[[Action], None] | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> PublishResult:
    """Publish BUILD_DIR to `target`: a Target, or a URL or directory for open_target.

    `previous` may pass a record the caller already read (deploy does), saving the GET.
    `retention=None` disables pruning. `now` is the clock (tests inject it). `on_plan`
    sees the final plan before it is applied (the CLI sizes its progress bar from it)."""
    check("workers", workers, "keyword argument workers")
    workers = workers or DEFAULT_WORKERS
    if isinstance(target, (str, os.PathLike)):
        target = open_target(os.fspath(target), workers=workers)
    started = time.perf_counter()
    local = load_local(build_dir, cached=not verify)
    if previous is _UNREAD:
        previous = read_current(target, verify=verify)
    now = now or datetime.now(timezone.utc)
    options = PlanOptions(
        deploy_id=new_deploy_id(now, previous.id if previous else None),
        now=now,
        tool=f"assetpub {__version__}",
        prefix=target.prefix,
        previous=previous,
    )
    remote = _remote(target, previous, verify)
    if verify:  # objects of earlier deploys are known, not "unknown"
        options = replace(options, records=tuple(read_records(target, previous)))
    the_plan = plan(local, remote, options)
    if not the_plan.has_work:
        _check(the_plan, local)
        if on_plan is not None:
            on_plan(the_plan)
        applied = None if dry_run else ApplyResult(skipped=len(the_plan.files))
        return PublishResult(target.url, the_plan, applied, time.perf_counter() - started)

    lock = Lock(target, now=now)
    if not dry_run:
        lock.acquire()
    try:
        the_plan = _plan_in_full(local, remote, target, options, verify=verify, retention=retention, locked=not dry_run)
        if on_plan is not None:
            on_plan(the_plan)
        if dry_run:
            return PublishResult(target.url, the_plan, None, time.perf_counter() - started)

        def tick(action: Action) -> None:  # runs on this thread after each finished action
            lock.refresh()
            if progress is not None:
                progress(action)

        applied = apply(the_plan, target, workers=workers, progress=tick, steps=range(5))
        invalidation = None
        if cloudfront_distribution and the_plan.invalidations:
            invalidation = _invalidate(the_plan, target, cloudfront_distribution, cloudfront_options or {})
        applied.deleted = apply(the_plan, target, workers=workers, steps=(5,)).deleted
    except BaseException:
        _release_quietly(lock)
        raise
    lock.release()
    return PublishResult(target.url, the_plan, applied, time.perf_counter() - started, invalidation)


def _plan_in_full(
    local: LocalState,
    remote: RemoteState,
    target: Target,
    options: PlanOptions,
    *,
    verify: bool,
    retention: Retention | None,
    locked: bool,
) -> Plan:
    """The plan of a publish with work to do: with the record as it is once locked, what an
    interrupted publish left, and the stored records retention needs."""
    previous = options.previous
    if locked:
        latest = read_current(target, verify=verify)  # another publish may have finished before we locked
        if (latest and latest.id) != (previous and previous.id):
            previous = latest
            options = replace(options, previous=latest, deploy_id=new_deploy_id(options.now, latest and latest.id))
            remote = _remote(target, previous, verify)
    if not verify:
        remote, options = _interrupted(target, local, remote, options)
    if retention is not None:
        records = tuple(read_records(target, previous))
        listing = dict(target.listing()) if retention.delete_unknown else None
        options = replace(options, retention=retention, records=records, listing=listing)
        if not verify:
            remote = _with_retained(remote, records[: retention.keep])
    the_plan = plan(local, remote, options)
    _check(the_plan, local)
    return the_plan


def _release_quietly(lock: Lock) -> None:
    """Release after a failure without hiding it (the target may be what failed)."""
    try:
        lock.release()
    except PublishError as e:
        log.warning("could not release the publish lock: %s", e)


def _with_retained(remote: RemoteState, records: tuple[DeployRecord, ...]) -> RemoteState:
    """Objects of the deploys retention keeps are on the target too (after a rollback the live
    record does not list the newer deploy's files): newest record wins, the known state last."""
    objects: dict = {}
    for record in reversed(records):
        objects.update(record.remote_state().objects)
    objects.update(remote.objects)
    return RemoteState(objects, remote.complete)


def _remote(target: Target, previous: DeployRecord | None, verify: bool) -> RemoteState:
    if verify:
        return RemoteState(dict(target.scan()), complete=True)
    return previous.remote_state() if previous is not None else RemoteState()


def _interrupted(target: Target, local: LocalState, remote: RemoteState, options: PlanOptions):
    """An interrupted publish left a journal: the keys it listed may be on the target already
    though no record says so. HEAD those we would write; plan with what they hold."""
    pending = journal_keys(target.get(JOURNAL_KEY))
    if not pending:
        return remote, options
    first = plan(local, remote, options)
    to_check = sorted({a.key for a in first.actions if a.kind in WRITES} & set(pending))
    log.info("an interrupted publish left %d keys to check; checking %d", len(pending), len(to_check))
    with ThreadPoolExecutor(max_workers=16) as pool:
        found = dict(zip(to_check, pool.map(target.head, to_check), strict=False))
    objects = dict(remote.objects)
    objects.update({k: v for k, v in found.items() if v is not None})
    return RemoteState(objects, remote.complete), replace(options, pending=tuple(pending))


def _invalidate(the_plan: Plan, target: Target, distribution: str, options: dict[str, Any]) -> dict[str, Any]:
    from .cdn import invalidate, invalidation_paths

    paths = invalidation_paths(the_plan.invalidations, prefix=target.prefix)
    try:
        invalidation_id = invalidate(distribution, paths, caller_reference=the_plan.record.id, **options)
    except PublishError as e:
        # published, but the CDN still serves old copies: say so; pruning does not run
        raise PublishError(f"published deploy {the_plan.record.id}, but {e}; nothing was pruned") from None
    return {"distribution": distribution, "id": invalidation_id, "paths": paths}


def _check(the_plan: Plan, local: LocalState) -> None:
    if the_plan.conflicts:
        more = f" (and {len(the_plan.conflicts) - 1} more)" if len(the_plan.conflicts) > 1 else ""
        raise ImmutableConflict(
            f"{the_plan.conflicts[0]}{more}: fingerprinted key already published with different bytes; "
            "refusing to overwrite (the target or the build is corrupt; check with --verify)"
        )
    if the_plan.missing:
        more = f" (and {len(the_plan.missing) - 1} more)" if len(the_plan.missing) > 1 else ""
        raise PublishError(
            f"{local.root / the_plan.missing[0]}{more}: listed in the manifest but missing from the build "
            "directory and not published yet (rebuild)"
        )
    if the_plan.refusal:
        raise PublishError(the_plan.refusal)
