"""System check: is ASSETPUB_MANIFEST set, present and a readable assetpub manifest?

An Error when helpers are strict (pages would fail to render), a Warning when not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from ..errors import ManifestError
from ..manifest import MANIFEST_NAME, Manifest


@checks.register()
def check_manifest(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    level = checks.Error if getattr(settings, "ASSETPUB_STRICT", True) else checks.Warning
    manifest = getattr(settings, "ASSETPUB_MANIFEST", None)
    if not manifest:
        return [
            checks.Error(
                "ASSETPUB_MANIFEST is not set.",
                hint="Set it to the build's assetpub-manifest.json (run `assetpub build` to make one).",
                id="assetpub.E001",
            )
        ]
    path = Path(manifest)
    if path.is_dir():
        path = path / MANIFEST_NAME
    if not path.exists():
        return [
            level(
                f"assetpub manifest not found: {path}",
                hint="Run `assetpub build` (or correct ASSETPUB_MANIFEST).",
                id="assetpub.E002" if level is checks.Error else "assetpub.W002",
            )
        ]
    try:
        Manifest.load(path)
    except ManifestError as e:
        return [
            level(
                f"assetpub manifest unreadable: {e}",
                hint="Rebuild with `assetpub build`; check the file's permissions.",
                id="assetpub.E003" if level is checks.Error else "assetpub.W003",
            )
        ]
    return []
