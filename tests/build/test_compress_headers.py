"""Precompressed variants and the headers decided at build time."""

from __future__ import annotations

import gzip
import os

import brotli
import pytest

from assetpub import media_types
from assetpub.compress import gzip_bytes

TEXT = "".join(f".rule-{i} {{ margin: {i}px }}\n" for i in range(300))


def test_gzip_is_deterministic_with_no_name_and_zero_mtime():
    a, b = gzip_bytes(b"x" * 1000), gzip_bytes(b"x" * 1000)
    assert a == b
    assert a[:2] == b"\x1f\x8b" and a[3] & 0x08 == 0  # FNAME flag not set
    assert a[4:8] == b"\0\0\0\0"  # MTIME = 0


@pytest.mark.parametrize(
    "name, compressed",
    [
        ("a.css", True), ("a.js", True), ("a.mjs", True), ("a.json", True), ("a.js.map", True), ("a.svg", True),
        ("a.html", True), ("a.txt", True), ("a.xml", True), ("a.ico", True), ("a.wasm", True), ("a.ttf", True),
        ("a.otf", True), ("a.eot", True), ("site.webmanifest", True),
        ("a.png", False), ("a.jpg", False), ("a.gif", False), ("a.webp", False), ("a.avif", False),
        ("a.woff", False), ("a.woff2", False), ("a.zip", False), ("a.gz", False), ("a.br", False),
        ("a.mp4", False), ("a.webm", False), ("a.pdf", False),
    ],
)
def test_variants_by_content_type(make_site, build, tmp_path, name, compressed):
    result = build(make_site({name: TEXT}), keep_names=[])
    entry = result.manifest.entry(name)
    assert bool(entry.encodings) is compressed
    if compressed:
        br = (tmp_path / "out" / entry.encodings["br"].path).read_bytes()
        gz = (tmp_path / "out" / entry.encodings["gzip"].path).read_bytes()
        identity = (tmp_path / "out" / entry.path).read_bytes()
        assert brotli.decompress(br) == identity and gzip.decompress(gz) == identity
        assert entry.encodings["br"].path == entry.path + ".br"
        assert entry.encodings["gzip"].path == entry.path + ".gz"


def test_every_compressible_file_gets_every_variant(make_site, build):
    """The uniform rule (docs/fingerprints.md): an edge can tell from the extension alone."""
    noise = os.urandom(4000).hex()  # hex compresses to about half: pays
    random_svg = bytes(os.urandom(4000))  # does not compress: a variant all the same
    result = build(make_site({"a.svg": random_svg, "b.txt": noise, "c.png": random_svg}))
    assert set(result.manifest.entry("a.svg").encodings) == {"br", "gzip"}
    assert result.manifest.entry("a.svg").encodings["gzip"].size > len(random_svg)
    assert set(result.manifest.entry("b.txt").encodings) == {"br", "gzip"}
    assert result.manifest.entry("c.png").encodings == {}  # not a compressible type


def test_brotli_quality_and_switches(make_site, build, tmp_path):
    src = make_site({"a.css": TEXT})
    q11 = build(src, out=tmp_path / "q11", minify=False).manifest.entry("a.css").encodings["br"].size
    q1 = build(src, out=tmp_path / "q1", minify=False, brotli_quality=1).manifest.entry("a.css").encodings["br"].size
    assert q1 > q11
    none = build(src, out=tmp_path / "none", brotli=False, gzip=False).manifest.entry("a.css")
    assert none.encodings == {}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("a.css", "text/css; charset=utf-8"), ("a.js", "text/javascript; charset=utf-8"),
        ("a.mjs", "text/javascript; charset=utf-8"), ("a.json", "application/json; charset=utf-8"),
        ("a.js.map", "application/json; charset=utf-8"), ("a.svg", "image/svg+xml; charset=utf-8"),
        ("a.woff2", "font/woff2"), ("a.woff", "font/woff"), ("a.ttf", "font/ttf"), ("a.otf", "font/otf"),
        ("a.wasm", "application/wasm"), ("site.webmanifest", "application/manifest+json; charset=utf-8"),
        ("favicon.ico", "image/vnd.microsoft.icon"), ("a.avif", "image/avif"), ("a.webp", "image/webp"),
        ("a.html", "text/html; charset=utf-8"), ("a.txt", "text/plain; charset=utf-8"),
        ("a.tar.gz", "application/gzip"), ("a.unknownext", "application/octet-stream"), ("README", "application/octet-stream"),
    ],
)
def test_content_type_table(name, expected):
    assert media_types.content_type(name) == expected


def test_content_type_ignores_os_mimetypes(monkeypatch):
    import mimetypes

    monkeypatch.setattr(mimetypes, "guess_type", lambda *a, **k: ("bogus/type", "gzip"))
    assert media_types.content_type("x.woff2") == "font/woff2"


def test_cache_control_defaults_and_overrides(make_site, build):
    from assetpub.config import HeaderRule

    src = make_site({"a.css": "a{}", "img/x.png": b"x", "robots.txt": "x", "sw.js": "x", ".well-known/security.txt": "x"})
    m = build(src).manifest
    assert m.entry("a.css").cache_control == "public, max-age=31536000, immutable"
    for name in ("robots.txt", "sw.js"):
        assert m.entry(name).cache_control == "public, max-age=0, must-revalidate"
        assert m.path(name) == name
    assert m.path(".well-known/security.txt") == ".well-known/security.txt"  # RFC 8615, keeps its name
    m = build(
        src,
        headers=[HeaderRule("img/**", "public, max-age=600"), HeaderRule("*.png", "never used: first match wins")],
        cache_control_keep_name="no-cache",
    ).manifest
    assert m.entry("img/x.png").cache_control == "public, max-age=600"
    assert m.entry("robots.txt").cache_control == "no-cache"


def test_header_rules_from_config_file(tmp_path):
    import assetpub

    (tmp_path / "src").mkdir()
    (tmp_path / "src/x.png").write_bytes(b"x")
    (tmp_path / "assetpub.toml").write_text(
        'sources = ["src"]\nout = "out"\n[[headers]]\nmatch = "*.png"\ncache_control = "public, max-age=60"\n'
    )
    result = assetpub.build(config_file=tmp_path / "assetpub.toml")
    assert result.manifest.entry("x.png").cache_control == "public, max-age=60"
