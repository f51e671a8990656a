"""Precompressed variants: brotli and gzip, deterministic, kept only when they pay."""

from __future__ import annotations

import gzip
import io

import brotli

MIN_SIZE = 128  # bytes: below this a variant is not worth a request/object
MAX_RATIO = 0.95  # keep a variant only if it is at most 95% of the original


def gzip_bytes(data: bytes, level: int = 9) -> bytes:
    """gzip with mtime=0 and no file name in the header, so the same input gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=level, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def brotli_bytes(data: bytes, quality: int = 11) -> bytes:
    return brotli.compress(data, quality=quality)


def variants(data: bytes, *, use_brotli: bool, use_gzip: bool, brotli_quality: int = 11) -> dict[str, bytes]:
    """{'br': …, 'gzip': …} for the encodings worth keeping."""
    out: dict[str, bytes] = {}
    if len(data) < MIN_SIZE:
        return out
    limit = len(data) * MAX_RATIO
    if use_brotli:
        br = brotli_bytes(data, brotli_quality)
        if len(br) <= limit:
            out["br"] = br
    if use_gzip:
        gz = gzip_bytes(data)
        if len(gz) <= limit:
            out["gzip"] = gz
    return out


EXTENSIONS = {"br": ".br", "gzip": ".gz"}


def version() -> str:
    return f"brotli {getattr(brotli, '__version__', '?')}"
