"""Flask adapter: the asset helpers in every template of an app.

    app.config["ASSETPUB_MANIFEST"] = "build/assetpub-manifest.json"
    assetpub = AssetPub(app)            # or AssetPub() ... assetpub.init_app(app)

Settings (`app.config`):

* `ASSETPUB_MANIFEST` (required): the manifest file or build directory; a relative
  path is relative to `app.root_path`, as Flask's own folders are.
* `ASSETPUB_BASE_URL`: `/assets/` or `https://cdn.example.com/assets/` (default: the manifest's).
* `ASSETPUB_STRICT` (default True): a missing asset raises; False returns its unhashed URL.
* `ASSETPUB_RELOAD` (default: `app.debug`, read per request): re-read the manifest
  when it changes (one `stat` per request).
* `ASSETPUB_IMPORTMAP`: {bare alias: logical name} for `asset_importmap()`.

Flask is an optional dependency (`pip install assetpub[flask]`); only this module needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

try:
    from flask import Flask
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("assetpub.flask needs Flask: pip install 'assetpub[flask]'") from e

from .errors import ConfigError
from .jinja import install
from .resolver import Resolver

EXTENSION_KEY = "assetpub"


class AssetPub:
    """The Flask extension. `resolver` is the app's Resolver after `init_app`."""

    def __init__(self, app: Flask | None = None):
        self.resolver: Resolver | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        manifest = app.config.get("ASSETPUB_MANIFEST")
        if not manifest:
            raise ConfigError("Flask config ASSETPUB_MANIFEST is not set (the build's assetpub-manifest.json)")
        reload = app.config.get("ASSETPUB_RELOAD")
        self.resolver = Resolver(
            Path(app.root_path) / manifest,
            base_url=app.config.get("ASSETPUB_BASE_URL"),
            strict=app.config.get("ASSETPUB_STRICT", True),
            reload=bool(reload),
            importmap=app.config.get("ASSETPUB_IMPORTMAP") or (),
        )
        app.extensions[EXTENSION_KEY] = self.resolver
        install(app.jinja_env, resolver=self.resolver)
        if reload is None:
            # app.debug is often set after init_app (app.run(debug=True)), so decide per request
            app.before_request(self._refresh_in_debug)

    def _refresh_in_debug(self) -> Any:
        from flask import current_app

        if current_app.debug and self.resolver is not None:
            self.resolver.refresh()
        return None


def resolver(app: Flask) -> Resolver:
    """The resolver `AssetPub` installed on `app` (for URLs outside templates)."""
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise ConfigError("assetpub is not set up on this Flask app (call AssetPub(app))") from None
