"""The proof that nothing changed since the last build, so that a no-op build costs a walk
and a stat per file instead of the build's whole state (OUT/.assetpub/stamp.json).

A successful build leaves a stamp of three digests:

* `key`: everything besides the files that decides the output (assetpub and library
  versions, the compilers' revision, the whole configuration);
* `sources`: every source's logical name and stat (size, mtime, ctime, inode, device),
  and every file under `pages/`, taken *before* the build read them;
* `outputs`: every file in OUT but `.assetpub/` (path and stat), taken after the build
  wrote them;

and the summary to report again (files, bytes, warnings, notes). The next build walks
the sources and the output directory; when all three digests are equal it is done: it
reports the stored summary and reads nothing else.

Why it is safe: the sources' stats are taken before the build reads a byte, so a file
edited while the build runs has another stat by the next build, which then does the work.
The stat may stand for the content only under the rule the caches share
(assetpub/stamps.py): a stamp is written only when every source and output is older than
a reference the file system took first, so a second write in the same tick of its clock
cannot hide. An output edited, deleted or added by hand changes the outputs' digest and
the next build repairs it. Anything else (another version, another setting, a new file)
changes the key or the sources' digest. The stamp is removed before a build does any
work, so a failed or interrupted build leaves none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .output import STATE_DIR, write_atomic
from .stamps import Reference, stamp

STAMP_NAME = f"{STATE_DIR}/stamp.json"
FORMAT = 1


@dataclass(frozen=True)
class Stamp:
    key: str
    sources: str
    outputs: str
    summary: Mapping[str, Any] = field(default_factory=dict)  # files, bytes, warnings, notes


def key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "backslashreplace")).hexdigest()


def sources_digest(files: Mapping[str, Any], pages: Path | None, reference: Reference) -> str | None:
    """The digest of the sources (logical name -> SourceFile) and the pages tree, or None
    when one has not settled (or vanished): such a state gets no stamp."""
    parts: list[bytes] = []
    for name, f in files.items():
        if not _add(parts, name, f.file, reference, os.stat):
            return None
    if pages is not None:
        for rel, path in _tree(Path(pages)):
            if rel is None or not _add(parts, "pages:" + rel, path, reference, _stat_or_link):
                return None
    return hashlib.sha256(b"".join(parts)).hexdigest()


def outputs_digest(
    out: Path,
    reference: Reference | None,
    *,
    ours: Mapping[str, Sequence[int]] | None = None,
    expected: Iterable[str] = (),
) -> str | None:
    """The digest of every file in OUT but its state directory.

    To write a stamp, the build passes the `reference` it took before it began, the stat
    of every file it wrote (`ours`, taken right after each write) and the paths its
    manifest names (`expected`): a file must either still have the stat of its write, or
    be older than the build; every expected path must exist. Otherwise (another build or
    an editor wrote into OUT meanwhile, a file vanished) None: no stamp, and the next
    build does the work. To check a stamp, none of these."""
    parts: list[bytes] = []
    seen = set()
    for rel, path in _tree(out, skip=STATE_DIR):
        if rel is None:
            return None
        if ours is not None and rel in ours:
            try:
                st = os.lstat(path)
            except OSError:
                return None
            if list(stamp(st)) != list(ours[rel]):
                return None  # written again since this build wrote it
            parts.append(_part(rel, st))
        elif not _add(parts, rel, path, reference, os.lstat):
            return None
        seen.add(rel)
    if any(path not in seen for path in expected):
        return None
    return hashlib.sha256(b"".join(parts)).hexdigest()


_SIGNATURE = struct.Struct("<QqqQQ").pack  # stamps.stamp(): size, mtime, ctime, inode, device


def _add(parts: list[bytes], name: str, path: str, reference: Reference | None, stat) -> bool:
    try:
        st = stat(path)
    except OSError:
        return False
    if reference is not None and not reference.settled(st):
        return False
    parts.append(_part(name, st))
    return True


def _part(name: str, st: os.stat_result) -> bytes:
    return name.encode("utf-8", "surrogateescape") + b"\0" + _SIGNATURE(*stamp(st))


def _stat_or_link(path: str) -> os.stat_result:
    """A page's stat, or a dangling symlink's own (an editor's lock link is never read)."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return os.lstat(path)


def _tree(root: Path, *, skip: str | None = None) -> Iterable[tuple[str | None, str]]:
    """(relative POSIX path, path) of every non-directory below root, symlinks not followed
    (a directory symlink is one entry), in the order the file system lists them: listed in
    another order, an unchanged tree only costs one full build, never a wrong one. A
    directory that cannot be listed is (None, its path): its files may still be opened by
    name (a template's include), so nothing about the tree can be proved."""
    todo = [("", str(root))]
    while todo:
        prefix, directory = todo.pop()
        try:
            entries = os.scandir(directory)
        except OSError:
            yield None, directory
            return
        with entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if rel != skip:
                        todo.append((rel + "/", entry.path))
                else:
                    yield rel, entry.path


def load(out: Path) -> Stamp | None:
    try:
        data = json.loads((Path(out) / STAMP_NAME).read_bytes())
        summary = data["summary"]
        if data.get("format") != FORMAT or not _valid(summary):
            return None
        return Stamp(str(data["key"]), str(data["sources"]), str(data["outputs"]), dict(summary))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing or unreadable: the build does the work


def _valid(summary: Any) -> bool:
    """A summary as _stamp writes it: {files, bytes: int, warnings, notes: [str]}."""
    return (
        isinstance(summary, dict)
        and all(type(summary.get(k)) is int for k in ("files", "bytes"))
        and all(isinstance(summary.get(k), list) and all(isinstance(w, str) for w in summary[k])
                for k in ("warnings", "notes"))
    )


def save(out: Path, value: Stamp) -> None:
    data = {"format": FORMAT, "key": value.key, "sources": value.sources, "outputs": value.outputs,
            "summary": dict(value.summary)}
    with contextlib.suppress(OSError):  # a read-only state directory: no stamp, no harm
        write_atomic(Path(out) / STAMP_NAME, json.dumps(data, sort_keys=True).encode())


def remove(out: Path) -> None:
    """Before a build works. Where it cannot be removed (a read-only state directory) the
    stamp still cannot vouch for what follows: any output this build writes changes the
    outputs' digest."""
    with contextlib.suppress(OSError):
        (Path(out) / STAMP_NAME).unlink()
