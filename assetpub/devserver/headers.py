"""Per-file response headers, from the same data production uses.

A directory origin written by `assetpub publish` carries `_assetpub/headers.json`
(`{"version": 1, "objects": {key: {"content_type", "cache_control", "content_encoding"?}}}`);
a build output carries `assetpub-manifest.json`. The sidecar wins when present. Both are
re-read when they change (watch mode swaps the manifest under a running server), at the
cost of two `stat` calls per request.

Files that neither lists (an older build's outputs, which open pages still use) get their
type from assetpub's media-type table and the immutable policy when their name carries a
fingerprint, the revalidating one otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import media_types
from ..compress import EXTENSIONS
from ..config import IMMUTABLE, REVALIDATE
from ..digest import is_fingerprinted
from ..manifest import MANIFEST_NAME
from ..origin import SIDECAR

log = logging.getLogger(__name__)

_CODING_OF_EXTENSION = {ext: coding for coding, ext in EXTENSIONS.items()}


@dataclass(frozen=True)
class Headers:
    """What to send for one file: its own type and policy, and the variants beside it."""

    content_type: str
    cache_control: str
    variants: Mapping[str, str] = field(default_factory=dict)  # coding -> relative path
    content_encoding: str | None = None  # set when the file itself is a variant


@dataclass(frozen=True)
class _Snapshot:
    signature: tuple
    by_path: Mapping[str, Headers]
    base_path: str | None


class HeaderTable:
    """Headers for every servable path of a build output or directory origin."""

    def __init__(self, root: Path, *, keep_name_policy: str = REVALIDATE):
        self.root = Path(root)
        self.keep_name_policy = keep_name_policy
        self._lock = threading.Lock()
        self._snapshot = _Snapshot((), {}, None)

    def lookup(self, rel: str) -> Headers:
        """Headers for `rel` (a POSIX path relative to the root); unlisted files get defaults."""
        listed = self._current().by_path.get(rel)
        if listed is not None:
            return listed
        base, ext = posixpath.splitext(rel)
        coding = _CODING_OF_EXTENSION.get(ext)
        if coding and is_fingerprinted(base):  # an older build's variant
            return self._unlisted(base, coding)
        return self._unlisted(rel, None)

    @property
    def base_path(self) -> str | None:
        """The URL path the manifest's base_url points at ('/assets/'), if there is a manifest."""
        return self._current().base_path

    # -- loading -------------------------------------------------------------------
    def _unlisted(self, rel: str, coding: str | None) -> Headers:
        fingerprinted = is_fingerprinted(rel)
        return Headers(
            content_type=media_types.content_type(rel),
            cache_control=IMMUTABLE if fingerprinted else self.keep_name_policy,
            variants={c: rel + e for c, e in EXTENSIONS.items()} if fingerprinted and coding is None else {},
            content_encoding=coding,
        )

    def _current(self) -> _Snapshot:
        signature = (_stat(self.root / MANIFEST_NAME), _stat(self.root / SIDECAR))
        with self._lock:
            if signature != self._snapshot.signature:
                self._snapshot = _Snapshot(signature, *self._load())
            return self._snapshot

    def _load(self) -> tuple[dict[str, Headers], str | None]:
        manifest = _read_json(self.root / MANIFEST_NAME)
        sidecar = _read_json(self.root / SIDECAR)
        base_path = None
        by_path: dict[str, Headers] = {}
        try:
            if isinstance(manifest, dict) and isinstance(manifest.get("assets"), dict):
                base_path = urlsplit(str(manifest.get("base_url") or "/")).path or "/"
                by_path = _from_manifest(manifest["assets"])
        except (KeyError, TypeError, AttributeError) as e:
            log.warning("%s: malformed manifest entry (%s); serving with default headers", self.root / MANIFEST_NAME, e)
        try:
            if isinstance(sidecar, dict) and sidecar.get("version") == 1 and isinstance(sidecar.get("objects"), dict):
                by_path = _from_sidecar(sidecar["objects"], by_path)
            elif sidecar is not None:
                log.warning("%s: not a version 1 header sidecar; using the manifest", self.root / SIDECAR)
        except (KeyError, TypeError, AttributeError) as e:
            log.warning("%s: malformed header sidecar (%s); using the manifest", self.root / SIDECAR, e)
        return by_path, base_path


def _from_manifest(assets: Mapping[str, Any]) -> dict[str, Headers]:
    by_path: dict[str, Headers] = {}
    for entry in assets.values():
        ct, cc = entry["content_type"], entry["cache_control"]
        variants = {c: v["path"] for c, v in (entry.get("encodings") or {}).items()}
        by_path[entry["path"]] = Headers(ct, cc, variants)
        for coding, path in variants.items():
            by_path[path] = Headers(ct, cc, content_encoding=coding)
    return by_path


def _from_sidecar(objects: Mapping[str, Any], manifest: Mapping[str, Headers]) -> dict[str, Headers]:
    by_path = dict(manifest)
    for key, h in objects.items():
        coding = h.get("content_encoding")
        variants = {} if coding else dict(manifest[key].variants) if key in manifest else {}
        for c, ext in EXTENSIONS.items():
            if objects.get(key + ext, {}).get("content_encoding") == c:
                variants[c] = key + ext
        by_path[key] = Headers(h["content_type"], h["cache_control"], variants, coding)
    return by_path


def _stat(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        log.warning("%s: unreadable (%s); serving without it", path, e)
        return None
