"""What a publish compares: the local build (LocalState) and what the target holds
(RemoteState). Plain, frozen data; building a LocalState reads the build directory,
nothing else here does I/O."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..config import REVALIDATE
from ..errors import ManifestError
from ..hashes import HashCache
from ..manifest import MANIFEST_NAME, Entry, Manifest
from ..origin import RESERVED, Headers, is_served  # noqa: F401 (RESERVED: publish modules import it from here)
from .actions import Step
from .errors import PublishError, PublishUsageError

MANIFEST_CONTENT_TYPE = "application/json; charset=utf-8"


def checked(headers: Headers, key: str) -> Headers:
    """`headers`, if every value can be sent as a header (header_value); else a PublishError
    naming the key. Targets call it where headers are emitted or stored."""
    problem = headers.problem()
    if problem:
        raise PublishError(f"{key}: {problem}; not published")
    return headers


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
    step: Step  # NEW_FILES fingerprinted + variants, LIVE_FILES keep-name files, RECORDS the manifest

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
            headers=Headers.from_dict(entry),
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
    for entry in manifest.entries.values():
        found.extend(_entry_files(root, entry))
    manifest_file = os.path.join(root, MANIFEST_NAME)
    found.append(
        (MANIFEST_NAME, manifest_file, os.stat(manifest_file), 0, Headers(MANIFEST_CONTENT_TYPE, REVALIDATE), False, Step.RECORDS)
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


def _entry_files(root: Path, entry: Entry) -> list[tuple]:
    """(key, path, stat or None, manifest size, headers, fingerprinted, step) of an entry's
    publishable files: the file and its variants (the manifest checked them when loaded)."""
    step = Step.NEW_FILES if entry.fingerprinted else Step.LIVE_FILES
    out = []
    keys = [(entry.path, None, entry.size)]
    keys += [(variant.path, encoding, variant.size) for encoding, variant in entry.encodings.items()]
    for key, encoding, size in keys:
        if not is_served(key):
            continue  # dotfiles are never published, whatever the manifest says
        file = os.path.join(root, key)
        try:
            st = os.stat(file)
        except FileNotFoundError:
            st = None
        headers = Headers(entry.content_type, entry.cache_control, encoding)
        out.append((key, file, st, int(size or 0), headers, entry.fingerprinted, step))
    return out
