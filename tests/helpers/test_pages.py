"""Static pages rendered at build time with the helpers."""

from __future__ import annotations

import json
import re

import pytest

import assetpub
from assetpub.config import load_config
from assetpub.pages import page_names, render_pages

LAYOUT = (
    "<!doctype html><html><head>{{ asset_tag('css/app.css') }}{{ asset_importmap() }}</head>\n"
    "<body>{% block body %}{% endblock %}{{ asset_tag('js/app.js') }}</body></html>\n"
)
PAGES = {
    "_layout.html": LAYOUT,
    "_partials/nav.html": "<nav>{{ page }}</nav>",
    "index.html": '{% extends "_layout.html" %}{% block body %}{% include "_partials/nav.html" %}'
    '<img src="{{ asset_url("img/logo.png") }}" alt="{{ title }}">{% endblock %}',
    "blog/post.html": '{% extends "_layout.html" %}{% block body %}<p>{{ "<b>" }}</p>{% endblock %}',
    "notes.txt": "not a page",
    ".hidden/x.html": "not a page",
}


@pytest.fixture
def pages(site):
    root = site.src.parent / "pages"
    for rel, text in PAGES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_page_names_skip_partials_layouts_and_other_files(pages):
    assert page_names(pages) == ["blog/post.html", "index.html"]


def test_build_renders_pages_as_keep_name_files(site, pages, sri):
    result = site.build(pages=pages)
    manifest = assetpub.Manifest.load(site.manifest_path)
    index = (site.out / "index.html").read_text(encoding="utf-8")
    assert f'<img src="/assets/{manifest.path("img/logo.png")}" alt="">' in index
    assert f'href="/assets/{manifest.path("css/app.css")}" integrity="{sri(site.published("css/app.css"))}"' in index
    assert "<nav>index.html</nav>" in index
    post = (site.out / "blog" / "post.html").read_text(encoding="utf-8")
    assert "<p>&lt;b&gt;</p>" in post  # autoescaped
    for name in ("index.html", "blog/post.html"):
        entry = manifest.entry(name)
        assert entry.path == name and entry.fingerprinted is False
        assert "immutable" not in entry.cache_control
        assert entry.integrity == sri((site.out / name).read_bytes())
    assert not (site.out / "_layout.html").exists() and not (site.out / "notes.txt").exists()
    assert result.manifest.entry("index.html").integrity == manifest.entry("index.html").integrity


def test_pages_change_when_a_referenced_asset_changes(site, pages):
    site.build(pages=pages)
    before = (site.out / "index.html").read_bytes()
    before_entry = assetpub.Manifest.load(site.manifest_path).entry("index.html")
    site.write("img/logo.png", b"\x89PNG another logo")
    site.build(pages=pages)
    after = (site.out / "index.html").read_bytes()
    manifest = assetpub.Manifest.load(site.manifest_path)
    assert after != before
    assert manifest.path("img/logo.png").encode() in after
    assert manifest.path("css/app.css").encode() in after  # app.css references the logo: cascaded
    assert manifest.entry("index.html").integrity != before_entry.integrity


def test_unchanged_build_gives_identical_pages(site, pages):
    site.build(pages=pages)
    first = (site.out / "index.html").read_bytes()
    site.build(pages=pages)
    assert (site.out / "index.html").read_bytes() == first


def test_pages_use_base_url_and_importmap_aliases_from_config(site, pages):
    config = load_config(
        None, discover=False, sources=(site.src,), out=site.out, pages=pages,
        base_url="https://cdn.example.com/assets", importmap={"vendor": "vendor/version.js"},
    )
    assetpub.build(config=config)
    manifest = assetpub.Manifest.load(site.manifest_path)
    html = (site.out / "index.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="importmap">\n(.*?)\n</script>', html, re.DOTALL).group(1))
    assert data["imports"]["vendor"] == "https://cdn.example.com/assets/" + manifest.path("vendor/version.js")
    assert f'src="https://cdn.example.com/assets/{manifest.path("img/logo.png")}"' in html


def test_strict_missing_asset_names_template_and_line(site, pages):
    (pages / "blog" / "post.html").write_text("<p>\nhello\n{{ asset_url('css/gone.css') }}\n", encoding="utf-8")
    before = assetpub.Manifest.load(site.manifest_path).to_json()
    with pytest.raises(assetpub.BuildError) as info:
        site.build(pages=pages, strict=True)
    message = str(info.value)
    assert message.startswith(f"{pages / 'blog' / 'post.html'}:3: ")
    assert "css/gone.css" in message and "assetpub-manifest.json" in message
    assert assetpub.Manifest.load(site.manifest_path).to_json() == before  # nothing written


def test_strict_missing_asset_in_a_layout_names_the_layout(site, pages):
    (pages / "_layout.html").write_text("<head>\n{{ asset_tag('css/gone.css') }}\n{% block body %}{% endblock %}", encoding="utf-8")
    with pytest.raises(assetpub.BuildError, match=re.escape(f"{pages / '_layout.html'}:2: ")):
        site.build(pages=pages, strict=True)


def test_non_strict_missing_asset_renders_unhashed_url(site, pages, caplog):
    (pages / "blog" / "post.html").write_text("{{ asset_url('css/gone.css') }}", encoding="utf-8")
    site.build(pages=pages, strict=False)
    assert (site.out / "blog" / "post.html").read_text(encoding="utf-8") == "/assets/css/gone.css"
    assert any("css/gone.css" in r.getMessage() for r in caplog.records)


def test_template_syntax_error_names_file_and_line(site, pages):
    (pages / "blog" / "post.html").write_text("ok\n\n{% if %}\n", encoding="utf-8")
    with pytest.raises(assetpub.BuildError, match=re.escape(f"{pages / 'blog' / 'post.html'}:3: template syntax error")):
        site.build(pages=pages)


def test_syntax_error_in_a_partial_names_the_partial(site, pages):
    (pages / "_partials" / "nav.html").write_text("<nav>\n{{ page }\n", encoding="utf-8")
    with pytest.raises(assetpub.BuildError, match=re.escape(f"{pages / '_partials' / 'nav.html'}:2: ")):
        site.build(pages=pages)


def test_runtime_errors_name_file_and_line(site, pages):
    (pages / "blog" / "post.html").write_text("a\n{% include '_missing.html' %}\n", encoding="utf-8")
    with pytest.raises(assetpub.BuildError, match=r"post\.html:2: template not found: _missing\.html"):
        site.build(pages=pages)
    (pages / "blog" / "post.html").write_text("a\nb\n{{ 1 // 0 }}\n", encoding="utf-8")
    with pytest.raises(assetpub.BuildError, match=r"post\.html:3: ZeroDivisionError"):
        site.build(pages=pages)


def test_undefined_variable_is_an_error_in_strict_mode_only(site, pages):
    (pages / "blog" / "post.html").write_text("x\n{{ nope.title }}\n", encoding="utf-8")
    with pytest.raises(assetpub.BuildError, match=r"post\.html:2: 'nope' is undefined"):
        site.build(pages=pages, strict=True)
    (pages / "blog" / "post.html").write_text("[{{ nope }}]", encoding="utf-8")
    site.build(pages=pages)
    assert (site.out / "blog" / "post.html").read_text(encoding="utf-8") == "[]"


def test_non_utf8_template_is_a_build_error(site, pages):
    (pages / "blog" / "post.html").write_bytes(b"caf\xe9")
    with pytest.raises(assetpub.BuildError, match=r"post\.html: template is not valid UTF-8"):
        site.build(pages=pages)


def test_missing_pages_directory(site, tmp_path):
    with pytest.raises(assetpub.ConfigError, match="pages directory not found"):
        site.build(pages=tmp_path / "nowhere")


def test_render_pages_directly_over_an_in_memory_manifest(site, pages):
    manifest = assetpub.Manifest.load(site.manifest_path)
    config = load_config(None, discover=False, sources=(site.src,), out=site.out, pages=pages)
    rendered = render_pages(config, manifest)
    assert sorted(rendered) == ["blog/post.html", "index.html"]
    assert manifest.url("img/logo.png") in rendered["index.html"]
