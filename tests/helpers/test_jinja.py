"""The Jinja2 adapter in a real Environment."""

from __future__ import annotations

import json
import re

import jinja2
import pytest
from markupsafe import Markup

import assetpub
from assetpub.jinja import AssetPubExtension, install

GLOBALS = ("asset_url", "asset_tag", "asset_integrity", "asset_preload", "asset_importmap")
from assetpub.resolver import Resolver


def _env(templates: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)


def test_install_adds_every_global_and_returns_the_resolver(site):
    env = _env({})
    resolver = install(env, manifest=site.manifest_path)
    assert isinstance(resolver, Resolver)
    assert set(GLOBALS) <= set(env.globals)


def test_templates_render_urls_tags_and_sri(site, sri):
    env = _env(
        {
            "page.html": '<img src="{{ asset_url("img/logo.png") }}" alt="">\n'
            "{{ asset_tag('css/app.css') }}\n"
            "{{ asset_tag('js/app.js', defer=true) }}\n"
            '<x data-sri="{{ asset_integrity("js/util.js") }}">\n'
            "{{ asset_preload('fonts/inter.woff2') }}\n"
            "{{ asset_importmap() }}\n"
        }
    )
    install(env, manifest=site.out, base_url="https://cdn.example.com/assets/")
    html = env.get_template("page.html").render()
    manifest = assetpub.Manifest.load(site.manifest_path)
    cdn = "https://cdn.example.com/assets/"
    assert f'<img src="{cdn}{manifest.path("img/logo.png")}" alt="">' in html
    assert f'<link rel="stylesheet" href="{cdn}{manifest.path("css/app.css")}" integrity="{sri(site.published("css/app.css"))}"' in html
    assert re.search(r'<script src="[^"]+/js/app\.[0-9a-f]{12}\.js" integrity="sha384-[^"]+" crossorigin="anonymous" type="module" defer></script>', html)
    assert f'data-sri="{sri(site.published("js/util.js"))}"' in html
    assert 'as="font" type="font/woff2" crossorigin="anonymous"' in html
    data = json.loads(re.search(r'<script type="importmap">\n(.*?)\n</script>', html, re.DOTALL).group(1))
    assert data["imports"]["js/util.js"] == cdn + manifest.path("js/util.js")


def test_html_helpers_return_markup_and_url_is_autoescaped(site):
    site.write("css/a&b.css", "p{}")
    site.build()
    env = _env({"t": '<a href="{{ asset_url("css/a&b.css") }}">{{ asset_tag("css/a&b.css") }}'})
    install(env, manifest=site.manifest_path)
    html = env.get_template("t").render()
    # the URL is escaped once in the href, the tag is not escaped twice
    assert html.count("a&amp;b.") == 2 and "&amp;amp;" not in html and "&lt;link" not in html
    assert isinstance(env.globals["asset_tag"]("css/app.css"), Markup)
    assert not isinstance(env.globals["asset_url"]("css/app.css"), Markup)


def test_attribute_values_from_template_data_are_escaped(site):
    env = _env({"t": "{{ asset_tag('js/app.js', data_user=user) }}"})
    install(env, manifest=site.manifest_path)
    html = env.get_template("t").render(user='"><script>alert(1)</script>')
    assert html.count("<script") == 1 and 'data-user="&#34;&gt;&lt;script&gt;' in html


def test_strict_missing_asset_raises_while_rendering(site):
    env = _env({"t": "{{ asset_url('css/nope.css') }}"})
    install(env, manifest=site.manifest_path)
    with pytest.raises(assetpub.AssetNotFound, match="css/nope.css"):
        env.get_template("t").render()


def test_non_strict_renders_unhashed_url_and_empty_integrity(site):
    env = _env({"t": "{{ asset_url('css/nope.css') }}|{{ asset_integrity('css/nope.css') }}|"})
    install(env, manifest=site.manifest_path, strict=False)
    assert env.get_template("t").render() == "/assets/css/nope.css||"


def test_reload_in_a_live_environment(site):
    env = _env({"t": "{{ asset_url('js/util.js') }}"})
    install(env, manifest=site.manifest_path, reload=True)
    before = env.get_template("t").render()
    site.write("js/util.js", "export function util() { return 42; }\n")
    site.build()
    after = env.get_template("t").render()
    assert after != before and after == assetpub.Manifest.load(site.manifest_path).url("js/util.js")


def test_install_without_manifest_is_a_config_error():
    with pytest.raises(assetpub.ConfigError, match="manifest"):
        install(_env({}))


def test_extension_configured_by_environment_attributes(site):
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t": "{{ asset_url('css/app.css') }} {{ asset_importmap() }}"}),
        extensions=["assetpub.jinja.AssetPubExtension"],
        autoescape=True,
    )
    env.assetpub_manifest = str(site.manifest_path)
    env.assetpub_base_url = "https://cdn.example.com/x"
    env.assetpub_importmap = {"dom": "lib/dom.js"}
    html = env.get_template("t").render()
    manifest = assetpub.Manifest.load(site.manifest_path)
    assert html.startswith("https://cdn.example.com/x/" + manifest.path("css/app.css") + " ")
    assert f'"dom": "https://cdn.example.com/x/{manifest.path("lib/dom.js")}"' in html
    assert isinstance(env.assetpub_resolver, Resolver)


def test_extension_reads_the_assetpub_config_file(site, tmp_path):
    config = tmp_path / "assetpub.toml"
    config.write_text(f'out = "{site.out.name}"\n[importmap]\nvendor = "vendor/version.js"\n', encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ asset_importmap() }}"}), extensions=[AssetPubExtension])
    env.assetpub_config = str(config)
    html = env.get_template("t").render()
    manifest = assetpub.Manifest.load(site.manifest_path)
    assert f'"vendor": "/assets/{manifest.path("vendor/version.js")}"' in html


def test_extension_without_any_manifest_is_a_clear_error(tmp_path):
    config = tmp_path / "assetpub.toml"
    config.write_text('base_url = "/s/"\n', encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ asset_url('x.css') }}"}), extensions=[AssetPubExtension])
    env.assetpub_config = str(config)
    with pytest.raises(assetpub.ConfigError, match="assetpub_manifest"):
        env.get_template("t").render()
