"""A plain directory as the origin (served by nginx or the dev server): no cloud account.

Layout: the build output's layout. Files at their manifest paths, the manifest at the
root, assetpub's records under `_assetpub/`, and the headers sidecar

    ORIGIN/_assetpub/headers.json = {"version": 1, "objects": {KEY: {"content_type": ...,
                                     "cache_control": ..., "content_encoding": ...?}}}

which the dev server and `assetpub nginx-config` read (see docs/publishing.md). Files
are written atomically (temp file + rename); a file whose bytes did not change is never
rewritten, so its mtime (nginx's Last-Modified and ETag) stays.

Durable in publish order: every file written is fsynced before its rename, and at the
end of each step the directories that received files are fsynced, so after a power
loss the pages of step 2 are never on disk without the fingerprinted files of step 1.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..origin import SIDECAR, Headers, SidecarError, is_served, read_sidecar, sidecar_bytes
from ..output import copy_atomic, fsync_dir, fsync_file, remove_empty_parents, write_atomic
from ..safe_path import UnsafePath, inside
from ..stamps import sha256_file
from .errors import PublishError
from .state import RESERVED, LocalObject, RemoteObject, checked

log = logging.getLogger(__name__)


class DirectoryTarget:
    prefix = ""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.url = str(self.root)
        if self.root.exists() and not self.root.is_dir():
            raise PublishError(f"{self.root}: target exists and is not a directory")
        self._lock = threading.RLock()  # workers share the sidecar
        self._headers: dict[str, Headers] | None = None
        self._dirty = False
        self._synced_dirs: set[Path] = set()  # directories with new entries since the last step
        self.written: dict[str, str] = {}  # key -> version (content hash) of what put_bytes wrote

    # -- sidecar -----------------------------------------------------------------------
    def _sidecar(self) -> dict[str, Headers]:
        with self._lock:
            return self._load_sidecar()

    def _load_sidecar(self) -> dict[str, Headers]:
        if self._headers is None:
            try:
                self._headers = read_sidecar(self.root) or {}
            except SidecarError:
                # a torn or foreign sidecar: rebuilt from this publish (--verify repairs the rest)
                self._headers = {}
        return self._headers

    def _set_headers(self, key: str, headers: Headers) -> None:
        checked(headers, key)
        with self._lock:
            sidecar = self._sidecar()
            if sidecar.get(key) != headers:
                sidecar[key] = headers
                self._dirty = True

    def end_step(self, step: int) -> None:
        """Save the sidecar after each step, so new files have their headers before the pages
        that reference them go live; then make the step's renames durable."""
        with self._lock:
            if self._dirty:
                self._write(SIDECAR, sidecar_bytes(self._sidecar()))
                self._dirty = False
            dirs, self._synced_dirs = self._synced_dirs, set()
        for directory in sorted(dirs):
            try:
                fsync_dir(directory)
            except OSError as e:
                raise PublishError(f"{directory}: cannot sync: {e.strerror}") from None

    # -- the Target interface -------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except OSError as e:
            raise PublishError(f"{path}: cannot read: {e.strerror}") from None

    def head(self, key: str) -> RemoteObject | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return RemoteObject(
            sha256=sha256_file(path),
            size=path.stat().st_size,
            headers=self._sidecar().get(key) or Headers("", ""),
        )

    def content_sha256(self, key: str) -> str | None:
        path = self._path(key)
        return sha256_file(path) if path.is_file() else None

    def upload(self, obj: LocalObject, *, key: str | None = None) -> None:
        if obj.file is None:  # a bug: the plan never uploads an object the build did not write
            raise ValueError(f"{obj.key}: no file to upload")
        key = key or obj.key
        dest = self._path(key)
        if not (dest.is_file() and sha256_file(dest) == obj.sha256):  # same bytes: keep the mtime
            self._copy_atomic(obj.file, dest)
        else:  # left by a publish that was killed, maybe before it was durable: sync it too
            self._sync_file(dest)
        if not key.startswith(RESERVED):
            self._set_headers(key, obj.headers)

    def copy(self, source: str, key: str, headers: Headers, sha256: str) -> None:
        dest = self._path(key)
        if not (dest.is_file() and sha256_file(dest) == sha256):
            self._copy_atomic(self._verified(source, sha256), dest)
        else:
            self._sync_file(dest)
        self._set_headers(key, headers)

    def update_headers(self, obj: LocalObject) -> None:
        self._path(obj.key)
        self._set_headers(obj.key, obj.headers)

    def put_bytes(self, key: str, data: bytes, headers: Headers) -> str:
        self._write(key, data)
        self.written[key] = version = _version(data)
        return version

    def read_if_changed(self, key: str, version: str | None) -> tuple[bytes | None, str] | None:
        """None when absent; (None, version) when the file still holds the bytes whose hash
        is `version` (read locally: only the parse is saved); else (bytes, their hash)."""
        data = self.get(key)
        if data is None:
            return None
        found = _version(data)
        return (None, found) if found == version else (data, found)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise PublishError(f"{path}: cannot remove: {e.strerror}") from None
        self._renamed_into(path.parent)
        with self._lock:
            if self._sidecar().pop(key, None) is not None:
                self._dirty = True

    def delete_many(self, keys: list[str]) -> None:
        for key in keys:
            self.delete(key)
            remove_empty_parents(self.root, self._path(key).parent)

    def listing(self, under: str = "") -> Iterator[tuple[str, datetime]]:
        """(key, mtime) of every file under `under` (reserved keys included, temp files not)."""
        base = self.root / under if under else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.name.startswith(".") or not path.is_file():
                continue
            yield path.relative_to(self.root).as_posix(), datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)

    def keys(self) -> Iterator[str]:
        return (k for k, _ in self.listing() if is_served(k))

    def create_exclusive(self, key: str, data: bytes) -> str | None:
        """Create key only if it does not exist, whole: a temporary file hard-linked to the
        name (the link fails if the name exists), or O_EXCL where links are not supported.
        Returns its version (the content's hash) or None."""
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            try:
                os.link(tmp, path)
            except FileExistsError:
                return None
            except OSError:  # no hard links here (some network or FAT file systems)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
        except FileExistsError:
            return None
        except OSError as e:
            raise PublishError(f"{path}: cannot create: {e.strerror}") from None
        finally:
            tmp.unlink(missing_ok=True)
        return _version(data)

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        data = self.get(key)
        return None if data is None else (data, _version(data))

    def replace_if(self, key: str, data: bytes, version: str) -> str | None:
        """Compare-and-swap: move the file aside atomically (only one process can), check it
        is the version expected, then create the new one with O_EXCL. A file that turns out
        to be another version is put back (its owner's next check fails if that is too late)."""
        if not self._take_aside(key, version):
            return None
        return self.create_exclusive(key, data)

    def delete_if(self, key: str, version: str) -> bool:
        return self._take_aside(key, version)

    def _take_aside(self, key: str, version: str) -> bool:
        path = self._path(key)
        aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}")  # a dotfile: never listed or published
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        except OSError as e:
            raise PublishError(f"{path}: cannot move aside: {e.strerror}") from None
        try:
            data = aside.read_bytes()
            if _version(data) != version:
                self.create_exclusive(key, data)  # not ours to replace: put it back (unless recreated)
                return False
            return True
        finally:
            aside.unlink()

    def entries(self, under: str) -> set[str]:
        try:
            return {e.name for e in os.scandir(self._path(under.rstrip("/"))) if e.is_file() and not e.name.startswith(".")}
        except (FileNotFoundError, NotADirectoryError):
            return set()
        except OSError as e:
            raise PublishError(f"{self._path(under.rstrip('/'))}: cannot list: {e.strerror}") from None

    def scan(self) -> Iterator[tuple[str, RemoteObject]]:
        for key in self.keys():
            remote = self.head(key)
            if remote is not None:
                yield key, remote

    # -- writing -----------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        """Where key lives: every operation goes through here (the path rule, safe_path)."""
        try:
            return inside(self.root, key, what=f"{self.url}: key")
        except UnsafePath as e:
            raise PublishError(str(e)) from None

    def _verified(self, source: str, sha256: str) -> Path:
        """The file at `source`, after checking it holds the bytes named by `sha256` (a stash
        object is named by its hash; a planted or corrupt one is never restored)."""
        path = self._path(source)
        try:
            actual = sha256_file(path)
        except OSError as e:
            raise PublishError(f"{path}: cannot read: {e.strerror}") from None
        if actual != sha256:
            raise PublishError(
                f"{path}: its bytes do not have the SHA-256 {sha256} the record names "
                "(corrupt or tampered with); refusing to restore it"
            )
        return path

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            write_atomic(path, data, durable=True)
        except OSError as e:
            raise PublishError(f"{path}: cannot write: {e.strerror}") from None
        self._renamed_into(path.parent)

    def _renamed_into(self, directory: Path) -> None:
        """Remember to fsync `directory` and its parents up to the root's parent (a
        directory the write created is itself a new entry in its parent)."""
        with self._lock:
            while directory not in self._synced_dirs:
                self._synced_dirs.add(directory)
                if directory == self.root.parent or directory.parent == directory:
                    break
                directory = directory.parent

    def _sync_file(self, path: Path) -> None:
        """A file found in place with the right bytes: make it and its name durable."""
        try:
            fsync_file(path)
        except OSError as e:
            raise PublishError(f"{path}: cannot sync: {e.strerror}") from None
        self._renamed_into(path.parent)

    def _copy_atomic(self, src: str | Path, dest: Path) -> None:
        try:
            copy_atomic(src, dest, durable=True)
        except OSError as e:
            raise PublishError(f"{dest}: cannot write: {e.strerror}") from None
        self._renamed_into(dest.parent)


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
