"""The SHA-256 of each file of a build directory, remembered in BUILD/.assetpub/publish-hashes.json.

Written by the build (`record_written`: the hash of the bytes it just wrote, with the
stat taken right after writing them) and by publish (`HashCache`, for files it had to
read), read by publish.

A publish with nothing to do must not re-read the whole build: the hash of a file is
reused while its size, mtime, ctime, inode and device are what they were when it was
hashed, and only if the file had settled before hashing began (assetpub/stamps.py: the
reference is a marker file created and removed in BUILD/.assetpub first). A file the
build wrote needs no reading at all: its hash is that of the bytes written, so a fresh
build directory is published without reading it either (an outside write into the build
output in the same instant would go unseen, as it would by the build's own product
cache). The cache is safe to delete; a cache that does not parse is ignored, and one
that cannot be written (a read-only build directory) is not an error. `--verify` does
not read it, but writes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from . import json_file
from .output import STATE_DIR
from .stamps import Reference, remembered, sha256_file, stamp

log = logging.getLogger(__name__)

FORMAT = 2
NAME = f"{STATE_DIR}/publish-hashes.json"


class HashCache:
    """key -> [size, mtime_ns, ctime_ns, inode, device, sha256] for the files of one build
    directory. Construct it just before hashing: that is the reference moment."""

    def __init__(self, root: str | os.PathLike, *, read: bool = True):
        self.path = os.path.join(root, NAME)
        self.old: dict[str, Any] = _load(self.path) if read else {}
        self.new: dict[str, list] = {}
        state = Path(root, STATE_DIR)
        self.reference = Reference(state if state.is_dir() else Path(root))

    def sha256_all(self, files: list[tuple[str, str, os.stat_result]]) -> dict[str, str]:
        """{key: sha256} of (key, path, stat) files, each stat taken before the file is read:
        remembered where the stat is unchanged, read and hashed where not (serially: with
        threads, 2,300 small files took twice as long)."""
        out: dict[str, str] = {}
        for key, path, st in files:
            entry = self.old.get(key)
            sha = remembered(entry, st)
            if sha is not None:
                self.new[key] = entry
                out[key] = sha
                continue
            out[key] = sha = sha256_file(path)
            if self.reference.settled(st):
                self.new[key] = [*stamp(st), sha]
        return out

    def save(self) -> None:
        """Write the cache if it changed; only the files of this publish are kept."""
        if self.new != self.old:
            _save(self.path, self.new)

def written_entry(path: str | os.PathLike, data: bytes) -> list:
    """The cache entry of a file the caller has just written with `data` (stat it now)."""
    return [*stamp(os.stat(path)), hashlib.sha256(data).hexdigest()]


def record_written(root: str | os.PathLike, entries: dict[str, list]) -> None:
    """Add the entries of files a build wrote to ROOT's cache (others stay as they are)."""
    if not entries:
        return
    path = os.path.join(root, NAME)
    old = _load(path)
    files = {**old, **entries}
    if files != old:  # a no-op build writes nothing
        _save(path, files)


def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        return {}
    return data["files"]


def _save(path: str, files: dict[str, Any]) -> None:
    try:  # streamed: at 100k files the text is 39 MB
        json_file.write(Path(path), {"format": FORMAT, "files": dict(sorted(files.items()))})
    except OSError as e:  # a read-only build directory only costs hashing again next time
        log.debug("cannot write %s: %s", path, e)
