"""When a file's stat may stand for its content: the rule the build and publish caches share.

A cache reuses what it read from a file (its SHA-256) while the file's size, mtime,
ctime, inode and device are unchanged. The ctime matters: a program can put an mtime
back (`touch -r`, `os.utime`), but any write, rename or utime moves the ctime (short of
someone changing the system clock).

That holds only if the file cannot change again without moving its timestamps, which
fails for a file changed in the same tick of the file system's clock as it was read: a
second write in that tick leaves the same timestamps ("racily clean", as git calls it).
Timestamps come truncated to the file system's granularity: 1 ns on ext4 and tmpfs, but
1 s on ext3 or ext4 with small inodes, 2 s on FAT, and unknown on network mounts. So a
stat is remembered only when the file's newest timestamp is strictly older than a
reference taken *on the same file system, before reading*: a marker file the cache
creates first, whose mtime the kernel truncates the same way. Without a marker (none
could be written, or the file is on another device) the file must be SETTLE_NS older
than this machine's clock: a generous margin, since a network file system's timestamps
come from the server's clock, which may be behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

CHUNK = 1 << 20
SETTLE_NS = 60_000_000_000  # granularity (FAT: 2 s) plus a file server's clock being behind
clock_ns = time.time_ns  # tests move the clock
MARKER_PREFIX = ".stamp-"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks (never whole)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)  # unbuffered: a fifth faster than open() on small files
    try:
        while chunk := os.read(fd, CHUNK):
            h.update(chunk)
    finally:
        os.close(fd)
    return h.hexdigest()


def stamp(st: os.stat_result) -> list[int]:
    """What must be unchanged for a remembered hash to stand."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def remembered(entry: object, st: os.stat_result) -> str | None:
    """The SHA-256 a cache entry `[*stamp, sha256]` remembers for a file whose stat is now
    `st`; None when the entry is malformed or the file's stamp moved (read it again). The
    one validity check of both stat-keyed caches (cache.py, hashes.py)."""
    if isinstance(entry, list) and len(entry) == 6 and entry[:5] == stamp(st):
        sha = entry[5]
        if isinstance(sha, str) and _SHA256.fullmatch(sha):
            return sha
    return None


class Reference:
    """The moment reading starts, as the file system sees it. Take it before any read.

    `directory` is where to write the marker: a temporary file, created, stat()ed and
    removed at once (nothing is left behind, even by a build that then fails)."""

    def __init__(self, directory: Path | None = None):
        self.now_ns = clock_ns()
        self.marker_ns: int | None = None
        self.device: int | None = None
        if directory is None:
            return
        try:
            fd, name = tempfile.mkstemp(prefix=MARKER_PREFIX, dir=directory)
        except OSError:  # missing or read-only: the clock decides
            return
        try:
            st = os.fstat(fd)  # created now: its mtime is now, in the file system's granularity
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(name)
        self.marker_ns, self.device = st.st_mtime_ns, st.st_dev
        _sweep(Path(directory), st.st_mtime_ns)

    def settled(self, st: os.stat_result) -> bool:
        """Can content read after this reference was taken be remembered by `st`?"""
        return max(st.st_mtime_ns, st.st_ctime_ns) < self.limit(st.st_dev)

    def limit(self, device: int) -> int:
        """A file on `device` has settled when its mtime and ctime are both below this."""
        if self.marker_ns is not None and device == self.device:
            return self.marker_ns
        return self.now_ns - SETTLE_NS


def _sweep(directory: Path, now_ns: int) -> None:
    """Remove markers a killed process left behind (older than a minute)."""
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith(MARKER_PREFIX) and now_ns - entry.stat().st_mtime_ns > 60_000_000_000:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
    except OSError:
        pass
