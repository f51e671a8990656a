"""The work done per file, as pure functions of plain data so they can run in worker
processes: `scan` (read, hash, find references) and `produce` (rewrite references,
minify, hash, precompress, write). Results are small: file contents travel back only
for files that keep their names, which the builder writes last."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from . import compress
from . import minify as minifier
from .compilers import rewrite, scanner_for
from .compilers.jslex import LexError
from .digest import integrity
from .hashes import written_entry
from .output import write_if_changed

# A reference as it travels and is cached: [url, start, end, kind, comment_start, comment_end, line]
RefRow = list


@dataclass(frozen=True)
class Scan:
    sha: str
    refs: list[RefRow] = field(default_factory=list)
    notes: list[list] = field(default_factory=list)  # [line, message]
    error: tuple[str, int | None] | None = None  # (message, line): the file cannot be built


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
    try:
        refs, notes = scanner(text)
    except LexError as e:  # nesting no engine would run
        return Scan(sha, error=(f"cannot scan: {e}", text.count("\n", 0, e.pos) + 1))
    lines = _LineCounter(text)
    rows = [
        [r.url, r.start, r.end, r.kind, *(r.comment or (None, None)), lines.at(r.start)]
        for r in sorted(refs, key=lambda r: r.start)
    ]
    return Scan(sha, rows, [[lines.at(n.pos), n.message] for n in sorted(notes, key=lambda n: n.pos)])


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
    path: str | None = None  # source file, or
    data: bytes | None = None  # in-memory source (rendered pages)
    edits: tuple[tuple[int, int, str], ...] = ()  # (start, end, replacement) on the decoded text
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
    data = job.data if job.data is not None else Path(job.path).read_bytes()
    note = None
    if job.edits or job.minify:
        text = data.decode("utf-8")
        if job.edits:
            text = rewrite(text, job.edits)
        if job.minify:
            text, note = minifier.minify(text, job.kind)
        data = text.encode("utf-8")
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
            written += write_if_changed(out / rel, body)
            hashes[rel] = written_entry(out / rel, body)  # publish need not read it again
        files = {}
    return Product(job.name, job.out_name, integrity(data), len(data), encodings, written, files, hashes, note)
