"""The SHA-256 of each file a publish compares, remembered in BUILD/.assetpub/publish-hashes.json.

A publish with nothing to do must not re-read the whole build: the hash of a file is
reused while its size, mtime, ctime and inode are what they were when it was hashed.
The ctime cannot be set by anyone: any write, rename or `touch` of the file changes it.
A file changed within RACY_NS of being hashed is not remembered (a second write in the
same clock tick would go unseen), so it is hashed again next time. The cache is safe to
delete; a cache that does not parse is ignored, and one that cannot be written (a
read-only build directory) is not an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
NAME = ".assetpub/publish-hashes.json"
RACY_NS = 100_000_000  # 100 ms
CHUNK = 1 << 20
clock_ns = time.time_ns  # tests move the clock


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)  # unbuffered: a fifth faster than open() on small files
    try:
        while chunk := os.read(fd, CHUNK):
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


class HashCache:
    """key -> [size, mtime_ns, ctime_ns, inode, sha256] for the files of one build directory."""

    def __init__(self, root: str | os.PathLike, *, enabled: bool = True):
        self.path = os.path.join(root, NAME)
        self.enabled = enabled
        self.old: dict[str, Any] = self._load() if enabled else {}
        self.new: dict[str, list] = {}
        self.now_ns = clock_ns()

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]

    def sha256_all(self, files: list[tuple[str, str, os.stat_result]]) -> dict[str, str]:
        """{key: sha256} of (key, path, stat) files: remembered where the stat is unchanged,
        read and hashed where not (serially: with threads, 2,300 small files took twice as long)."""
        out: dict[str, str] = {}
        for key, path, st in files:
            stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            entry = self.old.get(key)
            if isinstance(entry, list) and len(entry) == 5 and entry[:4] == stamp and isinstance(entry[4], str):
                self.new[key] = entry
                out[key] = entry[4]
                continue
            out[key] = sha = sha256_file(path)
            if self.now_ns - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS:
                self.new[key] = [*stamp, sha]
        return out

    def save(self) -> None:
        """Write the cache if it changed; only the files of this publish are kept."""
        if not self.enabled or self.new == self.old:
            return
        from ..output import write_atomic

        data = json.dumps({"format": FORMAT, "files": dict(sorted(self.new.items()))}, separators=(",", ":"))
        try:
            write_atomic(Path(self.path), data.encode())
        except OSError as e:  # a read-only build directory only costs re-hashing next time
            log.debug("cannot write %s: %s", self.path, e)

