"""apply(plan, target): execute a Plan, step by step. It decides nothing.

Within a step, actions run concurrently on a thread pool (one shared client); the next
step starts only when every action of the previous one succeeded. The first failure
cancels what has not started and is raised once the running actions have finished, so
a failed publish leaves the live manifest and pages untouched until step 2.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..origin import is_reserved
from .actions import Action, Kind, Step
from .plan import Plan
from .record import DEPLOYS_PREFIX
from .state import Headers
from .target import Target

log = logging.getLogger(__name__)

RECORD_HEADERS = Headers("application/json; charset=utf-8", "no-store")
DEFAULT_WORKERS = 16  # uploads are I/O bound; S3 takes 3,500 writes/s per prefix
DELETE_BATCH = 1000  # S3 DeleteObjects takes at most 1,000 keys (moto accepts more: do not rely on it)


@dataclass
class ApplyResult:
    uploaded: int = 0
    uploaded_bytes: int = 0
    updated: int = 0
    restored: int = 0  # a rollback's server-side copies
    skipped: int = 0
    deleted: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "uploaded": self.uploaded,
            "uploaded_bytes": self.uploaded_bytes,
            "updated": self.updated,
            "restored": self.restored,
            "skipped": self.skipped,
            "deleted": self.deleted,
            "seconds": round(self.seconds, 3),
        }


def apply(
    plan: Plan,
    target: Target,
    *,
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[Action], None] | None = None,
    steps: Iterable[Step] = tuple(Step),
    before_step: Callable[[Step], None] | None = None,
) -> ApplyResult:
    """Run every non-skip action of `plan` against `target`, in step order (only `steps`:
    the publisher invalidates the CDN between step 4 and pruning). `before_step(step)` runs
    before each step that has actions (the publisher checks it still holds the lock)."""
    steps = set(steps)
    started = time.perf_counter()
    skipped = sum(1 for a in plan.files if a.kind is Kind.SKIP) if Step.NEW_FILES in steps else 0
    result = ApplyResult(skipped=skipped)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="assetpub-publish") as pool:
        for step, actions in plan.steps():
            if step not in steps:
                continue
            if before_step is not None:
                before_step(step)
            if step is Step.PRUNE:
                _prune(actions, target, result)
            elif step.sequential or len(actions) == 1:
                for action in actions:
                    _run(action, target)
                    _count(result, action, progress)
                    if step.sequential:
                        target.end_step(step)  # each in order, durably (the directory target syncs)
            else:
                _run_concurrently(pool, actions, target, result, progress)
            target.end_step(step)
            log.debug("step %d done (%d actions)", step, len(actions))
    result.seconds = time.perf_counter() - started
    return result


def _run_concurrently(pool, actions, target, result, progress) -> None:
    futures = {pool.submit(_run, action, target): action for action in actions}
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # raises the first failure
                _count(result, futures[future], progress)
    except BaseException:
        for future in pending:
            future.cancel()
        wait(pending)
        raise


def _prune(actions: list[Action], target: Target, result: ApplyResult) -> None:
    # objects first, then the records that listed them: a record outlives its objects
    objects = [a.key for a in actions if not a.key.startswith(DEPLOYS_PREFIX)]
    records = [a.key for a in actions if a.key.startswith(DEPLOYS_PREFIX)]
    for keys in (objects, records):
        for start in range(0, len(keys), DELETE_BATCH):
            target.delete_many(keys[start : start + DELETE_BATCH])
    result.deleted = sum(1 for k in objects if not is_reserved(k))


def _run(action: Action, target: Target) -> None:
    # Action checked when it was made that each kind has what it needs here
    kind = action.kind
    if kind is Kind.UPLOAD or kind is Kind.OVERWRITE:
        target.upload(action.obj)
    elif kind is Kind.STASH:
        target.upload(action.obj, key=action.key)
    elif kind is Kind.UPDATE_HEADERS:
        target.update_headers(action.obj)
    elif kind is Kind.RESTORE:
        target.copy(action.source, action.key, action.obj.headers, action.obj.sha256)
    elif kind is Kind.PUT:
        target.put_bytes(action.key, action.data, RECORD_HEADERS)
    elif kind is Kind.DELETE:
        target.delete(action.key)
    else:  # SKIP never gets here (Plan.steps leaves it out)
        raise ValueError(f"apply: no way to run a {kind} action ({action.key})")


def _count(result: ApplyResult, action: Action, progress) -> None:
    if action.kind.sends:
        result.uploaded += 1
        result.uploaded_bytes += action.size
    elif action.kind is Kind.UPDATE_HEADERS:
        result.updated += 1
    elif action.kind is Kind.RESTORE:
        result.restored += 1
    if progress is not None and action.kind.writes:
        progress(action)
