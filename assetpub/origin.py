"""The layout of what assetpub publishes: one place for the names every part agrees on
(the build, the publish targets, the dev server, the edge generators, the audit).

    <prefix>/assetpub-manifest.json   the live manifest (manifest.MANIFEST_NAME)
    <prefix>/_assetpub/               assetpub's own state, never served:
        current.json, deploys/, journal.json, lock.json, objects/   (publish)
        headers.json                                                (directory origins)

The headers an object is served with (Headers) and the header sidecar a directory
origin carries (`_assetpub/headers.json`, SIDECAR_VERSION): written by the directory
target (sidecar_bytes), read by it, the dev server and the edge generators (read_sidecar).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import SidecarError, UsageError
from .header_value import header_problem
from .safe_path import key_problem

log = logging.getLogger(__name__)

STATE_DIR = "_assetpub"  # a reserved top-level directory: records, locks, the header sidecar
RESERVED = STATE_DIR + "/"  # keys under this prefix belong to assetpub
SIDECAR = RESERVED + "headers.json"  # a directory origin's headers, {"version": 1, "objects": {...}}
SIDECAR_VERSION = 1


WELL_KNOWN = ".well-known"  # RFC 8615: security.txt, assetlinks.json, ...
PUBLIC_DOT_DIRS = (WELL_KNOWN,)  # the one dot-directory built, published and served (top level only)


def is_reserved(key: str) -> bool:
    """Whether a key (or logical name) lies in assetpub's own state."""
    return key == STATE_DIR or key.startswith(RESERVED)


def is_served(key: str) -> bool:
    """Whether an origin publishes and serves `key` (a '/'-separated path below its prefix):
    never assetpub's own state, a dotfile or a dot-directory (a top-level `.well-known/`
    aside), or a path with an empty segment. The one rule of publish (both targets), the
    dev server and the nginx config."""
    if is_reserved(key):
        return False
    parts = key.split("/")
    if len(parts) > 1 and parts[0] in PUBLIC_DOT_DIRS:
        parts = parts[1:]
    return not any(p == "" or p.startswith(".") for p in parts)


@dataclass(frozen=True, slots=True)
class Headers:
    """The headers an object is served with; `content_encoding` only on .br/.gz variants."""

    content_type: str
    cache_control: str
    content_encoding: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Headers:
        """From a sidecar or record entry ({content_type, cache_control, content_encoding?})."""
        return cls(data.get("content_type", ""), data.get("cache_control", ""), data.get("content_encoding") or None)

    def to_dict(self) -> dict[str, str]:
        out = {"content_type": self.content_type, "cache_control": self.cache_control}
        if self.content_encoding:
            out["content_encoding"] = self.content_encoding
        return out

    def problem(self) -> str | None:
        """Why a value cannot be sent as a header ('cache_control contains ...'), or None."""
        return next((f"{n} {p}" for n, v in self.to_dict().items() for p in [header_problem(v)] if p), None)


def read_sidecar(directory: str | os.PathLike) -> dict[str, Headers] | None:
    """DIRECTORY/_assetpub/headers.json as {key: Headers}; None when there is none.
    SidecarError (naming the file) when it is unreadable or of another version."""
    path = Path(directory) / SIDECAR
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise SidecarError(f"{path}: not a readable headers sidecar: {e}") from None
    if not isinstance(raw, dict) or raw.get("version") != SIDECAR_VERSION or not isinstance(raw.get("objects"), dict):
        raise SidecarError(f"{path}: not a version {SIDECAR_VERSION} headers sidecar "
                           f"(expected {{'version': {SIDECAR_VERSION}, 'objects': {{...}}}})")
    return sidecar_objects(raw["objects"], where=str(path))


def sidecar_objects(objects: Mapping[str, Any], *, where: str) -> dict[str, Headers]:
    """The sidecar's {key: Headers}, keeping only entries with a safe key and header values
    that are strings without control characters (others are dropped, with a warning: the
    next publish writes them again from the build)."""
    out = {}
    for key, value in objects.items():
        problem = key_problem(key)
        if problem is None and not isinstance(value, dict):
            problem = "has headers that are not an object"
        if problem is None and not isinstance(value.get("cache_control"), str):
            problem = "has no 'cache_control'"
        if problem is None:
            problem = next((f"{n} {p}" for n, v in value.items() for p in [header_problem(v)] if p), None)
        if problem:
            log.warning("%s: entry %r %s; ignored", where, key, problem)
            continue
        out[key] = Headers.from_dict(value)
    return out


def sidecar_bytes(objects: Mapping[str, Headers]) -> bytes:
    """The sidecar file for {key: Headers} (sorted, so the same headers give the same bytes)."""
    data = {"version": SIDECAR_VERSION, "objects": {k: objects[k].to_dict() for k in sorted(objects)}}
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


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
