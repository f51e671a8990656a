"""What a report describes: a manifest's assets, and a way to read their bytes (for the
diff's cascade check), from a build directory or from a deploy stored in a target."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import UsageError
from ..manifest import Entry, Manifest, usable_entries
from ..safe_path import UnsafePath, inside

Reader = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class Snapshot:
    label: str  # "build _build" or "deploy 20261130T…-1a2b3c"
    assets: Mapping[str, Mapping[str, Any]]  # the manifest's table, as stored
    read: Reader  # output path -> bytes, or None when it cannot be read
    deploy_id: str | None = None

    @cached_property
    def entries(self) -> Mapping[str, Entry]:
        """The assets as typed entries (manifest.parse_entry); one a foreign or damaged
        record cannot describe is left out of the report, with a warning naming it."""
        return usable_entries(self.assets, where=self.label, then="left out of the report")


def from_build_dir(path: str | os.PathLike) -> Snapshot:
    """The build in `path` (its assetpub-manifest.json). Reads only files inside it."""
    root = Path(path)
    manifest = Manifest.load(root)  # ManifestError (exit 1) names the file when it is missing

    def read(rel: str) -> bytes | None:
        try:
            return inside(root, rel).read_bytes()  # never outside the build directory (safe_path)
        except (UnsafePath, OSError):
            return None

    return Snapshot(f"build {_shown(root)}", manifest.assets, read)


def _shown(path: Path) -> str:
    """A build directory as the user would name it: relative to the current directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except (ValueError, OSError):
        return str(path)


def from_record(target, record) -> Snapshot:
    """A deploy stored in `target` (a publish.record.DeployRecord): its manifest, and the
    target's objects for bytes (only keys of that deploy are read)."""
    assets = (record.manifest or {}).get("assets") or {}
    keys = set(record.objects)

    def read(key: str) -> bytes | None:
        return target.get(key) if key in keys else None

    return Snapshot(f"deploy {record.id}", assets, read, deploy_id=record.id)


def find_record(records: list, deploy_id: str):
    """The record of `deploy_id` ("live": the current one) among `records` (newest first)."""
    if deploy_id == "live" and records:
        return records[0]
    for record in records:
        if record.id == deploy_id:
            return record
    known = ", ".join(r.id for r in records[:5]) or "none"
    raise UsageError(f"--against {deploy_id}: no such deploy in the target, and not a build directory"
                     f" (deploys, newest first: {known})")
