"""Precompressed variants: brotli and gzip, deterministic, for every compressible file.

The rule is uniform (docs/fingerprints.md): every file of a compressible type gets a
variant for each enabled encoding, even a tiny file or one that does not shrink. An
edge can then know which variants exist from the extension alone, without a list of
files (docs/edge.md: the CloudFront function needs no per-file table).
"""

from __future__ import annotations

import gzip
import io

import brotli

RULE = "variants: every compressible file"  # part of the pipeline id (compress.version())


def gzip_bytes(data: bytes, level: int = 9) -> bytes:
    """gzip with mtime=0 and no file name in the header, so the same input gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=level, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def brotli_bytes(data: bytes, quality: int = 11) -> bytes:
    return brotli.compress(data, quality=quality)


def variants(data: bytes, *, use_brotli: bool, use_gzip: bool, brotli_quality: int = 11) -> dict[str, bytes]:
    """{'br': …, 'gzip': …}: one variant per enabled encoding, whatever it saves."""
    out: dict[str, bytes] = {}
    if use_brotli:
        out["br"] = brotli_bytes(data, brotli_quality)
    if use_gzip:
        out["gzip"] = gzip_bytes(data)
    return out


EXTENSIONS = {"br": ".br", "gzip": ".gz"}


def version() -> str:
    return f"brotli {getattr(brotli, '__version__', '?')}; {RULE}"
