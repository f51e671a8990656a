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

import logging
import os
import posixpath
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from .. import media_types
from ..compress import EXTENSIONS
from ..config import IMMUTABLE, REVALIDATE
from ..digest import is_fingerprinted
from ..errors import ManifestError
from ..manifest import MANIFEST_NAME, Entry, Manifest, usable_entries
from ..origin import SIDECAR, Headers, SidecarError, read_sidecar

log = logging.getLogger(__name__)

_CODING_OF_EXTENSION = {ext: coding for coding, ext in EXTENSIONS.items()}


@dataclass(frozen=True)
class Served:
    """What to send for one file: its own headers (`content_encoding` set when the file
    itself is a variant), and the variants beside it."""

    headers: Headers
    variants: Mapping[str, str] = field(default_factory=dict)  # coding -> relative path


@dataclass(frozen=True)
class _Snapshot:
    signature: tuple
    by_path: Mapping[str, Served]
    base_path: str | None


class HeaderTable:
    """Headers for every servable path of a build output or directory origin."""

    def __init__(self, root: Path, *, keep_name_policy: str = REVALIDATE):
        self.root = Path(root)
        self.keep_name_policy = keep_name_policy
        self._lock = threading.Lock()
        self._snapshot = _Snapshot((), {}, None)

    def lookup(self, rel: str) -> Served:
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
    def _unlisted(self, rel: str, coding: str | None) -> Served:
        fingerprinted = is_fingerprinted(rel)
        return Served(
            Headers(media_types.content_type(rel), IMMUTABLE if fingerprinted else self.keep_name_policy, coding),
            variants={c: rel + e for c, e in EXTENSIONS.items()} if fingerprinted and coding is None else {},
        )

    def _current(self) -> _Snapshot:
        signature = (_stat(self.root / MANIFEST_NAME), _stat(self.root / SIDECAR))
        with self._lock:
            if signature != self._snapshot.signature:
                self._snapshot = _Snapshot(signature, *self._load())
            return self._snapshot

    def _load(self) -> tuple[dict[str, Served], str | None]:
        base_path = None
        by_path: dict[str, Served] = {}
        if (self.root / MANIFEST_NAME).is_file():
            try:
                manifest = Manifest.load(self.root, check_entries=False)
                base_path = urlsplit(manifest.base_url).path or "/"
                usable = usable_entries(manifest.assets, where=str(manifest.source), then="serving it with default headers")
                by_path = _from_manifest(usable)
            except ManifestError as e:
                log.warning("%s; serving with default headers", e)
        try:
            sidecar = read_sidecar(self.root)
        except SidecarError as e:
            log.warning("%s; using the manifest", e)
            sidecar = None
        if sidecar is not None:
            by_path = _from_sidecar(sidecar, by_path)
        return by_path, base_path


def _from_manifest(entries: Mapping[str, Entry]) -> dict[str, Served]:
    by_path: dict[str, Served] = {}
    for entry in entries.values():
        ct, cc = entry.content_type, entry.cache_control
        variants = {c: v.path for c, v in entry.encodings.items()}
        by_path[entry.path] = Served(Headers(ct, cc), variants)
        for coding, path in variants.items():
            by_path[path] = Served(Headers(ct, cc, coding))
    return by_path


def _from_sidecar(objects: Mapping[str, Headers], manifest: Mapping[str, Served]) -> dict[str, Served]:
    by_path = dict(manifest)
    for key, h in objects.items():
        variants = {} if h.content_encoding else dict(manifest[key].variants) if key in manifest else {}
        for c, ext in EXTENSIONS.items():
            variant = objects.get(key + ext)
            if variant is not None and variant.content_encoding == c:
                variants[c] = key + ext
        if not h.content_type:
            h = replace(h, content_type=media_types.content_type(key))
        by_path[key] = Served(h, variants)
    return by_path


def _stat(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
