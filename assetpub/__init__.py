"""assetpub: a static-asset pipeline and CDN publisher.

    >>> import assetpub
    >>> result = assetpub.build(["assets"], out="build", base_url="/static/")
    >>> assetpub.Manifest.load("build/assetpub-manifest.json").url("css/app.css")
    '/static/css/app.3f9a2c1d5e6b.css'
"""

__version__ = "0.1.0"

from .builder import BuildResult, build  # noqa: E402
from .errors import AssetNotFound, AssetpubError, BuildError, ConfigError, ManifestError  # noqa: E402
from .manifest import Manifest  # noqa: E402
from .output import clean  # noqa: E402

__all__ = [
    "__version__",
    "build",
    "BuildResult",
    "clean",
    "Manifest",
    "AssetpubError",
    "AssetNotFound",
    "BuildError",
    "ConfigError",
    "ManifestError",
]
