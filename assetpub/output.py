"""Writing the build output: atomic files, unchanged files left alone (their mtime is
Last-Modified for nginx and the dev server), a history of manifests, and `clean`."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from .errors import ManifestError
from .manifest import MANIFEST_NAME, Manifest
from .safe_path import inside, within

STATE_DIR = ".assetpub"  # inside the output directory; a dot-directory, so never published
HISTORY_DIR = f"{STATE_DIR}/manifests"


def write_atomic(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename over it: readers see old or new,
    never half. `durable` also fsyncs the bytes before the rename (the rename itself is
    durable once the directory is fsynced: see fsync_dir)."""
    _replace_atomically(path, lambda f: f.write(data), durable)


def copy_atomic(source: str | os.PathLike, path: Path, *, durable: bool = False) -> None:
    """write_atomic with the bytes of the file `source`, streamed (never read whole)."""

    def fill(f) -> None:
        with open(source, "rb") as fin:
            shutil.copyfileobj(fin, f, 1 << 20)

    _replace_atomically(path, fill, durable)


def write_chunks_atomic(path: Path, chunks, *, unless: str | None = None) -> str:
    """write_atomic of the concatenated `chunks`, streamed (never one string in memory);
    returns their SHA-256 (hex). When that is `unless` (the digest of what the file holds),
    the file is left as it is (its mtime too)."""
    digest = hashlib.sha256()

    def fill(f) -> bool:
        for chunk in chunks:
            digest.update(chunk)
            f.write(chunk)
        return digest.hexdigest() != unless

    _replace_atomically(path, fill, False)
    return digest.hexdigest()


def _replace_atomically(path: Path, fill, durable: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as f:
            if fill(f) is False:  # the caller found the bytes it wrote to be the file's already
                f.close()
                _discard(tmp)
                return
            if durable:
                f.flush()
                os.fsync(f.fileno())  # releases the GIL: upload workers sync in parallel
        replace_newer(tmp, path)  # new bytes, new validators, even within the same second
    except OSError as e:
        _discard(tmp)
        if e.filename == str(tmp):  # the user knows the destination, not our temporary name
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only directory: there is nothing to remove either


def replace_newer(tmp: Path, dest: Path) -> None:
    """Rename `tmp` over `dest`, making sure the new file's mtime is in a later whole
    second than the file it replaces.

    Servers derive Last-Modified (whole seconds, RFC 9110) and often the ETag (nginx:
    mtime seconds and size) from the mtime: a file rewritten within the same second
    with the same size would otherwise keep its validators, and browsers would keep
    the old content on revalidation (a deploy and a rollback a moment apart)."""
    try:
        before = dest.stat().st_mtime_ns
    except OSError:
        before = None
    if before is not None:
        after = tmp.stat().st_mtime_ns
        if after // 1_000_000_000 <= before // 1_000_000_000:
            later = (before // 1_000_000_000 + 1) * 1_000_000_000
            os.utime(tmp, ns=(later, later))
    os.replace(tmp, dest)


# what opening or fsyncing a directory answers where the file system cannot (vboxsf, some
# 9p and CIFS mounts; Windows cannot open a directory): nothing to do, as SQLite does
_NO_DIR_SYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES, errno.EISDIR, errno.EPERM}


def fsync_dir(path: Path) -> None:
    """Make the entries of directory `path` (files renamed into it) durable, where the file
    system can; other errors (EIO) are raised."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as e:
        if e.errno in _NO_DIR_SYNC:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in _NO_DIR_SYNC:
            raise
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Make a file's bytes durable (one already in place, that this process did not write)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def same_content(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write unless the file already holds exactly these bytes (then its mtime is kept). True if written."""
    if same_content(path, data):
        return False
    write_atomic(path, data)
    return True


def record_history(out: Path, manifest: Path, manifest_bytes: bytes, *, new: bool = False) -> None:
    """Keep every distinct manifest under .assetpub/manifests/NNNNNN.json for `clean --keep`.

    An entry is a hard link to the manifest just written, which every write replaces by a
    rename (a new inode), never in place: recording costs the same for 10 files and for
    100,000 (a 48 MB manifest), and an unchanged manifest is known by its inode without
    reading either file. Where links are not possible (FAT), a copy. `new`: the caller knows
    these bytes differ from the manifest they replaced (watch mode), so the last entry is
    not read to compare (at worst an entry repeats an older one's content)."""
    history = out / HISTORY_DIR
    history.mkdir(parents=True, exist_ok=True)
    entries = _history(out)
    if entries and (_same_file(entries[-1], manifest) or (not new and same_content(entries[-1], manifest_bytes))):
        return
    entry = history / f"{int(entries[-1].stem) + 1 if entries else 1:06d}.json"
    try:
        os.link(manifest, entry)
    except OSError:
        write_atomic(entry, manifest_bytes)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _history(out: Path) -> list[Path]:
    history = out / HISTORY_DIR
    if not history.is_dir():
        return []
    return sorted(p for p in history.glob("*.json") if p.stem.isdigit())


def clean(out: str | os.PathLike, *, keep: int = 3, dry_run: bool = False) -> list[str]:
    """Remove build outputs that none of the last `keep` manifests reference.

    Only files that some earlier manifest listed are candidates: a file assetpub never
    wrote is never removed. Returns the removed paths (relative to `out`), sorted.
    """
    out = Path(out)
    from .config import check

    check("keep", keep, "keyword argument keep")
    entries = _history(out)
    current = out / MANIFEST_NAME
    kept, old = entries[-keep:], entries[:-keep]
    live: set[str] = set()
    for path in kept + ([current] if current.exists() else []):
        live |= Manifest.load(path).paths()
    candidates: set[str] = set()
    for path in old:
        try:
            candidates |= Manifest.from_dict(json.loads(path.read_bytes()), source=str(path)).paths()
        except (OSError, ValueError, ManifestError):
            continue  # unreadable, or names a path outside OUT (safe_path): removes nothing
    removed = sorted(p for p in candidates - live if within(out, out / p) and (out / p).is_file())
    if dry_run:
        return removed
    for rel in removed:
        path = inside(out, rel)
        path.unlink(missing_ok=True)
        remove_empty_parents(out, path.parent)
    for path in old:
        path.unlink()
    return removed


def remove_empty_parents(root: Path, directory: Path) -> None:
    """Remove `directory` and its parents up to (not including) `root` while they are empty."""
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
