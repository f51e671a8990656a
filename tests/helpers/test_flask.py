"""The Flask extension, through Flask's test client."""

from __future__ import annotations

import re

import pytest

flask = pytest.importorskip("flask")

import assetpub
from assetpub.flask import AssetPub, resolver

TEMPLATE = (
    "<head>{{ asset_tag('css/app.css') }}{{ asset_preload('js/util.js') }}{{ asset_importmap() }}</head>\n"
    '<body><img src="{{ asset_url("img/logo.png") }}">{{ asset_tag("js/app.js") }}</body>\n'
)


def _app(tmp_path, **config) -> flask.Flask:
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "index.html").write_text(TEMPLATE, encoding="utf-8")
    app = flask.Flask("site", root_path=str(tmp_path))
    app.config.update(config)

    @app.route("/")
    def index():
        return flask.render_template("index.html")

    return app


def test_template_renders_hashed_urls_through_the_test_client(tmp_path, site, sri):
    app = _app(tmp_path, ASSETPUB_MANIFEST=str(site.manifest_path), ASSETPUB_BASE_URL="https://cdn.example.com/assets/")
    AssetPub(app)
    html = app.test_client().get("/").get_data(as_text=True)
    manifest = assetpub.Manifest.load(site.manifest_path)
    cdn = "https://cdn.example.com/assets/"
    assert f'<img src="{cdn}{manifest.path("img/logo.png")}">' in html
    assert f'<link rel="stylesheet" href="{cdn}{manifest.path("css/app.css")}" integrity="{sri(site.published("css/app.css"))}"' in html
    assert f'<link rel="modulepreload" href="{cdn}{manifest.path("js/util.js")}"' in html
    assert '<script type="importmap">' in html
    assert re.search(r'<script src="https://cdn\.example\.com/assets/js/app\.[0-9a-f]{12}\.js"', html)


def test_init_app_factory_and_relative_manifest(tmp_path, site):
    ext = AssetPub()
    app = _app(tmp_path, ASSETPUB_MANIFEST="out")  # relative to app.root_path (tmp_path): the build directory
    ext.init_app(app)
    assert resolver(app) is ext.resolver
    html = app.test_client().get("/").get_data(as_text=True)
    assert assetpub.Manifest.load(site.manifest_path).url("img/logo.png") in html


def test_missing_manifest_setting_is_a_config_error(tmp_path):
    with pytest.raises(assetpub.ConfigError, match="ASSETPUB_MANIFEST"):
        AssetPub(_app(tmp_path))


def test_strict_missing_asset_fails_the_request(tmp_path, site):
    app = _app(tmp_path, ASSETPUB_MANIFEST=str(site.manifest_path))
    AssetPub(app)
    (tmp_path / "templates" / "index.html").write_text("{{ asset_url('css/nope.css') }}", encoding="utf-8")
    app.testing = True  # propagate the exception to the test
    with pytest.raises(assetpub.AssetNotFound, match="css/nope.css"):
        app.test_client().get("/")


def test_non_strict_renders_unhashed_url(tmp_path, site):
    app = _app(tmp_path, ASSETPUB_MANIFEST=str(site.manifest_path), ASSETPUB_STRICT=False)
    AssetPub(app)
    (tmp_path / "templates" / "index.html").write_text("{{ asset_url('css/nope.css') }}", encoding="utf-8")
    assert app.test_client().get("/").get_data(as_text=True) == "/assets/css/nope.css"


def _logo_src(client) -> str:
    return re.search(r'<img src="([^"]+)">', client.get("/").get_data(as_text=True)).group(1)


@pytest.mark.parametrize("debug, reloads", [(True, True), (False, False)])
def test_debug_mode_reloads_a_rebuilt_manifest(tmp_path, site, debug, reloads):
    app = _app(tmp_path, ASSETPUB_MANIFEST=str(site.manifest_path))
    AssetPub(app)
    app.debug = debug  # set after init_app, as app.run(debug=True) does
    client = app.test_client()
    before = _logo_src(client)
    site.write("img/logo.png", b"\x89PNG changed")
    site.build()
    new = assetpub.Manifest.load(site.manifest_path).url("img/logo.png")
    assert new != before
    assert _logo_src(client) == (new if reloads else before)


def test_explicit_reload_setting_wins(tmp_path, site):
    app = _app(tmp_path, ASSETPUB_MANIFEST=str(site.manifest_path), ASSETPUB_RELOAD=True)
    AssetPub(app)
    client = app.test_client()
    site.write("img/logo.png", b"\x89PNG changed again")
    site.build()
    assert _logo_src(client) == assetpub.Manifest.load(site.manifest_path).url("img/logo.png")
