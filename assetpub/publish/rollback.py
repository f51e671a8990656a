"""rollback(): make an earlier deploy live again, and `deploys()`: the stored deploys.

A rollback is a Plan like a publish (plan_rollback, pure), run by the publisher's
execute(): so `--dry-run`, `--json`, the progress bar, the journal, the lock checks and the
CDN invalidation are the publish's own. Fingerprinted files of the earlier deploy are
still on the target (retention keeps every object the last N deploys reference); the
files that keep their names are put back (RESTORE: a server-side copy) from the
content-addressed stash (`_assetpub/objects/<sha256>`, written by publish) in step 2,
then its manifest, then a new deploy record that lists exactly the earlier deploy's
objects (step 3). If any file it needs is gone, nothing is changed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from .. import __version__
from ..safe_path import check_id
from .actions import Action, Kind, Reason, Step
from .apply import DEFAULT_WORKERS
from .errors import PublishError
from .lock import Lock
from .plan import Plan, PlanOptions, with_records
from .prune import stash_key
from .publisher import PublishResult, execute, read_journal
from .record import DeployRecord, new_deploy_id, next_record
from .state import MANIFEST_NAME, LocalObject, RemoteObject
from .store import deploy_summaries, read_live, read_record
from .target import Target

log = logging.getLogger(__name__)


@dataclass
class RollbackResult(PublishResult):
    """A publish's result (`--json` has the same shape), and which deploy was restored."""

    restored_from: str = ""

    @property
    def restored(self) -> list[str]:
        """The keys put back (or, for a dry run, that would be), in the order they are applied."""
        return [a.key for a in self.plan.actions if a.kind is Kind.RESTORE]

    @property
    def deploy(self) -> str | None:
        """The new deploy's id (None for a dry run)."""
        return self.plan.record.id if self.applied is not None and self.plan.record else None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "restored_from": self.restored_from, "deploy": self.deploy,
                "restored": self.restored}


def deploys(target: Target) -> list[dict[str, Any]]:
    """Every stored deploy, newest first: id, time, tool, objects, bytes, live (store.py)."""
    return deploy_summaries(target)


def rollback(
    target: Target,
    *,
    deploy_id: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    cloudfront_distribution: str | None = None,
    cloudfront_options: dict[str, Any] | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[Action], None] | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> RollbackResult:
    """Make deploy `deploy_id` (default: the one before the live one) live again. The
    server-side copies run `workers` at a time, the manifest last. `progress` and
    `on_plan` are publish()'s."""
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    live = read_live(target)
    current = live.record
    if current is None:
        raise PublishError(f"{target.url}: nothing was published here, nothing to roll back")
    record = _load(target, _choose(current, deploy_id))
    if dry_run:  # what the real run would do now: with what an interrupted run left, too
        pending = read_journal(target, current, locked=False)
        the_plan = _plan(target, record, current, now, pending=tuple(pending))
        if on_plan is not None:
            on_plan(the_plan)
        return RollbackResult(target.url, the_plan, None, time.perf_counter() - started, restored_from=record.id)
    with Lock(target, now=now, purpose="rollback") as lock:  # released, also after a failure (quietly)
        latest = read_live(target, known=live).record or current  # a 304 unless another publish went live
        if latest.id != current.id:  # "the one before the live one", "already live": of the live one now
            current = latest
            record = _load(target, _choose(current, deploy_id))
        pending = read_journal(target, current, locked=True)  # what an interrupted run may have changed
        the_plan = _plan(target, record, current, now, pending=tuple(pending))
        if on_plan is not None:
            on_plan(the_plan)
        done = f"rolled back {target.url} to deploy {record.id} (new deploy {the_plan.record.id})"
        applied, invalidation = execute(the_plan, target, lock, workers=workers, progress=progress, done=done,
                                        cloudfront_distribution=cloudfront_distribution,
                                        cloudfront_options=cloudfront_options)
    seconds = time.perf_counter() - started
    return RollbackResult(target.url, the_plan, applied, seconds, invalidation, restored_from=record.id)


def plan_rollback(record: DeployRecord, present: set[str], options: PlanOptions) -> Plan:
    """The plan that makes `record` live again over `options.previous` (the live record):
    restore each key whose live bytes or headers differ from `record`'s (and each keep-name
    key an interrupted run listed in `options.pending`), keep-name files in step 2, the
    manifest in step 3, then the new record. Keys `record` needs that are not `present` on
    the target are the plan's `missing` (the rollback must not run). Pure."""
    current = options.previous
    new = next_record(
        deploy_id=options.deploy_id,
        now=options.now,
        tool=options.tool,
        manifest=record.manifest,
        objects=record.objects,
        prefix=options.prefix,
        previous=current,
    )
    objects = {key: _object(key, entry) for key, entry in record.objects.items()}
    missing = tuple(sorted(key for key, obj in objects.items() if _source(obj) not in present))
    restores = [
        Action(Kind.RESTORE, key, Reason.ROLLED_BACK, obj.step, obj, source=_source(obj), detail=record.id)
        for key in _changes(current, record, set(options.pending))
        for obj in [objects[key]]
    ]
    known = {*current.part_keys(), *record.part_keys()} if current is not None else set(record.part_keys())
    actions = with_records(restores, new, [a.key for a in restores], options.pending, known_parts=known)
    return Plan(actions, new, missing=missing, options=options)


def _plan(target: Target, record: DeployRecord, current: DeployRecord, now: datetime, pending: tuple[str, ...]) -> Plan:
    """plan_rollback with what the target holds (one listing); refused if a file is gone."""
    options = PlanOptions(
        deploy_id=new_deploy_id(now, current.id),
        now=now,
        tool=f"assetpub {__version__}",
        prefix=target.prefix,
        previous=current,
        pending=pending,
    )
    the_plan = plan_rollback(record, {k for k, _ in target.listing()}, options)
    if the_plan.missing:
        missing = the_plan.missing
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise PublishError(
            f"cannot roll back to deploy {record.id}: {missing[0]}{more} is no longer on {target.url}; "
            "nothing was changed"
        )
    return the_plan


def _object(key: str, remote: RemoteObject) -> LocalObject:
    """An object of the record, as a restore makes it live (no local file)."""
    step = Step.RECORDS if key == MANIFEST_NAME else Step.LIVE_FILES  # fingerprinted ones: new headers
    return LocalObject(key, None, remote.sha256, remote.size, remote.headers, remote.fingerprinted, step)


def _source(obj: LocalObject) -> str:
    """Where a restore copies from: a fingerprinted file is still under its own name; the
    bytes of a keep-name file are in the stash."""
    return obj.key if obj.fingerprinted else stash_key(obj.sha256 or "")


def _choose(current: DeployRecord, deploy_id: str | None) -> str:
    if deploy_id is None:
        if not current.history:
            raise PublishError("there is no earlier deploy to roll back to (see `assetpub deploys`)")
        return current.history[0].id
    if deploy_id == current.id:
        raise PublishError(f"deploy {deploy_id} is already live")
    return deploy_id


def _load(target: Target, deploy_id: str) -> DeployRecord:
    check_id(deploy_id, what="deploy id")
    record = read_record(target, deploy_id)
    if record is None:
        raise PublishError(
            f"deploy {deploy_id} not found on {target.url} (see `assetpub deploys`; retention may have removed it)"
        )
    return record


def _changes(current: DeployRecord, record: DeployRecord, pending: set[str]) -> list[str]:
    """Keys whose live bytes or headers differ from the earlier deploy's, and keep-name keys
    an interrupted run may have changed, in key order (the plan's steps put the manifest last)."""
    live, wanted = current.remote_state().objects, record.remote_state().objects
    changed = []
    for key, obj in wanted.items():
        have = live.get(key)
        if obj.fingerprinted and have is None:
            continue  # still there under its immutable name (checked), nothing to put back
        if have != obj or (key in pending and not obj.fingerprinted):
            changed.append(key)
    return sorted(changed)
