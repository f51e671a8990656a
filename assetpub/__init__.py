"""assetpub: a static-asset pipeline and CDN publisher.

    >>> import assetpub
    >>> result = assetpub.build(["assets"], out="build", base_url="/static/")
    >>> assetpub.Manifest.load("build").url("css/app.css")
    '/static/css/app.3f9a2c1d5e6b.css'
    >>> assetpub.publish("build", target=assetpub.open_target("s3://my-bucket/static"))

Names are imported on first use (PEP 562), so `import assetpub` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "build": "builder",
    "BuildResult": "builder",
    "clean": "output",
    "Manifest": "manifest",
    "publish": "publish",
    "open_target": "publish",
    "deploy": "publish.deploy",
    "AssetpubError": "errors",
    "AssetNotFound": "errors",
    "BuildError": "errors",
    "ConfigError": "errors",
    "ManifestError": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assetpub' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover  # for type checkers and IDEs only
    from .builder import BuildResult, build
    from .errors import AssetNotFound, AssetpubError, BuildError, ConfigError, ManifestError
    from .manifest import Manifest
    from .output import clean
    from .publish import open_target, publish
    from .publish.deploy import deploy
