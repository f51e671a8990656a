"""One call that gathers a report: what to describe (a build directory, or a deploy in a
target), what to compare it with, the target's deploy history, the budgets' use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from ..budgets import Budget, BudgetUse, check_budgets
from ..errors import AssetpubError, UsageError
from .diff import diff
from .model import build_report, history
from .snapshot import Snapshot, find_record, from_build_dir, from_record


def deploy_records(target) -> list:
    """Every deploy record stored in `target`, newest first (the live one first)."""
    from ..publish.publisher import read_current, read_records

    return read_records(target, read_current(target))


def collect(
    build_dir: str | os.PathLike | None = None,
    *,
    target=None,
    deploy: str | None = None,
    against: str | os.PathLike | None = None,
    budgets: Iterable[Budget] = (),
    snapshot: Snapshot | None = None,
) -> tuple[dict[str, Any], list[BudgetUse]]:
    """(report, budget uses).

    Describes `snapshot`, else `build_dir`, else the deploy `deploy` (default: the live
    one) of `target`. `against`: a build directory, or a deploy id of `target` ("live":
    the live deploy); not given, a target's deploy is compared with the deploy before it
    and a build directory with the live deploy when a target is given. With a target, the
    report carries its deploy history."""
    records = deploy_records(target) if target is not None else []
    if snapshot is None and build_dir is not None:
        snapshot = from_build_dir(build_dir)
    elif snapshot is None:
        if target is None:
            raise UsageError("nothing to report: pass BUILD_DIR or --to TARGET (or set 'out' in the config)")
        if not records:
            raise AssetpubError(f"{target.url}: no deploys to report (publish one first)")
        snapshot = from_record(target, find_record(records, deploy or "live"))
    old = _against(against, target, records, snapshot)
    uses = check_budgets(snapshot.entries, budgets)
    report = build_report(
        snapshot,
        changes=diff(old, snapshot) if old is not None else None,
        history=history(records),
        budgets=uses,
    )
    return report, uses


def _against(against, target, records: list, snapshot: Snapshot) -> Snapshot | None:
    if against is not None:
        if Path(against).is_dir():
            return from_build_dir(against)
        if target is None:
            raise UsageError(f"--against {against}: not a build directory (a deploy id needs --to TARGET)")
        return from_record(target, find_record(records, str(against)))
    if not records:
        return None
    if snapshot.deploy_id is None:  # a build: what it would change on the live site
        return from_record(target, records[0])
    ids = [r.id for r in records]
    older = ids.index(snapshot.deploy_id) + 1 if snapshot.deploy_id in ids else len(ids)
    return from_record(target, records[older]) if older < len(records) else None
