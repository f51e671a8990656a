"""What a publish compares: the local build (LocalState) and what the target holds
(RemoteState). Plain, frozen data; building a LocalState reads the build directory,
nothing else here does I/O."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..compress import EXTENSIONS
from ..config import REVALIDATE
from ..errors import ManifestError
from ..hashes import HashCache
from ..header_value import header_problem
from ..manifest import MANIFEST_NAME, Manifest
from ..origin import RESERVED
from ..safe_path import key_problem
from .errors import PublishError, PublishUsageError

MANIFEST_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Headers:
    """The headers an object is served with; `content_encoding` only on .br/.gz variants."""

    content_type: str
    cache_control: str
    content_encoding: str | None = None

    def checked(self, key: str) -> Headers:
        """Self, if every value can be sent as a header (header_value); else a PublishError
        naming the key. Targets call it where headers are emitted or stored."""
        for name, value in self.to_dict().items():
            problem = header_problem(value)
            if problem:
                raise PublishError(f"{key}: {name} {problem}; not published")
        return self

    def to_dict(self) -> dict[str, str]:
        out = {"content_type": self.content_type, "cache_control": self.cache_control}
        if self.content_encoding:
            out["content_encoding"] = self.content_encoding
        return out


@dataclass(frozen=True)
class LocalObject:
    """One object to publish. `file` is None when the build reused an already published
    asset (deploy on a fresh checkout) and so did not write it; then `sha256` is None too.
    `file` is a path string (a publish makes thousands of these; pathlib costs)."""

    key: str
    file: str | None
    sha256: str | None
    size: int
    headers: Headers
    fingerprinted: bool
    step: int  # 1 fingerprinted + variants, 2 keep-name files, 3 the manifest

    def record_entry(self) -> RemoteObject:
        """What the deploy record says of this object once it is published."""
        return RemoteObject(self.sha256, self.size, self.headers, self.fingerprinted)


@dataclass(frozen=True, slots=True)
class RemoteObject:
    """One published object: what a deploy record lists (record.RecordObject is this type)
    or what a HEAD found. Parsed and checked once, where a record is read (record_schema)."""

    sha256: str | None
    size: int
    headers: Headers
    fingerprinted: bool = False

    def entry(self) -> dict[str, Any]:
        """As stored in a record: {sha256, size, content_type, cache_control, content_encoding?, fingerprinted}."""
        return {"sha256": self.sha256, "size": self.size, **self.headers.to_dict(), "fingerprinted": self.fingerprinted}

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> RemoteObject:
        return cls(
            sha256=entry.get("sha256"),
            size=int(entry.get("size", 0)),
            headers=Headers(
                entry.get("content_type", ""), entry.get("cache_control", ""), entry.get("content_encoding")
            ),
            fingerprinted=bool(entry.get("fingerprinted", False)),
        )


@dataclass(frozen=True)
class LocalState:
    """Every object a build directory publishes, in key order; the manifest is one of them."""

    root: Path
    manifest: Manifest
    objects: tuple[LocalObject, ...]

    @property
    def by_key(self) -> dict[str, LocalObject]:
        return {o.key: o for o in self.objects}


@dataclass(frozen=True)
class RemoteState:
    """What the target holds, as far as publish knows: from the deploy record (cheap) or a
    listing (--verify). `complete` is True when it came from a listing of every object."""

    objects: Mapping[str, RemoteObject] = field(default_factory=dict)
    complete: bool = False


PUBLIC_DOT_DIRS = (".well-known",)  # RFC 8615; the load path builds a top-level one too


def is_publishable(key: str) -> bool:
    """Dotfiles (any path segment starting with '.', except a top-level `.well-known/`) and
    reserved keys are never published."""
    parts = key.split("/")
    if len(parts) > 1 and parts[0] in PUBLIC_DOT_DIRS:
        parts = parts[1:]
    return not key.startswith(RESERVED) and not any(part.startswith(".") for part in parts)


def load_local(build_dir: str | os.PathLike, *, cached: bool = True) -> LocalState:
    """Read BUILD_DIR/assetpub-manifest.json and hash every file it references (a file
    whose stat is unchanged since the last publish is not read again, unless `cached`
    is False: then every file is read, and the cache is rewritten from what was read)."""
    root = Path(build_dir)
    if not root.exists():
        raise PublishUsageError(f"{root}: build directory not found")
    if not root.is_dir():
        raise PublishUsageError(f"{root}: not a directory")
    try:
        manifest = Manifest.load(root / MANIFEST_NAME)
    except ManifestError as e:
        raise PublishError(str(e)) from None
    found: list[tuple] = []
    for name, entry in manifest.assets.items():
        found.extend(_entry_files(root, name, entry, manifest.source))
    manifest_file = os.path.join(root, MANIFEST_NAME)
    found.append(
        (MANIFEST_NAME, manifest_file, os.stat(manifest_file), 0, Headers(MANIFEST_CONTENT_TYPE, REVALIDATE), False, 3)
    )
    hashes = HashCache(root, read=cached)
    shas = hashes.sha256_all([(key, file, st) for key, file, st, *_ in found if st is not None])
    objects = []
    for key, file, st, size, headers, fingerprinted, step in found:
        if st is None:  # the builder reused a published asset and did not write it (see deploy)
            objects.append(LocalObject(key, None, None, size, headers, fingerprinted, step))
        else:
            objects.append(LocalObject(key, file, shas[key], st.st_size, headers, fingerprinted, step))
    hashes.save()
    return LocalState(root=root, manifest=manifest, objects=tuple(sorted(objects, key=lambda o: o.key)))


def _entry_files(root: Path, name: str, entry: Mapping[str, Any], where: str | None) -> list[tuple]:
    """(key, path, stat or None, manifest size, headers, fingerprinted, step) of an entry's
    publishable files: the file and its variants."""
    try:
        path = entry["path"]
        content_type = entry["content_type"]
        cache_control = entry["cache_control"]
    except (KeyError, TypeError):
        raise PublishError(f"{where}: entry {name!r} lacks path, content_type or cache_control") from None
    if not all(isinstance(v, str) for v in (path, content_type, cache_control)):
        raise PublishError(f"{where}: entry {name!r}: path, content_type and cache_control must be strings")
    for field_name, value in (("content_type", content_type), ("cache_control", cache_control)):
        problem = header_problem(value)
        if problem:
            raise PublishError(f"{where}: entry {name!r}: {field_name} {problem}")
    encodings = entry.get("encodings") or {}
    if not isinstance(encodings, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("path", ""), str) for v in encodings.values()
    ):
        raise PublishError(f"{where}: entry {name!r}: 'encodings' must map an encoding to {{\"path\": ...}}")
    fingerprinted = bool(entry.get("fingerprinted", True))
    step = 1 if fingerprinted else 2
    out = []
    keys = [(path, None, entry.get("size"))]
    for encoding, variant in sorted(encodings.items()):
        keys.append(
            (variant.get("path") or path + EXTENSIONS.get(encoding, "." + encoding), encoding, variant.get("size"))
        )
    for key, encoding, size in keys:
        problem = key_problem(key)
        if problem:
            raise PublishError(f"{where}: entry {name!r} has an unsafe path {key!r} ({problem})")
        if not is_publishable(key):
            continue  # dotfiles are never published, whatever the manifest says
        file = os.path.join(root, key)
        try:
            st = os.stat(file)
        except FileNotFoundError:
            st = None
        headers = Headers(content_type, cache_control, encoding)
        out.append((key, file, st, int(size or 0), headers, fingerprinted, step))
    return out

