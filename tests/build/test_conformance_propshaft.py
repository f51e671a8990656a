"""Cases from Propshaft's test suite (see ../shared/conformance/README.md)."""

from __future__ import annotations

import shutil

import pytest

import assetpub
from tests.build.conftest import output_text

ASSETS = "propshaft/test/fixtures/assets"


@pytest.fixture
def vendor(conformance, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(conformance / ASSETS / "vendor", src / "vendor")
    return src


def build_css(src, tmp_path, css: str, **options):
    (src / "vendor/foobar/source/test.css").write_text(css)
    result = assetpub.build([src], out=tmp_path / "out", minify=False, **options)
    return result, output_text(result, "vendor/foobar/source/test.css")


def base(result, name):
    return result.manifest.path(name).rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    "written, target, expected_prefix",
    [
        ("url(file.jpg)", "vendor/foobar/source/file.jpg", "url("),
        ("url( file.jpg )", "vendor/foobar/source/file.jpg", "url( "),
        ('url("file.jpg")', "vendor/foobar/source/file.jpg", 'url("'),
        ("url('file.jpg')", "vendor/foobar/source/file.jpg", "url('"),
        ("url(./file.jpg)", "vendor/foobar/source/file.jpg", "url(./"),
        ("url(images/file.jpg)", "vendor/foobar/source/images/file.jpg", "url(images/"),
        ("url(../file.jpg)", "vendor/foobar/file.jpg", "url(../"),
        ("url(../../file.jpg)", "vendor/file.jpg", "url(../../"),
        ("url(../sibling/file.jpg)", "vendor/foobar/sibling/file.jpg", "url(../sibling/"),
        ("url(http-diagram.jpg)", "vendor/foobar/source/http-diagram.jpg", "url("),
        ("url(database.jpg)", "vendor/foobar/source/database.jpg", "url("),
    ],
)
def test_url_forms_rewritten(vendor, tmp_path, written, target, expected_prefix):
    result, text = build_css(vendor, tmp_path, f".hero {{ background: {written} }}")
    assert f"{expected_prefix}{base(result, target)}" in text
    assert not result.warnings


def test_svg_mask_data_uri_untouched(vendor, tmp_path):
    css = """.a { mask: url("data:image/svg+xml;charset=utf-8,%3Csvg mask='url(%23MyMask)'%3E%3C/svg%3E"); }"""
    result, text = build_css(vendor, tmp_path, css)
    assert text == css


def test_two_urls_on_one_line(vendor, tmp_path):
    result, text = build_css(vendor, tmp_path, ".a { background: url(file.svg#demo), url(file.jpg#demo) }")
    assert f"url({base(result, 'vendor/foobar/source/file.svg')}#demo)" in text
    assert f"url({base(result, 'vendor/foobar/source/file.jpg')}#demo)" in text


def test_cascading_digests(conformance, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(conformance / ASSETS / "first_path", src)
    before = assetpub.build([src], out=tmp_path / "a").manifest
    (src / "dependent/c.css").write_text("@import url('a.css')\n\np {\n  color: blue;\n}\n")
    after = assetpub.build([src], out=tmp_path / "b").manifest
    for name in ("dependent/a.css", "dependent/b.css", "dependent/c.css"):
        assert before.path(name) != after.path(name), name
    assert before.path("another.css") == after.path("another.css")


def test_already_digested_files_keep_their_names(conformance, tmp_path):
    result = assetpub.build([conformance / ASSETS / "first_path"], out=tmp_path / "out")
    m = result.manifest
    for name in (
        "file-already-abcdefVWXYZ0123456789_-.digested.css",
        "file-already-abcdefVWXYZ0123456789_-.digested.debug.css",
    ):
        assert m.path(name) == name
        assert m.entry(name).fingerprinted is True
        assert "immutable" in m.entry(name).cache_control
    assert m.path("file-not.digested.css") != "file-not.digested.css"


@pytest.fixture
def mapped(conformance, tmp_path):
    return assetpub.build([conformance / ASSETS / "mapped"], out=tmp_path / "out", base_url="/assets/", minify=False)


def test_trailing_source_map_comments_rewritten(mapped):
    m = mapped.manifest
    assert output_text(mapped, "source.js") == f"var fun;\n//# sourceMappingURL={base(mapped, 'source.js.map')}\n"
    assert output_text(mapped, "source.css").endswith(f"/*# sourceMappingURL={base(mapped, 'source.css.map')} */\n")
    assert f"//# sourceMappingURL={base(mapped, 'nested/another-source.js.map')}" in output_text(mapped, "nested/another-source.js")
    not_at_start = base(mapped, "sourceMappingURL-not-at-start.js.map")
    assert f"var fun; //# sourceMappingURL={not_at_start}" in output_text(mapped, "sourceMappingURL-not-at-start.js")
    css_map = base(mapped, "sourceMappingURL-not-at-start.css.map")
    assert f".class{{color:green;}}/*# sourceMappingURL={css_map} */" in output_text(mapped, "sourceMappingURL-not-at-start.css")
    assert f"/assets/{m.path('sourceMappingURL-already-prefixed.js.map')}" in output_text(mapped, "sourceMappingURL-already-prefixed.js")


def test_source_map_not_at_end_or_outside_comment_left_alone(mapped, conformance):
    for name in ("sourceMappingURL-not-at-end.css", "sourceMappingURL-outside-comment.css"):
        assert output_text(mapped, name) == (conformance / ASSETS / "mapped" / name).read_text()


def test_missing_source_map_removes_comment_with_warning(mapped):
    assert output_text(mapped, "sourceless.js") == "var failure;\n\n"
    assert output_text(mapped, "sourceless.css") == ".failure { color: red; }\n\n"
    assert "sourceMappingURL" not in output_text(mapped, "sourceMappingURL-already-prefixed-invalid.js")
    assert any("sourceless.js:2: source map 'sourceless.js.map' not found" in w for w in mapped.warnings)
    assert any("sourceless.css:2:" in w for w in mapped.warnings)


def test_missing_source_map_is_not_fatal_in_strict_mode(conformance, tmp_path):
    result = assetpub.build([conformance / ASSETS / "mapped"], out=tmp_path / "out", strict=True)
    assert "sourceless.js" in result.manifest


def test_first_load_path_wins(conformance, tmp_path):
    result = assetpub.build(
        [conformance / ASSETS / "first_path", conformance / ASSETS / "second_path"], out=tmp_path / "out"
    )
    assert output_text(result, "one.txt") == (conformance / ASSETS / "first_path/one.txt").read_text()
    assert "two.txt" in result.manifest  # only in the second root


def test_dotfiles_ignored(conformance, tmp_path):
    result = assetpub.build([conformance / ASSETS / "first_path"], out=tmp_path / "out")
    assert ".stuff" not in result.manifest
    assert not [p for p in (tmp_path / "out").rglob("*stuff*")]
