"""The Django app: template tags through Django's template engine, and the system check."""

from __future__ import annotations

import re

import pytest

django = pytest.importorskip("django")

from django.conf import settings
from django.test.utils import override_settings

import assetpub


@pytest.fixture(scope="module", autouse=True)
def django_project():
    """A minimal project with the app installed (settings can be configured once per process)."""
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            INSTALLED_APPS=["assetpub.django"],
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False}],
            DATABASES={},
            USE_TZ=True,
        )
    django.setup()


def render(source: str, **context) -> str:
    from django.template import engines

    return engines["django"].from_string(source).render(context)


def test_app_label_is_assetpub():
    from django.apps import apps

    assert apps.get_app_config("assetpub").name == "assetpub.django"


def test_tags_render_in_the_django_template_engine(site, sri):
    with override_settings(ASSETPUB_MANIFEST=str(site.manifest_path), ASSETPUB_BASE_URL="https://cdn.example.com/assets/"):
        html = render(
            "{% load assetpub %}"
            '<img src="{% asset_url "img/logo.png" %}">\n'
            '{% asset_tag "css/app.css" %}\n'
            '{% asset_tag "js/app.js" defer=True data_turbo_track="reload" %}\n'
            '{% asset_integrity "js/util.js" %}\n'
            '{% asset_preload "fonts/inter.woff2" %}\n'
            "{% asset_importmap %}\n"
            '{% asset_url "css/app.css?v=1#x" as css %}[{{ css }}]'
        )
    manifest = assetpub.Manifest.load(site.manifest_path)
    cdn = "https://cdn.example.com/assets/"
    assert f'<img src="{cdn}{manifest.path("img/logo.png")}">' in html
    assert f'<link rel="stylesheet" href="{cdn}{manifest.path("css/app.css")}" integrity="{sri(site.published("css/app.css"))}" crossorigin="anonymous">' in html
    assert re.search(r'<script src="[^"]+" integrity="sha384-[^"]+" crossorigin="anonymous" type="module" defer data-turbo-track="reload"></script>', html)
    assert sri(site.published("js/util.js")) in html
    assert 'as="font" type="font/woff2" crossorigin="anonymous">' in html
    assert f'"lib/dom.js": "{cdn}{manifest.path("lib/dom.js")}"' in html
    assert f"[{cdn}{manifest.path('css/app.css')}?v=1#x]" in html


def test_values_are_escaped(site):
    site.write("css/a&b.css", "p{}")
    site.build()
    with override_settings(ASSETPUB_MANIFEST=str(site.manifest_path)):
        html = render('{% load assetpub %}<a href="{% asset_url "css/a&b.css" %}">{% asset_tag "js/app.js" title=t %}', t='"><i>')
    assert re.search(r'href="/assets/css/a&amp;b\.[0-9a-f]{12}\.css"', html)
    assert 'title="&#34;&gt;&lt;i&gt;"' in html and "<i>" not in html


def test_strict_and_non_strict_missing_asset(site):
    with (
        override_settings(ASSETPUB_MANIFEST=str(site.manifest_path)),
        pytest.raises(assetpub.AssetNotFound, match="css/nope.css"),
    ):
        render('{% load assetpub %}{% asset_url "css/nope.css" %}')
    with override_settings(ASSETPUB_MANIFEST=str(site.manifest_path), ASSETPUB_STRICT=False):
        assert render('{% load assetpub %}{% asset_url "css/nope.css" %}') == "/assets/css/nope.css"


@pytest.mark.parametrize("debug, reloads", [(True, True), (False, False)])
def test_reload_follows_debug(site, debug, reloads):
    template = '{% load assetpub %}{% asset_url "img/logo.png" %}'
    with override_settings(ASSETPUB_MANIFEST=str(site.manifest_path), DEBUG=debug):
        before = render(template)
        site.write("img/logo.png", b"\x89PNG django")
        site.build()
        new = assetpub.Manifest.load(site.manifest_path).url("img/logo.png")
        assert new != before
        assert render(template) == (new if reloads else before)


def _check_messages():
    from django.core import checks

    return [m for m in checks.run_checks() if m.id.startswith("assetpub.")]


def test_check_passes_with_a_good_manifest(site):
    with override_settings(ASSETPUB_MANIFEST=str(site.out)):
        assert _check_messages() == []


def test_check_reports_unset_setting():
    (message,) = _check_messages()
    assert message.id == "assetpub.E001" and "ASSETPUB_MANIFEST is not set" in message.msg


def test_check_reports_a_missing_manifest(tmp_path):
    path = tmp_path / "build" / "assetpub-manifest.json"
    with override_settings(ASSETPUB_MANIFEST=str(path)):
        (message,) = _check_messages()
    assert message.id == "assetpub.E002" and message.is_serious()
    assert str(path) in message.msg and "assetpub build" in message.hint
    with override_settings(ASSETPUB_MANIFEST=str(path), ASSETPUB_STRICT=False):
        (message,) = _check_messages()
    assert message.id == "assetpub.W002" and not message.is_serious()


def test_check_reports_an_unreadable_manifest(tmp_path):
    path = tmp_path / "assetpub-manifest.json"
    path.write_text("{ truncated", encoding="utf-8")
    with override_settings(ASSETPUB_MANIFEST=str(path)):
        (message,) = _check_messages()
    assert message.id == "assetpub.E003" and str(path) in message.msg and "not a readable assetpub manifest" in message.msg
    path.write_text('{"version": 99, "assets": {}}', encoding="utf-8")
    with override_settings(ASSETPUB_MANIFEST=str(path)):
        (message,) = _check_messages()
    assert "unsupported manifest version 99" in message.msg


def test_check_runs_through_manage_py_check(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with (
        override_settings(ASSETPUB_MANIFEST=str(tmp_path / "missing.json")),
        pytest.raises(SystemCheckError, match=r"assetpub\.E002.*assetpub manifest not found"),
    ):
        call_command("check")
