"""What a directory origin serves, and with which headers: read once from the manifest
(and from the headers sidecar `assetpub publish` writes, when there is one).

An origin directory holds the build output's layout: files at their manifest paths,
`assetpub-manifest.json` at the root, deploy records and `_assetpub/headers.json`
under `_assetpub/`. ORIGIN may also be the directory *above* a published prefix
(`ORIGIN/assets/assetpub-manifest.json`): the one manifest found below it is used.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import media_types
from ..compress import EXTENSIONS
from ..config import IMMUTABLE, REVALIDATE
from ..digest import is_fingerprinted
from ..errors import AssetpubError
from ..manifest import MANIFEST_NAME, Manifest
from ..origin import STATE_DIR, Headers, SidecarError, read_sidecar

log = logging.getLogger(__name__)

_SEARCH_DEPTH = 3


class OriginError(AssetpubError):
    """The origin directory has no usable manifest or sidecar."""


@dataclass(frozen=True)
class Origin:
    """Everything an edge config needs, computed once up front.

    Cache-Control follows a rule by name, so files published after the config was
    generated are still safe: a name that carries a fingerprint gets `immutable_policy`,
    any other name `revalidate_policy` (a new page is never cached for a year).
    `overrides` holds the paths (relative to `root`) the manifest or sidecar gives
    other headers than that rule, or a Content-Type media_types would not give.
    """

    root: Path
    manifest: Manifest
    manifest_path: Path
    immutable_policy: str
    revalidate_policy: str
    overrides: Mapping[str, Headers] = field(default_factory=dict)

    def rule(self, path: str) -> str:
        """The Cache-Control the name rule gives `path`."""
        return self.immutable_policy if is_fingerprinted(path) else self.revalidate_policy


def load_origin(directory: str | os.PathLike, *, manifest: str | os.PathLike | None = None) -> Origin:
    """Read the origin in `directory` (the manifest there, or the one manifest below it)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise OriginError(f"{directory}: origin directory not found")
    manifest_path = Path(manifest) if manifest else _find_manifest(directory)
    loaded = Manifest.load(manifest_path)  # ManifestError names an entry it cannot use
    root = manifest_path.parent
    files = _intended_headers(loaded)
    for sidecar_dir in dict.fromkeys((root, directory)):
        files.update(_sidecar_headers(sidecar_dir, root))
    origin = Origin(root, loaded, manifest_path, _most_common(loaded, True, IMMUTABLE),
                    _most_common(loaded, False, REVALIDATE))
    overrides = {
        path: h
        for path, h in sorted(files.items())
        if h.cache_control != origin.rule(path) or _normal(h.content_type) != _normal(media_types.content_type(path))
    }
    return dataclasses.replace(origin, overrides=overrides)


def _find_manifest(directory: Path) -> Path:
    direct = directory / MANIFEST_NAME
    if direct.is_file():
        return direct
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        depth = len(Path(dirpath).relative_to(directory).parts)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", STATE_DIR)) and depth < _SEARCH_DEPTH)
        if MANIFEST_NAME in filenames:
            found.append(Path(dirpath) / MANIFEST_NAME)
    if len(found) == 1:
        return found[0]
    if not found:
        raise OriginError(f"{directory}: no {MANIFEST_NAME} here (build or publish into it first)")
    names = ", ".join(str(p.relative_to(directory)) for p in sorted(found))
    raise OriginError(f"{directory}: several manifests ({names}); pass the directory that holds the one to serve")


def _intended_headers(manifest: Manifest) -> dict[str, Headers]:
    """Headers of every path the manifest names, variants included (they are served as-is if asked for)."""
    out: dict[str, Headers] = {}
    for entry in manifest.entries.values():
        out[entry.path] = Headers(entry.content_type, entry.cache_control)
        for variant in entry.encodings.values():
            out[variant.path] = Headers(media_types.content_type(variant.path), entry.cache_control)
    out[MANIFEST_NAME] = Headers(media_types.content_type(MANIFEST_NAME), REVALIDATE)
    return out


def _sidecar_headers(directory: Path, root: Path) -> dict[str, Headers]:
    """Headers from `directory/_assetpub/headers.json`, for keys that lie under `root`.

    The sidecar covers every object of every retained deploy, so files the current
    manifest no longer names still get their own Cache-Control."""
    try:
        objects = read_sidecar(directory) or {}
    except SidecarError as e:
        raise OriginError(str(e)) from None
    base = "" if directory == root else root.relative_to(directory).as_posix() + "/"
    out = {}
    for key, h in objects.items():
        if not key.startswith(base):
            continue
        rel = key[len(base):]
        if h.content_encoding and any(rel.endswith(ext) for ext in EXTENSIONS.values()):
            # a variant's type is its identity file's for S3; for nginx, only the identity URL is negotiated
            continue
        out[rel] = Headers(h.content_type or media_types.content_type(rel), h.cache_control)
    return out


def _most_common(manifest: Manifest, fingerprinted: bool, fallback: str) -> str:
    """The policy most fingerprinted (or keep-name) files of this build use."""
    counts = Counter(e.cache_control for e in manifest.entries.values() if e.fingerprinted == fingerprinted)
    if not counts:
        return fallback
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _normal(content_type: str) -> str:
    return "; ".join(part.strip() for part in content_type.lower().split(";") if part.strip())
