"""publish(): read the build and the target's record, plan, check, apply.

A publish with nothing to do costs one request (GET current.json). With work to do it
also reads the journal an interrupted publish may have left, and checks (HEAD) only the
keys that journal lists, so a re-run uploads only what is really missing.
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
from .apply import DEFAULT_WORKERS, ApplyResult, apply
from .errors import ImmutableConflict, PublishError
from .plan import WRITES, Action, Plan, PlanOptions, plan
from .record import CURRENT_KEY, JOURNAL_KEY, DeployRecord, journal_keys, new_deploy_id
from .state import LocalState, RemoteState, load_local
from .target import Target

log = logging.getLogger(__name__)
_UNREAD = object()


@dataclass
class PublishResult:
    target: str
    plan: Plan
    applied: ApplyResult | None = None  # None for a dry run
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "dry_run": self.applied is None,
            "plan": self.plan.to_dict(),
            "result": self.applied.to_dict() if self.applied else None,
            "seconds": round(self.seconds, 3),
            **self.extra,
        }


def read_current(target: Target) -> DeployRecord | None:
    """The live deploy record (one GET), or None on a target never published to."""
    data = target.get(CURRENT_KEY)
    if data is None:
        return None
    return DeployRecord.from_json(data, where=f"{target.url}/{CURRENT_KEY}")


def publish(
    build_dir: str | os.PathLike,
    *,
    target: Target,
    dry_run: bool = False,
    verify: bool = False,
    workers: int = DEFAULT_WORKERS,
    now: datetime | None = None,
    previous: Any = _UNREAD,
    progress: Callable[[Action], None] | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> PublishResult:
    """Publish BUILD_DIR to `target` (see open_target). `previous` may pass a record the
    caller already read (deploy does), saving the GET. `on_plan` sees the plan before it
    is applied (the CLI sizes its progress bar from it)."""
    started = time.perf_counter()
    local = load_local(build_dir)
    if previous is _UNREAD:
        previous = read_current(target)
    remote = previous.remote_state() if previous is not None else RemoteState()
    if verify:
        remote = RemoteState(dict(target.scan()), complete=True)
    now = now or datetime.now(timezone.utc)
    options = PlanOptions(
        deploy_id=new_deploy_id(now), now=now, tool=f"assetpub {__version__}", prefix=target.prefix, previous=previous
    )
    the_plan = plan(local, remote, options)
    if the_plan.has_work and not verify:
        the_plan = _finish_interrupted(the_plan, local, remote, target, options)
    _check(the_plan, local)
    if on_plan is not None:
        on_plan(the_plan)
    if dry_run:
        return PublishResult(target.url, the_plan, None, time.perf_counter() - started)
    applied = apply(the_plan, target, workers=workers, progress=progress) if the_plan.has_work else ApplyResult(
        skipped=len(the_plan.files)
    )
    return PublishResult(target.url, the_plan, applied, time.perf_counter() - started)


def _finish_interrupted(the_plan: Plan, local: LocalState, remote: RemoteState, target: Target, options: PlanOptions) -> Plan:
    """An interrupted publish left a journal: the keys it listed may be on the target already
    though no record says so. HEAD those we would write, and plan again with what they hold."""
    pending = journal_keys(target.get(JOURNAL_KEY))
    if not pending:
        return the_plan
    to_check = sorted({a.key for a in the_plan.actions if a.kind in WRITES} & set(pending))
    log.info("an interrupted publish left %d keys to check; checking %d", len(pending), len(to_check))
    with ThreadPoolExecutor(max_workers=16) as pool:
        found = dict(zip(to_check, pool.map(target.head, to_check)))
    objects = dict(remote.objects)
    objects.update({k: v for k, v in found.items() if v is not None})
    return plan(local, RemoteState(objects, remote.complete), replace(options, pending=tuple(pending)))


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
