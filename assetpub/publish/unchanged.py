"""The proof that a build directory is what was last published to a target, so that a
no-op publish costs a walk of BUILD and two requests instead of the manifest, the hash
cache and the record (docs/publishing.md, "The no-op proof").

After a publish that left the target's live record describing this build directory (it
made its record live, or found nothing to do), publish writes, beside the copy of that
record,

    BUILD/.assetpub/records/<sha256 of the target URL>/published.json
    {"format": "assetpub-published", "url": URL, "tool": "assetpub X.Y.Z",
     "version": <the live current.json's version: S3's ETag, a directory's SHA-256>,
     "outputs": <digest of every file in BUILD but .assetpub/: path and stat>,
     "objects": <objects the record lists>}

The next publish walks BUILD (one lstat per file). When the
digest, the URL and the tool are the same, it asks for current.json with
`If-None-Match: <version>`; a 304, and no journal or stale lock in the LIST sent with it,
means the target still holds the record that describes these very files: nothing to do,
nothing else read.

Why a stale proof cannot skip an upload: the outputs digest is taken before the build
directory is read, and only when every file is older than a marker file made first
(assetpub/stamps.py: a second write in the same clock tick cannot hide), so any later
write, rename, `touch` or hand edit in BUILD moves a stat and the digest; a publish by
anyone to this target (another machine, a rollback) changes the record's version; another
target or prefix has another URL, so another proof; another assetpub version never trusts
the proof. Flags do not enter: a publish with nothing to do does the same whatever they
are (pruning and invalidation run only after a publish that wrote something), and
--verify, --dry-run and --json never take this path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

from ..output import STATE_DIR, write_atomic
from ..stamps import Reference, stamp

FORMAT = "assetpub-published"
NAME = "published.json"


@dataclass(frozen=True)
class Published:
    url: str
    tool: str
    version: str  # of the live current.json this build directory matched
    outputs: str  # outputs_digest of the build directory, taken before it was read
    objects: int  # what the record lists (the summary line's "skipped N")


_SIGNATURE = struct.Struct("<QqqQQ").pack  # stamps.stamp(): size, mtime, ctime, inode, device


def outputs_now(build_dir: str | Path) -> str | None:
    """The digest of every file in BUILD but its state directory (path and stat, as
    build_stamp.outputs_digest takes them), or None when one has not settled (written in
    this very tick of the file system's clock, or too recently to tell), when a directory
    cannot be listed, or when BUILD holds a symbolic link (publish reads what it points to,
    whose stat is not the link's): such a state gets no proof. Take it before anything in
    BUILD is read."""
    root = Path(build_dir)
    state = root / STATE_DIR
    reference = Reference(state if state.is_dir() else None)
    digest = hashlib.sha256()
    todo = [("", str(root))]
    limits: dict[int, int] = {}  # device -> reference.limit(device): the settled rule, looked up once
    while todo:
        prefix, directory = todo.pop()
        parts = []  # hashed a directory at a time: at 100k files the loop is the walk's cost
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    rel = prefix + entry.name
                    if entry.is_symlink():
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        if rel != STATE_DIR:
                            todo.append((rel + "/", entry.path))
                        continue
                    st = entry.stat(follow_symlinks=False)
                    limit = limits.get(st.st_dev)
                    if limit is None:
                        limit = limits[st.st_dev] = reference.limit(st.st_dev)
                    if st.st_mtime_ns >= limit or st.st_ctime_ns >= limit:
                        return None
                    parts.append(rel.encode("utf-8", "surrogateescape") + b"\0" + _SIGNATURE(*stamp(st)))
        except OSError:
            return None
        digest.update(b"".join(parts))
    return digest.hexdigest()


def load(folder: Path) -> Published | None:
    """The proof kept in `folder` (LocalCopies.folder(url)), or None: missing or unreadable."""
    try:
        data = json.loads((folder / NAME).read_bytes())
        if data.pop("format") != FORMAT:
            return None
        proof = Published(**data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    fields = (proof.url, proof.tool, proof.version, proof.outputs)
    if not all(isinstance(f, str) and f for f in fields) or type(proof.objects) is not int:
        return None
    return proof


def save(folder: Path, proof: Published) -> None:
    """Keep the proof; a build directory that cannot be written only costs a full no-op."""
    data = {"format": FORMAT, **asdict(proof)}
    with contextlib.suppress(OSError):
        write_atomic(folder / NAME, json.dumps(data, sort_keys=True).encode() + b"\n")


def forget(folder: Path) -> None:
    """Before a publish changes the target: until it has finished, no proof stands."""
    with contextlib.suppress(OSError):
        (folder / NAME).unlink()
