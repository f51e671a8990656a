"""publish(): read the build and the target's record, plan, check, lock, apply, invalidate, prune.

A publish with nothing to do costs two requests sent together (GET current.json, with
If-None-Match against the copy in BUILD/.assetpub/records: a 304 with no body, store.py;
and a one-level LIST of `_assetpub/` that shows a journal or lock an interrupted publish
left) and takes no lock. With work to do, or with such leftovers, it takes the lock, re-reads
the record (conditionally: another publish may have finished meanwhile), reads the journal an
interrupted publish may have left (and HEADs the keys it lists, so a re-run uploads only
what is really missing and puts back what the killed run changed), reads the stored
deploy records for retention, and refuses before writing anything if retention would
delete more than --max-deletes objects.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

from .. import __version__
from ..config import check
from . import unchanged
from .actions import Action, Step
from .apply import DEFAULT_WORKERS, ApplyResult, apply
from .errors import ImmutableConflict, PublishError
from .lock import LOCK_KEY, Lock, holder_of
from .plan import Plan, PlanOptions, plan
from .prune import Retention
from .record import CURRENT_KEY, JOURNAL_KEY, DeployRecord, deploy_key, journal_deploy, journal_keys, new_deploy_id
from .record_parts import LazyObjects, part_key
from .state import MANIFEST_NAME, RESERVED, LocalState, RemoteState, load_local
from .store import Live, LocalCopies, parse_current, read_current, read_live, read_records  # noqa: F401 - read_current: API
from .target import Target, open_target
from .unchanged import Published, outputs_now

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
    quick: bool = False,
) -> PublishResult:
    """Publish BUILD_DIR to `target`: a Target, or a URL or directory for open_target.

    `previous` may pass a record the caller already read (deploy does: a store.Live, or a
    DeployRecord), saving the GET. `retention=None` disables pruning. `now` is the clock
    (tests inject it). `on_plan` sees the final plan before it is applied (the CLI sizes
    its progress bar from it). The live record is read conditionally against the copy
    kept in BUILD_DIR/.assetpub/records (store.py).

    `quick`: a build directory whose files are those of the last publish from it to this
    target, whose record is still the live one, has nothing to do, and the plan is not
    made (unchanged.py): the result's plan has no actions, `applied.skipped` the count.
    The CLI asks for it unless --json, --dry-run or --verify want the plan."""
    check("workers", workers, "keyword argument workers")
    workers = workers or DEFAULT_WORKERS
    if isinstance(target, (str, os.PathLike)):
        target = open_target(os.fspath(target), workers=workers)
    started = time.perf_counter()
    copies = LocalCopies(build_dir)
    tool = f"assetpub {__version__}"
    digest = outputs_now(build_dir) if not dry_run and os.path.isdir(build_dir) else None  # before reading BUILD
    found = None
    if quick and digest is not None and previous is _UNREAD and not verify:
        found = _unchanged(target, copies, digest, tool)
        if isinstance(found, Published):
            the_plan = Plan(actions=(), record=None)
            if on_plan is not None:
                on_plan(the_plan)
            return PublishResult(target.url, the_plan, ApplyResult(skipped=found.objects), time.perf_counter() - started)
    local = load_local(build_dir, cached=not verify)
    if found is not None:
        live, leftovers = found
    elif previous is _UNREAD:
        with ThreadPoolExecutor(max_workers=2) as pool:  # one round trip
            reading = pool.submit(read_live, target, verify=verify, copies=copies)
            leftovers = interrupted(target)
            live = reading.result()
    else:
        live = previous if isinstance(previous, Live) else Live(previous)
        leftovers = interrupted(target)
    previous = live.record
    now = now or datetime.now(timezone.utc)
    options = PlanOptions(
        deploy_id=new_deploy_id(now, previous.id if previous else None),
        now=now,
        tool=tool,
        prefix=target.prefix,
        previous=previous,
    )
    remote = _remote(target, previous, verify)
    if verify:  # objects of earlier deploys are known, not "unknown"; corrupt ones are repaired
        records = tuple(read_records(target, previous, copies))
        options = replace(options, records=records, repairs=_wrong_hashes(target, local, remote))
    the_plan = plan(local, remote, options)
    if not the_plan.has_work and not leftovers:
        _check(the_plan, local, target, verify=verify)
        if on_plan is not None:
            on_plan(the_plan)
        applied = None if dry_run else ApplyResult(skipped=len(the_plan.files))
        if applied is not None:
            _prove(copies, target, digest, tool, live.version, applied.skipped)
        return PublishResult(target.url, the_plan, applied, time.perf_counter() - started)

    lock = Lock(target, now=now)
    with lock if not dry_run else nullcontext():  # released, also after a failure (quietly)
        the_plan, live = _plan_in_full(
            local, remote, target, options, live, copies, verify=verify, retention=retention, locked=not dry_run
        )
        if on_plan is not None:
            on_plan(the_plan)
        if dry_run:
            return PublishResult(target.url, the_plan, None, time.perf_counter() - started)
        if not the_plan.has_work:  # only an interrupted publish's leftovers: the target is as recorded
            lock.check()
            target.delete(JOURNAL_KEY)
            return PublishResult(target.url, the_plan, ApplyResult(skipped=len(the_plan.files)), time.perf_counter() - started)
        done = f"published deploy {the_plan.record.id}"
        unchanged.forget(copies.folder(target.url))  # the target changes: no proof stands until it is done
        applied, invalidation = execute(the_plan, target, lock, workers=workers, progress=progress, done=done,
                                        cloudfront_distribution=cloudfront_distribution,
                                        cloudfront_options=cloudfront_options, copies=copies)
    _prove(copies, target, digest, tool, getattr(target, "written", {}).get(CURRENT_KEY), len(local.objects))
    return PublishResult(target.url, the_plan, applied, time.perf_counter() - started, invalidation)


def _unchanged(target: Target, copies: LocalCopies, digest: str, tool: str) -> Published | tuple[Live, bool] | None:
    """The proof, if this build directory is what was last published to `target` and the
    target still holds that record (a 304) with nothing an interrupted publish left; else
    what the two requests found (the live record and the leftovers), or None if there is
    no proof to check (then publish reads as usual)."""
    proof = unchanged.load(copies.folder(target.url))
    if proof is None or (proof.url, proof.tool, proof.outputs) != (target.url, tool, digest):
        return None
    with ThreadPoolExecutor(max_workers=2) as pool:  # one round trip, as without the proof
        reading = pool.submit(target.read_if_changed, CURRENT_KEY, proof.version)
        leftovers = interrupted(target)
        found = reading.result()
    if found is None:
        return Live(None), leftovers
    data, version = found
    if data is None:  # 304: the record the proof was made against is still the live one
        return proof if not leftovers else (read_live(target, copies=copies), leftovers)
    copies.save(target.url, data, version)
    return Live(parse_current(target, data, copies=copies), version), leftovers


def _prove(copies: LocalCopies, target: Target, digest: str | None, tool: str, version: str | None, objects: int) -> None:
    """After a publish that left the live record describing this build directory (its
    files as `digest` saw them before they were read), keep the proof for the next one."""
    if digest is not None and version:
        unchanged.save(copies.folder(target.url), Published(target.url, tool, version, digest, objects))


def execute(
    the_plan: Plan,
    target: Target,
    lock: Lock,
    *,
    workers: int,
    progress: Callable[[Action], None] | None,
    cloudfront_distribution: str | None,
    cloudfront_options: dict[str, Any] | None,
    done: str,
    copies: LocalCopies | None = None,
) -> tuple[ApplyResult, dict[str, Any] | None]:
    """Apply a plan under `lock` (held): every step up to the journal's removal, then the
    CDN invalidation of the changed keep-name files, then pruning. Publish and rollback
    run their plans through here. `done` says what went live, for the error of a failed
    invalidation. With `copies`, the records written are kept for the next conditional read."""

    def tick(action: Action) -> None:  # runs on this thread after each finished action
        lock.refresh()
        if progress is not None:
            progress(action)

    def before_step(step: Step) -> None:
        if step.live:
            lock.check()  # taken over (it expired)? stop before anything live changes

    before_pruning = [s for s in Step if s < Step.PRUNE]
    applied = apply(the_plan, target, workers=workers, progress=tick, steps=before_pruning, before_step=before_step)
    invalidation = None
    if cloudfront_distribution and the_plan.invalidations:
        invalidation = _invalidate(the_plan, target, cloudfront_distribution, cloudfront_options or {}, done)
    if copies is not None:
        _keep_copy(copies, target, the_plan)
    applied.deleted = apply(the_plan, target, workers=workers, steps=(Step.PRUNE,)).deleted
    return applied, invalidation


def _keep_copy(copies: LocalCopies, target: Target, the_plan: Plan) -> None:
    """Remember the records this publish wrote (its own, and current.json), with the
    versions the target gave them: the next publish reads them conditionally."""
    written = getattr(target, "written", {})
    for action in the_plan.actions:
        if action.data is not None and written.get(action.key) and action.key != JOURNAL_KEY:
            copies.save(target.url, action.data, written[action.key], action.key)
        elif action.key == MANIFEST_NAME and action.obj is not None and action.obj.file and action.obj.sha256:
            copies.keep_file(target.url, action.obj.sha256, action.obj.file)  # the next publish's "previous"
    records = [the_plan.record, *(the_plan.options.records if the_plan.options else ())]
    copies.keep_objects(target.url, {key for r in records if r is not None for key in _content_keys(r)})


def _content_keys(record: DeployRecord) -> list[str]:
    """The content-addressed objects a record needs that a local copy may hold: its parts,
    and its manifest's stash if its objects have been read."""
    keys = record.part_keys()
    objects = record.objects
    if not isinstance(objects, LazyObjects) or objects.loaded:
        manifest = objects.get(MANIFEST_NAME)
        if manifest is not None and manifest.sha256:
            keys.append(part_key(manifest.sha256))
    return keys


def interrupted(target: Target) -> bool:
    """Did a publish leave its journal, or a stale lock (one LIST of `_assetpub/`, and a GET
    of the lock only when there is one)? A live lock's journal belongs to the publish
    running now: not ours to finish."""
    names = target.entries(RESERVED)
    if JOURNAL_KEY[len(RESERVED) :] not in names and LOCK_KEY[len(RESERVED) :] not in names:
        return False
    found = holder_of(target)
    return found is None or found[1]


def _plan_in_full(
    local: LocalState,
    remote: RemoteState,
    target: Target,
    options: PlanOptions,
    live: Live,
    copies: LocalCopies,
    *,
    verify: bool,
    retention: Retention | None,
    locked: bool,
) -> tuple[Plan, Live]:
    """The plan of a publish with work to do: with the record as it is once locked, what an
    interrupted publish left, and the stored records retention needs."""
    previous = options.previous
    if locked:
        live = read_live(target, verify=verify, known=live, copies=copies)  # another publish may have finished before we locked
        latest = live.record
        if (latest and latest.id) != (previous and previous.id):
            previous = latest
            options = replace(options, previous=latest, deploy_id=new_deploy_id(options.now, latest and latest.id))
            remote = _remote(target, previous, verify)
    if not verify:
        remote, options = _interrupted(target, local, remote, options, locked=locked)
    if retention is not None:
        records = tuple(read_records(target, previous, copies))
        listing = dict(target.listing()) if retention.delete_unknown else None
        options = replace(options, retention=retention, records=records, listing=listing)
        if not verify:
            remote = _with_retained(remote, records[: retention.keep])
    the_plan = plan(local, remote, options)
    _check(the_plan, local, target, verify=verify)
    return the_plan, live


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


def read_journal(target: Target, previous: DeployRecord | None, *, locked: bool) -> list[str]:
    """The keys an interrupted publish or rollback listed in its journal (it may have
    changed them). Its deploy record, if it was written but never made live, is removed
    (`locked` only: it is in no history)."""
    data = target.get(JOURNAL_KEY)
    orphan = journal_deploy(data)
    if locked and orphan and (previous is None or orphan > previous.id):
        target.delete(deploy_key(orphan))
    return journal_keys(data)


def _interrupted(target: Target, local: LocalState, remote: RemoteState, options: PlanOptions, *, locked: bool):
    """An interrupted publish left a journal: the keys it listed may be on the target (or
    have other headers) though no record says so. HEAD those this build publishes; plan
    with what they hold. Its deploy record, if it was written but never made live, is
    removed (it is in no history)."""
    pending = read_journal(target, options.previous, locked=locked)
    if not pending:
        return remote, options
    to_check = sorted(set(local.by_key) & set(pending))
    log.info("an interrupted publish left %d keys to check; checking %d", len(pending), len(to_check))
    with ThreadPoolExecutor(max_workers=16) as pool:
        found = dict(zip(to_check, pool.map(target.head, to_check), strict=False))
    objects = dict(remote.objects)
    for key, have in found.items():
        if have is None:
            objects.pop(key, None)  # gone (or never written): upload it
        else:
            known = objects.get(key)
            objects[key] = replace(have, fingerprinted=known.fingerprinted) if known else have
    return RemoteState(objects, remote.complete), replace(options, pending=tuple(pending))


def _wrong_hashes(target: Target, local: LocalState, remote: RemoteState) -> frozenset[str]:
    """--verify: fingerprinted objects whose stored hash differs from the build's. Their
    bytes are read and hashed (a few objects, on a damaged target); those that hold the
    build's bytes only need the right hash in their metadata. The others stay conflicts."""
    suspects = [
        o.key
        for o in local.objects
        if o.fingerprinted
        and o.sha256
        and (have := remote.objects.get(o.key)) is not None
        and have.sha256 is not None
        and have.sha256 != o.sha256
    ]
    if not suspects:
        return frozenset()
    by_key = local.by_key
    with ThreadPoolExecutor(max_workers=8) as pool:
        actual = dict(zip(suspects, pool.map(target.content_sha256, suspects), strict=False))
    return frozenset(key for key in suspects if actual[key] == by_key[key].sha256)


def _invalidate(the_plan: Plan, target: Target, distribution: str, options: dict[str, Any], done: str) -> dict[str, Any]:
    from .cdn import invalidate, invalidation_paths

    paths = invalidation_paths(the_plan.invalidations, prefix=target.prefix)
    try:
        invalidation_id = invalidate(distribution, paths, caller_reference=the_plan.record.id, **options)
    except PublishError as e:
        # live, but the CDN still serves old copies: say so; pruning does not run
        raise PublishError(f"{done}, but {e}" + ("; nothing was pruned" if the_plan.deletions else "")) from None
    return {"distribution": distribution, "id": invalidation_id, "paths": paths}


def _check(the_plan: Plan, local: LocalState, target: Target, *, verify: bool = False) -> None:
    if the_plan.conflicts:
        first = the_plan.conflicts[0]
        more = f" (and {len(the_plan.conflicts) - 1} more)" if len(the_plan.conflicts) > 1 else ""
        if verify:
            raise ImmutableConflict(
                f"{first}{more}: the published bytes differ from the build's, and a fingerprinted file is never "
                f"overwritten: if the build is right, delete {target.url}/{first} and publish again with --verify; "
                "otherwise rebuild"
            )
        raise ImmutableConflict(
            f"{first}{more}: fingerprinted key already published with different bytes; "
            "refusing to overwrite (the target or the build is corrupt: rebuild, or publish with --verify to "
            "compare the published bytes)"
        )
    if the_plan.missing:
        more = f" (and {len(the_plan.missing) - 1} more)" if len(the_plan.missing) > 1 else ""
        raise PublishError(
            f"{local.root / the_plan.missing[0]}{more}: listed in the manifest but missing from the build "
            "directory and not published yet (rebuild)"
        )
    if the_plan.refusal:
        raise PublishError(the_plan.refusal)
