"""The work done for one asset, as a pure function of a Job: rewrite references,
minify, hash, precompress. Runs in worker processes, so Jobs and Products are
plain picklable data."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import compress, minify as minifier
from .compilers import rewrite
from .digest import integrity


@dataclass(frozen=True)
class Job:
    name: str
    out_name: str
    kind: str  # 'css' | 'js' | 'html' | 'other'
    data: bytes  # source bytes
    edits: tuple[tuple[int, int, str], ...] = ()  # (start, end, replacement) on the decoded text
    minify: bool = False
    compressible: bool = False
    use_brotli: bool = True
    use_gzip: bool = True
    brotli_quality: int = 11


@dataclass(frozen=True)
class Product:
    name: str
    out_name: str
    data: bytes
    integrity: str
    variants: dict[str, bytes] = field(default_factory=dict)


def process(job: Job) -> Product:
    data = job.data
    if job.edits or job.minify:
        text = data.decode("utf-8")
        if job.edits:
            text = rewrite(text, job.edits)
        if job.minify:
            text = minifier.minify(text, job.kind)
        data = text.encode("utf-8")
    variants = (
        compress.variants(data, use_brotli=job.use_brotli, use_gzip=job.use_gzip, brotli_quality=job.brotli_quality)
        if job.compressible
        else {}
    )
    return Product(job.name, job.out_name, data, integrity(data), variants)
