"""The layout of what assetpub publishes: one place for the names every part agrees on
(the build, the publish targets, the dev server, the edge generators, the audit).

    <prefix>/assetpub-manifest.json   the live manifest (manifest.MANIFEST_NAME)
    <prefix>/_assetpub/               assetpub's own state, never served:
        current.json, deploys/, journal.json, lock.json, objects/   (publish)
        headers.json                                                (directory origins)
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .errors import UsageError

STATE_DIR = "_assetpub"  # a reserved top-level directory: records, locks, the header sidecar
RESERVED = STATE_DIR + "/"  # keys under this prefix belong to assetpub
SIDECAR = RESERVED + "headers.json"  # a directory origin's headers, {"version": 1, "objects": {...}}


def is_reserved(key: str) -> bool:
    """Whether a key (or logical name) lies in assetpub's own state."""
    return key == STATE_DIR or key.startswith(RESERVED)


# A URL path that nginx, a CloudFront function and the dev server all match the same way:
# RFC 3986 path characters, minus percent-encoding (servers compare decoded paths) and
# minus what nginx's config syntax or a shell would treat specially ($ ; ' { }).
_PREFIX_CHARS = re.compile(r"[A-Za-z0-9._~!&()*+,=:@/-]*")


def url_prefix(value: str, *, what: str = "prefix") -> str:
    """The URL path assets are served under, with one slash each side: 'assets' ->
    '/assets/', 'https://cdn.example.com/static' -> '/static/', '' -> '/'. A value a
    server could match differently from what it says (spaces, '?', '#', '%', quotes,
    control characters, '.' or '..' segments) is a UsageError naming `what`."""
    path = urlsplit(value).path if "://" in value else value
    bad = next((c for c in path if not _PREFIX_CHARS.fullmatch(c)), None)
    if bad is not None:
        raise UsageError(
            f"{what} {value!r}: contains {bad!r}; a URL path such as /assets/ holds only letters, digits"
            " and - . _ ~ / @ : + , = ! * ( ) &"
        )
    segments = [s for s in path.split("/") if s]
    dots = next((s for s in segments if s in (".", "..")), None)
    if dots is not None:
        raise UsageError(f"{what} {value!r}: contains a {dots!r} segment, which a server resolves away")
    return "/" + "".join(s + "/" for s in segments)


def served_prefix(flag: str | None, base_url: str) -> str:
    """The URL path to serve under: `--prefix` when given, else the manifest's base_url path."""
    if flag is not None:
        return url_prefix(flag, what="--prefix")
    return url_prefix(base_url, what="the manifest's base_url")
