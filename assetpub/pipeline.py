"""The work done per file, as pure functions of plain data so they can run in worker
processes: `scan` (read, hash, find references) and `produce` (rewrite references,
minify, hash, precompress, write). Results are small: file contents travel back only
for files that keep their names, which the builder writes last."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterator, NamedTuple

from . import compress
from . import minify as minifier
from .compilers import Ref, in_order, rewrite, scanner_for
from .compilers.jslex import LexError
from .digest import integrity
from .errors import BuildError, ChangedDuringBuild
from .hashes import written_entry
from .output import write_if_changed
from .safe_path import inside


class RefRow(NamedTuple):
    """A reference found in a source, as it travels to the builder and is cached (a JSON
    array of these seven values, in this order: the build cache's format)."""

    url: str
    start: int  # the URL's span in the text
    end: int
    kind: str  # "url", "import", "sourcemap", "navigation", ...
    comment_start: int | None  # the span of the comment that holds it (a source map's), or None
    comment_end: int | None
    line: int

    @classmethod
    def from_cached(cls, row: object) -> RefRow | None:
        """The row read back from the build cache, or None when it is not one (rescan)."""
        return cls._make(row) if isinstance(row, list) and len(row) == len(cls._fields) else None


# A file with more references than this (a generated stylesheet: millions of url()) is
# never described reference by reference: its scan holds the first of each distinct one
# and their number (`Scan.many`), and the worker that produces it finds them again in
# the same bytes (`Job.replace`). Memory then grows with the distinct references only.
MANY_REFS = 20_000


@dataclass(frozen=True)
class Scan:
    sha: str
    refs: list[RefRow] = field(default_factory=list)
    notes: list[list] = field(default_factory=list)  # [line, message]
    error: tuple[str, int | None] | None = None  # (message, line): the file cannot be built
    # More than MANY_REFS references: how many, and `refs` holds the first occurrence of
    # each distinct (kind, url) only (its line is the one a warning names). 0: every one.
    many: int = 0


def scan(path: str, kind: str, want_refs: bool = True) -> Scan:
    try:
        data = Path(path).read_bytes()
    except OSError as e:  # unreadable, or gone since it was listed: the user's to fix
        return Scan("", error=(f"cannot read: {e.strerror}", None))
    sha = hashlib.sha256(data).hexdigest()
    scanner = scanner_for(kind)
    if scanner is None or not want_refs:
        return Scan(sha)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return Scan(sha, error=(f"not valid UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8", line))
    del data  # a huge file is held once, as text
    lines = _LineCounter(text)
    try:
        refs, notes = in_order(kind, text)
        rows = [_row(r, lines) for r in islice(refs, MANY_REFS + 1)]
        many = _distinct(rows, refs, lines) if len(rows) > MANY_REFS else 0
    except LexError as e:  # nesting no engine would run
        return Scan(sha, error=(f"cannot scan: {e}", text.count("\n", 0, e.pos) + 1))
    return Scan(sha, rows, [[lines.at(n.pos), n.message] for n in sorted(notes, key=lambda n: n.pos)], many=many)


def _row(r: Ref, lines: _LineCounter) -> RefRow:
    return RefRow(r.url, r.start, r.end, r.kind, *(r.comment or (None, None)), lines.at(r.start))


def _distinct(rows: list[RefRow], rest: Iterator[Ref], lines: _LineCounter) -> int:
    """Reduce `rows` to the first row of each distinct (kind, url), reading the rest of
    the references; returns how many there were in all."""
    first: dict[tuple[str, str], RefRow] = {}
    for row in rows:
        first.setdefault((row.kind, row.url), row)
    count = len(rows)
    for r in rest:
        count += 1
        key = (r.kind, r.url)
        if key not in first:
            first[key] = _row(r, lines)
    rows[:] = first.values()
    return count


class _LineCounter:
    """Line numbers for increasing offsets, in one pass over the text."""

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        if pos < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


@dataclass(frozen=True)
class Job:
    name: str
    out_name: str
    kind: str  # 'css' | 'js' | 'html' | 'other'
    path: str | None = None  # source file, whose bytes must have this SHA-256, or
    sha: str | None = None
    data: bytes | None = None  # in-memory source (rendered pages)
    edits: tuple[tuple[int, int, str], ...] = ()  # (start, end, replacement) on the decoded text
    # A file scanned with Scan.many: (kind, url, replacement) per distinct reference to
    # rewrite, applied to every occurrence found again in the bytes; None drops the
    # comment that holds it (a missing source map).
    replace: tuple[tuple[str, str, str | None], ...] = ()
    minify: bool = False
    compressible: bool = False
    use_brotli: bool = True
    use_gzip: bool = True
    brotli_quality: int = 11
    deferred: bool = False  # keeps its name: return bytes, the builder writes it last
    size_hint: int = 0


@dataclass(frozen=True)
class Product:
    name: str
    out_name: str
    integrity: str
    size: int
    encodings: dict[str, dict] = field(default_factory=dict)  # enc -> {"path", "size"}
    written: int = 0
    files: dict[str, bytes] = field(default_factory=dict)  # deferred only: out path -> bytes
    hashes: dict[str, list] = field(default_factory=dict)  # out path -> publish hash-cache entry
    note: str | None = None  # why a file meant to be minified was not

    def entry(self) -> dict:
        return {"path": self.out_name, "integrity": self.integrity, "size": self.size, "encodings": self.encodings}


def produce(job: Job, out_dir: str) -> Product:
    data = job.data if job.data is not None else _source_bytes(job)
    note = None
    if job.edits or job.replace or job.minify:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:  # cannot happen for scanned bytes; say which file all the same
            line = data[: e.start].count(b"\n") + 1
            raise BuildError("not valid UTF-8; save the file as UTF-8", file=job.path, line=line) from None
        data = b""  # a huge file is held once, as text
        if job.edits:
            text = rewrite(text, job.edits)
        elif job.replace:
            text = rewrite(text, _found_again(job, text), ordered=True)
        if job.minify:
            text, note = minifier.minify(text, job.kind)
        data = text.encode("utf-8")
        del text  # (held through compression otherwise)
    variants = (
        compress.variants(data, use_brotli=job.use_brotli, use_gzip=job.use_gzip, brotli_quality=job.brotli_quality)
        if job.compressible
        else {}
    )
    files = {job.out_name: data}
    encodings = {}
    for enc, body in sorted(variants.items()):
        path = job.out_name + compress.EXTENSIONS[enc]
        files[path] = body
        encodings[enc] = {"path": path, "size": len(body)}
    written = 0
    hashes = {}
    if not job.deferred:
        out = Path(out_dir)
        for rel, body in files.items():
            path = inside(out, rel)  # a symlinked directory in OUT never takes a write outside it
            written += write_if_changed(path, body)
            hashes[rel] = written_entry(path, body)  # publish need not read it again
        files = {}
    return Product(job.name, job.out_name, integrity(data), len(data), encodings, written, files, hashes, note)


def _found_again(job: Job, text: str) -> Iterator[tuple[int, int, str]]:
    """The edits of a file scanned with Scan.many, in order: its references found again
    in its text (the bytes that were scanned: `_source_bytes` checks their SHA-256), each
    rewritten as `job.replace` says for its (kind, url)."""
    replace = {(kind, url): new for kind, url, new in job.replace}
    refs, _ = in_order(job.kind, text)
    for r in refs:
        new = replace.get((r.kind, r.url), r)
        if new is r:
            continue
        if new is None:
            yield (r.comment[0], r.comment[1], "")
        else:
            yield (r.start, r.end, new)


def _source_bytes(job: Job) -> bytes:
    """The source, read once more: only if it is still the content that was scanned and
    fingerprinted (`job.sha`). An edit made during the build is an error, never an output
    under the old fingerprint (which the cache would then keep)."""
    try:
        data = Path(job.path).read_bytes()
    except OSError as e:
        raise BuildError(f"cannot read: {e.strerror}; changed during the build, run again", file=job.path) from None
    if job.sha is not None and hashlib.sha256(data).hexdigest() != job.sha:
        raise ChangedDuringBuild(job.path)
    return data
