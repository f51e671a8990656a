"""The one Resolver of a Django project, made from settings on first use and
dropped when an ASSETPUB_* setting changes (override_settings in tests)."""

from __future__ import annotations

import threading

try:
    from django.conf import settings
    from django.core.signals import setting_changed
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("assetpub.django needs Django: pip install 'assetpub[django]'") from e

from ..errors import ConfigError
from ..resolver import Resolver

_lock = threading.Lock()
_resolver: Resolver | None = None


def get_resolver() -> Resolver:
    """The project's resolver, from ASSETPUB_MANIFEST, ASSETPUB_BASE_URL, ASSETPUB_STRICT,
    ASSETPUB_RELOAD (default: DEBUG) and ASSETPUB_IMPORTMAP."""
    global _resolver
    if _resolver is None:
        with _lock:
            if _resolver is None:
                _resolver = _make()
    return _resolver


def _make() -> Resolver:
    manifest = getattr(settings, "ASSETPUB_MANIFEST", None)
    if not manifest:
        raise ConfigError("Django setting ASSETPUB_MANIFEST is not set (the build's assetpub-manifest.json)")
    return Resolver(
        manifest,
        base_url=getattr(settings, "ASSETPUB_BASE_URL", None),
        strict=getattr(settings, "ASSETPUB_STRICT", True),
        reload=getattr(settings, "ASSETPUB_RELOAD", settings.DEBUG),
        importmap=getattr(settings, "ASSETPUB_IMPORTMAP", None) or (),
    )


def _reset(*, setting: str, **kwargs: object) -> None:
    global _resolver
    if setting.startswith("ASSETPUB_") or setting == "DEBUG":
        with _lock:
            _resolver = None


setting_changed.connect(_reset, dispatch_uid="assetpub.django.reset")
