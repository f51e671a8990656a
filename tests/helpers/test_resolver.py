"""The framework-free Resolver against a real build."""

from __future__ import annotations

import json
import logging
import re

import pytest

import assetpub
from assetpub.errors import AssetpubError
from assetpub.resolver import Resolver


def test_url_under_the_manifest_base_path(site):
    r = Resolver(site.manifest_path)
    url = r.url("css/app.css")
    assert re.fullmatch(r"/assets/css/app\.[0-9a-f]{12}\.css", url)
    assert (site.out / url.removeprefix("/assets/")).is_file()


def test_build_directory_is_accepted_as_manifest(site):
    assert Resolver(site.out).url("js/util.js") == Resolver(site.manifest_path).url("js/util.js")


@pytest.mark.parametrize(
    "base_url, prefix",
    [
        ("https://cdn.example.com/assets/", "https://cdn.example.com/assets/"),
        ("https://cdn.example.com/assets", "https://cdn.example.com/assets/"),
        ("/static/", "/static/"),
        ("//cdn.example.com/", "//cdn.example.com/"),
    ],
)
def test_url_with_path_and_cdn_base_urls(site, base_url, prefix):
    path = assetpub.Manifest.load(site.manifest_path).path("img/logo.png")
    assert Resolver(site.manifest_path, base_url=base_url).url("img/logo.png") == prefix + path


@pytest.mark.parametrize("suffix", ["?v=2", "#star", "?#iefix", "?a=1&b=2#frag"])
def test_query_and_fragment_are_carried_over(site, suffix):
    r = Resolver(site.manifest_path, base_url="https://cdn.example.com/a/")
    assert r.url("img/logo.png" + suffix) == r.url("img/logo.png") + suffix
    assert r.integrity("img/logo.png" + suffix) == r.integrity("img/logo.png")


def test_url_percent_encodes_the_path(site):
    url = Resolver(site.manifest_path).url("img/my logo é.png")
    assert re.fullmatch(r"/assets/img/my%20logo%20%C3%A9\.[0-9a-f]{12}\.png", url)


@pytest.mark.parametrize("name", ["css/app.css", "js/app.js", "img/logo.png", "fonts/inter.woff2", "robots.txt"])
def test_integrity_is_sha384_of_published_bytes(site, name, sri):
    assert Resolver(site.manifest_path).integrity(name) == sri(site.published(name))


def test_stylesheet_tag(site, sri):
    r = Resolver(site.manifest_path)
    assert r.tag("css/app.css") == (
        f'<link rel="stylesheet" href="{r.url("css/app.css")}" '
        f'integrity="{sri(site.published("css/app.css"))}" crossorigin="anonymous">'
    )


def test_script_tag_module_by_default_and_classic_when_configured(site, sri):
    module = Resolver(site.manifest_path).tag("js/app.js")
    classic = Resolver(site.manifest_path, js_module=False).tag("js/app.js")
    mjs = Resolver(site.manifest_path, js_module=False).tag("js/lazy.mjs")
    assert module.startswith('<script src="/assets/js/app.') and module.endswith('type="module"></script>')
    assert f'integrity="{sri(site.published("js/app.js"))}" crossorigin="anonymous"' in module
    assert "type=" not in classic and classic.endswith("></script>")
    assert 'type="module"' in mjs  # .mjs is a module whatever the default


def test_tag_attributes_are_escaped_and_named(site):
    tag = Resolver(site.manifest_path).tag(
        "js/app.js", defer=True, async_=False, data_turbo_track='"><script>alert(1)</script>', class_="a&b"
    )
    assert ' defer' in tag and "async" not in tag
    assert 'data-turbo-track="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in tag
    assert 'class="a&amp;b"' in tag
    assert tag.count("<script") == 1


def test_tag_attributes_override_and_drop_defaults(site):
    r = Resolver(site.manifest_path)
    tag = r.tag("js/app.js", type="text/javascript", crossorigin="use-credentials", integrity=None)
    assert 'type="text/javascript"' in tag and 'crossorigin="use-credentials"' in tag
    assert "integrity" not in tag and "module" not in tag


def test_tag_rejects_an_attribute_name_that_would_break_the_html(site):
    with pytest.raises(AssetpubError, match="attribute name"):
        Resolver(site.manifest_path).tag("js/app.js", **{'x"onload': "1"})


def test_url_in_tag_is_escaped(tmp_path, site):
    # a file name with characters special in HTML: '&' stays in the URL and is escaped in the attribute
    site.write("css/a&b.css", "p{}")
    site.build()
    tag = Resolver(site.manifest_path).tag("css/a&b.css")
    assert re.search(r'href="/assets/css/a&amp;b\.[0-9a-f]{12}\.css"', tag)


def test_tag_for_other_types_is_an_error(site):
    with pytest.raises(AssetpubError, match="img/logo.png"):
        Resolver(site.manifest_path).tag("img/logo.png")


def test_preload_links(site):
    r = Resolver(site.manifest_path)
    font = r.preload("fonts/inter.woff2")
    assert font == f'<link rel="preload" href="{r.url("fonts/inter.woff2")}" as="font" type="font/woff2" crossorigin="anonymous">'
    module = r.preload("js/util.js")
    assert module == (
        f'<link rel="modulepreload" href="{r.url("js/util.js")}" '
        f'integrity="{r.integrity("js/util.js")}" crossorigin="anonymous">'
    )
    style = r.preload("css/app.css")
    assert 'rel="preload"' in style and 'as="style"' in style and 'crossorigin="anonymous"' in style
    classic = Resolver(site.manifest_path, js_module=False).preload("js/util.js")
    assert 'rel="preload"' in classic and 'as="script"' in classic
    assert 'as="image"' in r.preload("img/logo.png")


def test_strict_missing_asset_names_asset_and_manifest(site):
    r = Resolver(site.manifest_path)
    with pytest.raises(assetpub.AssetNotFound) as info:
        r.url("css/missing.css?x")
    assert "css/missing.css" in str(info.value) and str(site.manifest_path) in str(info.value)
    with pytest.raises(KeyError):  # AssetNotFound is a KeyError too
        r.tag("js/missing.js")


def test_non_strict_missing_asset_unhashed_url_and_one_warning(site, caplog):
    r = Resolver(site.manifest_path, strict=False, base_url="https://cdn.example.com/a/")
    with caplog.at_level(logging.WARNING, logger="assetpub.resolver"):
        assert r.url("css/missing.css?v=1") == "https://cdn.example.com/a/css/missing.css?v=1"
        assert r.url("css/missing.css") == "https://cdn.example.com/a/css/missing.css"
        assert r.tag("css/missing.css") == '<link rel="stylesheet" href="https://cdn.example.com/a/css/missing.css">'
        assert r.integrity("css/missing.css") is None
        r.url("js/other-missing.js")
    messages = [rec.getMessage() for rec in caplog.records]
    assert sum("css/missing.css" in m for m in messages) == 1
    assert sum("js/other-missing.js" in m for m in messages) == 1
    assert all(str(site.manifest_path) in m for m in messages)


def test_strict_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(assetpub.ManifestError, match="manifest not found"):
        Resolver(tmp_path / "nope" / "assetpub-manifest.json")


def test_non_strict_missing_manifest_serves_unhashed_until_it_appears(site, tmp_path, caplog):
    out = tmp_path / "later"
    r = Resolver(out / "assetpub-manifest.json", strict=False, reload=True, base_url="/assets/")
    assert r.url("css/app.css") == "/assets/css/app.css"
    assetpub.build([site.src], out=out, base_url="/assets/")
    assert r.url("css/app.css") == assetpub.Manifest.load(out).url("css/app.css")


def test_reload_sees_a_rebuilt_manifest(site, sri):
    live = Resolver(site.manifest_path, reload=True)
    once = Resolver(site.manifest_path)
    before = live.url("css/app.css")
    site.write("img/logo.png", b"\x89PNG new bytes")  # app.css references it: its fingerprint cascades
    site.build()
    after = assetpub.Manifest.load(site.manifest_path).url("css/app.css")
    assert after != before
    assert live.url("css/app.css") == after
    assert live.integrity("css/app.css") == sri(site.published("css/app.css"))
    assert once.url("css/app.css") == before


def test_reload_keeps_the_last_good_manifest_when_the_file_breaks(site, caplog):
    live = Resolver(site.manifest_path, reload=True)
    good = live.url("css/app.css")
    site.manifest_path.write_text("{ not json")
    with caplog.at_level(logging.WARNING, logger="assetpub.resolver"):
        assert live.url("css/app.css") == good
    assert any("keeping the previous manifest" in r.getMessage() for r in caplog.records)
    site.manifest_path.unlink()
    assert live.url("css/app.css") == good


def test_refresh_is_a_no_op_without_change(site):
    r = Resolver(site.manifest_path)
    assert r.refresh() is False
    site.write("js/util.js", "export function util() { return 2; }\n")
    site.build()
    assert r.refresh() is True
    assert r.url("js/util.js") == assetpub.Manifest.load(site.manifest_path).url("js/util.js")


def test_reload_needs_a_file(site):
    manifest = assetpub.Manifest.load(site.manifest_path)
    memory = assetpub.Manifest(base_url="/x/", assets=manifest.assets)
    with pytest.raises(ValueError):
        Resolver(memory, reload=True)
    assert Resolver(memory).url("css/app.css").startswith("/x/css/app.")


def _importmap_json(markup: str) -> dict:
    m = re.fullmatch(r'<script type="importmap"( nonce="[^"]*")?>\n(.*)\n</script>', str(markup), re.DOTALL)
    assert m, markup
    return json.loads(m.group(2))


def test_importmap_is_valid_json_and_complete(site, sri):
    r = Resolver(site.manifest_path, importmap=site.aliases, base_url="https://cdn.example.com/assets/")
    data = _importmap_json(r.importmap())
    manifest = assetpub.Manifest.load(site.manifest_path)
    modules = {n for n in manifest if n.endswith((".js", ".mjs"))}
    assert set(data["imports"]) == modules | {"vendor"}
    for name in modules:
        assert data["imports"][name] == r.url(name)
        assert data["integrity"][r.url(name)] == sri(site.published(name))
    assert data["imports"]["vendor"] == r.url("vendor/version.js")
    # every bare specifier the built modules import is resolved by the map
    for name in modules:
        text = site.published(name).decode()
        for spec in re.findall(r"""(?:from|import)\s*["']([^"']+)["']""", text):
            if not spec.startswith(("./", "../", "/")):
                assert spec in data["imports"], (name, spec)
                target = data["imports"][spec].removeprefix("https://cdn.example.com/assets/")
                assert (site.out / target).is_file()


def test_importmap_escapes_html_and_takes_attributes(site):
    site.write("js/</script><b>.js", "export const x = 1;\n")
    site.build()
    markup = Resolver(site.manifest_path).importmap(nonce='a"b')
    assert markup.count("</script") == 1 and "<b>" not in markup
    assert 'nonce="a&#34;b"' in markup
    data = json.loads(re.search(r">\n(.*)\n</script>", markup, re.DOTALL).group(1))
    assert "js/</script><b>.js" in data["imports"]


def test_importmap_alias_to_missing_module(site):
    with pytest.raises(assetpub.AssetNotFound, match="nope.js"):
        Resolver(site.manifest_path, importmap={"x": "nope.js"}).importmap()
    data = _importmap_json(Resolver(site.manifest_path, strict=False, importmap={"x": "nope.js"}).importmap())
    assert data["imports"]["x"] == "/assets/nope.js"


def test_core_and_jinja_import_no_web_framework():
    import subprocess
    import sys

    code = (
        "import sys, assetpub, assetpub.resolver, assetpub.jinja, assetpub.pages\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'django', 'werkzeug')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_name_that_is_not_a_string_is_a_clear_type_error(site):
    r = Resolver(site.manifest_path)
    for call in (r.url, r.integrity, r.tag, r.preload, assetpub.Manifest.load(site.manifest_path).url):
        with pytest.raises(TypeError, match="asset name must be a string, not int"):
            call(1)
