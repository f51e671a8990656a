"""Django app `assetpub.django`: the `assetpub` template tag library and a system check.

    INSTALLED_APPS = [..., "assetpub.django"]
    ASSETPUB_MANIFEST = BASE_DIR / "build" / "assetpub-manifest.json"
    ASSETPUB_BASE_URL = "https://cdn.example.com/assets/"   # optional; default: the manifest's
    ASSETPUB_STRICT = True                                  # optional; False: unhashed URLs + warning
    ASSETPUB_RELOAD = DEBUG                                 # optional; re-read a changed manifest
    ASSETPUB_IMPORTMAP = {"vendor": "vendor/version.js"}    # optional; bare aliases

    {% load assetpub %}{% asset_tag "css/app.css" %}

Django is an optional dependency (`pip install assetpub[django]`).
"""

from __future__ import annotations

from .resolver import get_resolver

__all__ = ["get_resolver"]
