"""Cases from WhiteNoise's test suite (see ../shared/conformance/README.md)."""

from __future__ import annotations

import gzip

import brotli

import assetpub
from tests.conftest import write_tree


def test_tiny_file_gets_variants_too(tmp_path):
    """WhiteNoise skips tiny files; assetpub's rule is uniform (docs/fingerprints.md), so an
    edge knows which variants exist from the extension alone."""
    src = write_tree(tmp_path / "src", {"hi.txt": "hi", "big.txt": "a" * 1000})
    result = assetpub.build([src], out=tmp_path / "out")
    m = result.manifest
    assert set(m.entry("hi.txt").encodings) == {"br", "gzip"}
    assert gzip.decompress((result.out / m.entry("hi.txt").encodings["gzip"].path).read_bytes()) == b"hi"
    assert set(m.entry("big.txt").encodings) == {"br", "gzip"}


def test_variants_decompress_to_identical_bytes(tmp_path):
    src = write_tree(tmp_path / "src", {"big.txt": "a" * 1000})
    result = assetpub.build([src], out=tmp_path / "out")
    entry = result.manifest.entry("big.txt")
    identity = (result.out / entry.path).read_bytes()
    assert identity == b"a" * 1000
    assert gzip.decompress((result.out / entry.encodings["gzip"].path).read_bytes()) == identity
    assert brotli.decompress((result.out / entry.encodings["br"].path).read_bytes()) == identity
    assert entry.encodings["gzip"].size == (result.out / entry.encodings["gzip"].path).stat().st_size


def test_images_never_compressed(conformance, tmp_path):
    root = conformance / "whitenoise/tests/test_files/static"
    src = write_tree(tmp_path / "src", {"a.jpg": b"\xff" * 5000, "b.gif": b"GIF89a" + b"\0" * 5000})
    result = assetpub.build([root, src], out=tmp_path / "out")
    for name in ("a.jpg", "b.gif", "directory/pixel.gif"):
        assert result.manifest.entry(name).encodings == {}
    assert not list((tmp_path / "out").rglob("*.gif.gz"))


def test_non_ascii_name_percent_encoded(conformance, tmp_path):
    result = assetpub.build([conformance / "whitenoise/tests/test_files/static"], out=tmp_path / "out")
    path = result.manifest.path("nonascii✓.txt")
    assert (result.out / path).read_bytes() == b"hi\n"
    url = result.manifest.url("nonascii✓.txt")
    assert url.startswith("/assets/nonascii%E2%9C%93.") and url.endswith(".txt")
    assert url.isascii()
