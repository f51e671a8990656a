"""rollback(): make an earlier deploy live again, and `deploys()`: the stored deploys.

Fingerprinted files of the earlier deploy are still on the target (retention keeps
every object the last N deploys reference); the files that keep their names are put
back from the content-addressed stash (`_assetpub/objects/<sha256>`, written by publish)
with server-side copies, then its manifest, then a new deploy record that lists exactly
the earlier deploy's objects. If any file it needs is gone, nothing is changed.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import __version__
from .apply import DEFAULT_WORKERS
from .errors import PublishError
from .lock import Lock
from .prune import stash_key
from .record import CURRENT_KEY, DeployRecord, deploy_key, new_deploy_id, next_record
from .state import MANIFEST_NAME, Headers
from .store import deploy_summaries, read_live
from .target import Target

log = logging.getLogger(__name__)


@dataclass
class RollbackResult:
    target: str
    restored_from: str
    deploy: str | None  # the new deploy id (None for a dry run)
    restored: list[str] = field(default_factory=list)
    invalidation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "restored_from": self.restored_from,
            "deploy": self.deploy,
            "restored": self.restored,
            "invalidation": self.invalidation,
        }


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
) -> RollbackResult:
    """Make deploy `deploy_id` (default: the one before the live one) live again. The
    server-side copies run `workers` at a time, the manifest last."""
    now = now or datetime.now(timezone.utc)
    live = read_live(target)
    current = live.record
    if current is None:
        raise PublishError(f"{target.url}: nothing was published here, nothing to roll back")
    wanted = _choose(current, deploy_id)
    record = _load(target, wanted)
    _check_present(target, record)
    if dry_run:
        return RollbackResult(target.url, record.id, None, _changes(current, record))
    with Lock(target, now=now, purpose="rollback") as lock:
        current = read_live(target, known=live).record or current  # a 304 unless it changed
        changes = _changes(current, record)
        lock.check()
        _restore(target, record, changes, workers)
        target.end_step(2)
        new = next_record(
            deploy_id=new_deploy_id(now, current.id),
            now=now,
            tool=f"assetpub {__version__}",
            manifest=record.manifest,
            objects=record.objects,
            prefix=target.prefix,
            previous=current,
        )
        data = new.stored()
        lock.check()
        target.put_bytes(deploy_key(new.id), data, _RECORD_HEADERS)
        target.put_bytes(CURRENT_KEY, data, _RECORD_HEADERS)
        target.end_step(3)
    result = RollbackResult(target.url, record.id, new.id, changes)
    keep_name = [k for k in changes if not record.objects[k].fingerprinted]
    if cloudfront_distribution and keep_name:
        from .cdn import invalidate, invalidation_paths

        paths = invalidation_paths(keep_name, prefix=target.prefix)
        try:
            invalidation_id = invalidate(
                cloudfront_distribution, paths, caller_reference=new.id, **(cloudfront_options or {})
            )
        except PublishError as e:  # the rollback is done; the CDN still serves the newer pages
            raise PublishError(
                f"rolled back {target.url} to deploy {record.id} (new deploy {new.id}), but {e}"
            ) from None
        result.invalidation = {"distribution": cloudfront_distribution, "id": invalidation_id, "paths": paths}
    return result


_RECORD_HEADERS = Headers("application/json; charset=utf-8", "no-store")


def _restore(target: Target, record: DeployRecord, changes: list[str], workers: int) -> None:
    """Copy every changed key back, concurrently; the manifest alone, after all the rest
    (it must not point at anything not yet restored). The first failure stops the rest."""

    def copy(key: str) -> None:
        entry = record.objects[key]
        source = key if entry.fingerprinted else stash_key(entry.sha256 or "")
        target.copy(source, key, entry.headers, entry.sha256 or "")

    files = [k for k in changes if k != MANIFEST_NAME]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="assetpub-rollback") as pool:
        futures = [pool.submit(copy, key) for key in files]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    if MANIFEST_NAME in changes:
        copy(MANIFEST_NAME)


def _choose(current: DeployRecord, deploy_id: str | None) -> str:
    if deploy_id is None:
        if not current.history:
            raise PublishError("there is no earlier deploy to roll back to (see `assetpub deploys`)")
        return current.history[0].id
    if deploy_id == current.id:
        raise PublishError(f"deploy {deploy_id} is already live")
    return deploy_id


def _load(target: Target, deploy_id: str) -> DeployRecord:
    key = deploy_key(deploy_id)
    data = target.get(key)
    if data is None:
        raise PublishError(
            f"deploy {deploy_id} not found on {target.url} (see `assetpub deploys`; retention may have removed it)"
        )
    return DeployRecord.from_json(data, where=f"{target.url}/{key}")


def _check_present(target: Target, record: DeployRecord) -> None:
    present = {k for k, _ in target.listing()}
    missing = []
    for key, entry in sorted(record.objects.items()):
        need = key if entry.fingerprinted else stash_key(entry.sha256 or "")
        if need not in present:
            missing.append(key)
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise PublishError(
            f"cannot roll back to deploy {record.id}: {missing[0]}{more} is no longer on {target.url}; "
            "nothing was changed"
        )


def _changes(current: DeployRecord, record: DeployRecord) -> list[str]:
    """Keys whose live bytes or headers differ from the earlier deploy's: keep-name files
    first, the manifest last (it must not point at anything not yet restored)."""
    changed = []
    for key, entry in record.objects.items():
        live = current.objects.get(key)
        if entry.fingerprinted and live is None:
            continue  # still there under its immutable name (checked), nothing to put back
        if live is None or live != entry:
            changed.append(key)
    return sorted(changed, key=lambda k: (k == MANIFEST_NAME, record.objects[k].fingerprinted is False, k))
