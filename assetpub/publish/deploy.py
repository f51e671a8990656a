"""deploy(): build, then publish, asking the target first what is already published.

On a fresh CI checkout nothing is cached locally. The live deploy record holds the
manifest entry of every published asset, keyed by its full fingerprint; fingerprints
are computed from sources alone (docs/fingerprints.md), so the builder can skip all work
(minify, compress, write) for an asset whose fingerprint is already published and copy
its manifest entry. Publish then sees those objects as "already published".
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from ..config import Config
from ..manifest import parse_entry
from .apply import DEFAULT_WORKERS
from .plan import Action, Plan
from .publisher import PublishResult, publish
from .record import DeployRecord
from .store import LocalCopies, read_live
from .target import Target

log = logging.getLogger(__name__)
_DIGEST = re.compile(r"[0-9a-f]{64}")


def reusable(record: DeployRecord | None) -> dict[str, Mapping[str, Any]]:
    """{full digest: manifest entry} for every fingerprinted asset the record shows fully
    published (the file and all its variants)."""
    if record is None:
        return {}
    assets = (record.manifest or {}).get("assets") or {}
    out: dict[str, Mapping[str, Any]] = {}
    for table in assets.values():
        try:
            entry = parse_entry(table)
        except ValueError:
            continue  # not reused: built afresh
        if not entry.fingerprinted or not _DIGEST.fullmatch(entry.digest or ""):
            continue
        if all(k in record.objects for k in entry.paths()):
            out[entry.digest] = table  # as recorded: the new manifest repeats it byte for byte
    return out


def deploy(
    config: Config,
    *,
    target: Target,
    dry_run: bool = False,
    verify: bool = False,
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[Action], None] | None = None,
    on_plan: Callable[[Plan], None] | None = None,
    **publish_options: Any,
) -> tuple[Any, PublishResult]:
    """Build `config` (into config.out, or a temporary directory) and publish it to `target`.
    `publish_options` go to publish() (retention, cloudfront_distribution, now, ...)."""
    from ..builder import build

    previous = read_live(target, verify=verify, copies=LocalCopies(config.out) if config.out is not None else None)
    args = (build, previous, target, dry_run, verify, workers, progress, on_plan, publish_options)
    if config.out is None:
        with tempfile.TemporaryDirectory(prefix="assetpub-deploy-") as tmp:
            return _run(config.replace(out=Path(tmp)), *args)
    return _run(config, *args)


def _run(config, build, previous, target, dry_run, verify, workers, progress, on_plan, publish_options):
    reuse = reusable(previous.record) if not verify else {}
    built = build(config=config, reuse=reuse)
    result = publish(
        built.out,
        target=target,
        dry_run=dry_run,
        verify=verify,
        workers=workers,
        previous=previous,
        progress=progress,
        on_plan=on_plan,
        **publish_options,
    )
    return built, result
