"""The sample site, deployed to a directory origin and served by nginx, in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from assetpub.config import IMMUTABLE, REVALIDATE
from tests.e2e.conftest import PAGES, READY, SAMPLE, importmap_integrity, run_cli, sri, visit
from tests.e2e.png import count_near

pytestmark = pytest.mark.e2e

# On each page, an element only JavaScript fills in (main.js, or a module it import()s).
RENDERED_BY_JS = {
    "index.html": "#conditions[data-rendered] .reading",
    "visit.html": "#opening-hours[data-rendered] tr.today",
    "about.html": "#computed[data-rendered]",
}
SEA = (0x2A, 0x7F, 0x8F)  # --sea: the inline sprite icons on the cards
DEEP = (0x0F, 0x4C, 0x5C)  # the sprite's own colour, seen through url(icons.svg#view-…)


def _is_code(response) -> bool:
    return response.headers.get("content-type", "").startswith(("text/css", "text/javascript"))


@pytest.mark.parametrize("page_name", PAGES)
def test_page_loads_with_no_errors_and_every_asset_checked(published, browser, page_name):
    seen = visit(browser, published.url(page_name))
    assert seen.failed == []
    assert seen.errors == []
    assert seen.responses, "nothing loaded"
    assert {r.url: r.status for r in seen.responses if r.status != 200} == {}

    fingerprinted = published.fingerprinted_paths()
    manifest = published.manifest()
    integrity_by_path = {"/" + e["path"]: e["integrity"] for e in manifest.assets.values()}
    for path, response in seen.by_path().items():
        headers = response.all_headers()
        if _is_code(response):
            assert headers.get("content-encoding") == "br", f"{path} not served brotli-compressed"
            assert "accept-encoding" in headers.get("vary", "").lower(), path
        expected = IMMUTABLE if path in fingerprinted else REVALIDATE
        assert headers.get("cache-control") == expected, path
        if path in integrity_by_path:  # the decoded body is exactly what the manifest hashed
            assert sri(response.body()) == integrity_by_path[path], path

    # Every <link rel=stylesheet> and <script src> carries integrity, and it was applied:
    # a blocked sheet has no CSSOM, a blocked module never sets data-js.
    tags = seen.page.evaluate("""() => [
        ...[...document.querySelectorAll('link[rel=stylesheet]')].map(l => ({url: l.href, integrity: l.integrity, ok: !!l.sheet})),
        ...[...document.querySelectorAll('script[src]')].map(s => ({url: s.src, integrity: s.integrity, ok: true})),
    ]""")
    assert tags and all(t["integrity"].startswith("sha384-") and t["ok"] for t in tags), tags
    assert seen.page.locator(READY).count() == 1
    assert seen.page.locator(RENDERED_BY_JS[page_name]).count() >= 1
    # Every module fetched through `import` (static, dynamic, or by a bare specifier) is
    # covered by the import map's integrity table with the right value.
    tagged = {t["url"]: t["integrity"] for t in tags}
    table = importmap_integrity(seen.page)
    scripts = [r for r in seen.responses if r.headers.get("content-type", "").startswith("text/javascript")]
    assert len(scripts) >= 4
    for response in scripts:
        expected = tagged.get(response.url) or table.get(response.url)
        assert expected == sri(response.body()), f"{response.url} not covered by SRI"
    # Stylesheets reached by @import are not SRI-checked by browsers; they are fingerprinted
    # (and hashed in the manifest, checked above) and only reachable through a checked sheet.
    for response in seen.responses:
        if response.headers.get("content-type", "").startswith("text/css") and response.url not in tagged:
            assert response.url.split(published.base, 1)[1] in fingerprinted


def test_home_page_renders_font_modules_and_sprite(published, browser, tmp_path):
    seen = visit(browser, published.url("index.html"))
    page = seen.page
    assert seen.errors == [] and seen.failed == []

    # The module graph ran: text that only main.js and its imports render.
    assert page.locator("#next-tide .value").inner_text().split()[0] in ("HIGH", "LOW", "High", "Low")
    assert page.locator("#tide-table tbody tr").count() >= 3  # tides.js <-> units.js (a cycle)
    assert page.locator("#tide-chart svg path.curve").count() == 1  # chart.js
    # chart.js names img/buoy.svg with new URL("../img/buoy.svg", import.meta.url): the
    # browser fetched the fingerprinted file (the source name does not exist on the origin)
    buoy = page.locator("#tide-chart svg image.buoy").get_attribute("href")
    assert buoy.split(published.base, 1)[1] == "/" + published.manifest().path("img/buoy.svg")
    assert seen.by_path()["/" + published.manifest().path("img/buoy.svg")].status == 200
    assert page.locator("#conditions .reading").count() == 4  # conditions.js, a dynamic import()
    assert "ago" in page.locator("#conditions .updated").inner_text()  # "timeago" via the import map alias
    assert "computed in your browser" in page.locator("#computed").inner_text()

    # The web font is loaded and is what the heading is actually drawn with.
    assert page.evaluate("document.fonts.check('1em Tidemark')")
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Tidemark' && f.status === 'loaded')"
    )
    cdp = browser.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    h1 = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h1})["fonts"]
    assert any(f["familyName"] == "Tidemark" and f["isCustomFont"] for f in fonts), fonts
    font_requests = [p for p in seen.by_path() if p.startswith("/fonts/")]
    assert len(font_requests) == 1 and font_requests[0].endswith(".woff2")  # never the EOT behind ?#iefix

    # The SVG sprite renders: <use href="icons.svg#shell"> on a card, and
    # url(icons.svg#view-wave) as a CSS background (an SVG <view>).
    icon = page.locator(".card .icon").first.screenshot()
    assert count_near(icon, SEA) >= 20
    label = page.locator("#next-tide .label").screenshot()
    assert count_near(label, DEEP, columns=20) >= 10  # the 20px ::before holding the icon

    shot = tmp_path / "home.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("ASSETPUB_E2E_SCREENSHOT"):  # to look at it: ASSETPUB_E2E_SCREENSHOT=/tmp/home.png
        shutil.copy(shot, os.environ["ASSETPUB_E2E_SCREENSHOT"])


def test_reload_fetches_no_fingerprinted_asset_and_revalidates_the_page(published, browser):
    seen = visit(browser, published.url("index.html"))
    assert seen.errors == []
    first = {path for _, path, _ in published.requests_since(0)}
    fingerprinted = published.fingerprinted_paths()
    assert first & fingerprinted, "the first load fetched no fingerprinted file"

    offset = published.access_log().stat().st_size
    seen.reset()
    seen.page.reload(wait_until="load")
    seen.page.wait_for_selector(READY, state="attached")
    seen.page.wait_for_load_state("networkidle")
    assert seen.errors == [] and seen.failed == []

    requests = published.requests_since(offset)
    assert ("GET", "/index.html", 304) in requests, requests
    assert [r for r in requests if r[1] in fingerprinted] == []
    # The browser's view agrees: every fingerprinted resource came from its cache (0 bytes transferred).
    transferred = seen.page.evaluate(
        "performance.getEntriesByType('resource').map(e => [new URL(e.name).pathname, e.transferSize])"
    )
    assert transferred and all(size == 0 for path, size in transferred if path in fingerprinted), transferred


def _tamper(site, name: str) -> None:
    """Change one published file (and its .br/.gz, so it still decodes) behind the manifest's back."""
    import gzip

    import brotli

    entry = site.manifest().assets[name]
    path = site.origin / entry["path"]
    data = path.read_bytes() + b"\n/* tampered */\n"
    path.write_bytes(data)
    for encoding, variant in entry.get("encodings", {}).items():
        encoded = brotli.compress(data) if encoding == "br" else gzip.compress(data, mtime=0)
        (site.origin / variant["path"]).write_bytes(encoded)


@pytest.mark.parametrize(
    "name, effect",
    [
        ("css/site.css", "document.querySelector('link[rel=stylesheet]').sheet === null"),  # <link integrity>
        ("js/units.js", "!document.documentElement.dataset.js"),  # static import inside the cycle
        ("js/conditions.js", "!document.querySelector('#conditions[data-rendered]')"),  # import()
    ],
)
def test_tampered_asset_is_blocked_by_the_browser(own_site, browser, name, effect):
    _tamper(own_site, name)
    seen = visit(browser, own_site.url("index.html"), ready=False)
    blocked = [e for e in seen.errors if "integrity" in e and own_site.manifest().path(name).split("/")[-1] in e]
    assert blocked, seen.errors
    assert seen.page.evaluate(effect)


def test_republish_after_stylesheet_edit(own_site, browser):
    site = own_site
    seen = visit(browser, site.url("index.html"))
    old_html = site.get("/index.html").body
    old = site.manifest()
    old_css = ["/" + old.path(n) for n in ("css/site.css", "css/base.css")]
    masthead = "getComputedStyle(document.querySelector('.masthead')).backgroundColor"
    assert seen.page.evaluate(masthead) == "rgb(15, 76, 92)"

    base = site.root / "assets" / "css" / "base.css"
    base.write_text(base.read_text(encoding="utf-8").replace("--deep: #0f4c5c;", "--deep: #5c1f4c;"), encoding="utf-8")
    site.deploy()
    new = site.manifest()
    assert new.path("css/base.css") != old.path("css/base.css")
    assert new.path("css/site.css") != old.path("css/site.css")  # it @imports base.css
    assert new.path("js/main.js") == old.path("js/main.js")

    seen.reset()
    seen.page.reload(wait_until="load")
    seen.page.wait_for_selector(READY, state="attached")
    assert seen.errors == [] and seen.failed == []
    assert seen.page.evaluate(masthead) == "rgb(92, 31, 76)"

    # The previous deploy's stylesheets are still served, immutable, byte for byte...
    for path in old_css:
        reply = site.get(path, {"Accept-Encoding": "br"})
        assert reply.status == 200 and reply.header("cache-control") == IMMUTABLE, path
        assert reply.header("content-encoding") == "br"
        identity = site.get(path)
        assert sri(identity.body) == old.assets[_name(old, path)]["integrity"]
    # ...so a page rendered before the deploy (a cached copy, an open tab) still works.
    (site.origin / "old-index.html").write_bytes(old_html)  # identity: get() sends no Accept-Encoding
    before = visit(browser, site.url("old-index.html"))
    assert before.errors == [] and before.failed == []
    assert before.page.evaluate(masthead) == "rgb(15, 76, 92)"
    assert {p for p in before.by_path()} >= set(old_css)


def _name(manifest, path: str) -> str:
    return next(name for name, e in manifest.assets.items() if "/" + e["path"] == path)


def test_published_extras_source_map_robots_favicon(published):
    manifest = published.manifest()
    vendor = published.get("/" + manifest.path("js/vendor/timeago.min.js")).body.decode()
    comment = vendor.rstrip().splitlines()[-1]
    assert comment.startswith("//# sourceMappingURL=timeago.min.js.") and comment.endswith(".map")
    map_path = "/js/vendor/" + comment.split("=", 1)[1]
    reply = published.get(map_path)
    assert reply.status == 200 and reply.header("cache-control") == IMMUTABLE
    source_map = json.loads(reply.body)
    original = (SAMPLE / "tools" / "src" / "timeago.js").read_text(encoding="utf-8")
    assert source_map["sourcesContent"] == [original] and source_map["mappings"]
    for path, kind in (("/robots.txt", "text/plain"), ("/favicon.ico", "image/vnd.microsoft.icon")):
        reply = published.get(path)
        assert reply.status == 200 and reply.header("content-type").startswith(kind), path
        assert reply.header("cache-control") == REVALIDATE
    assert published.get("/favicon.ico").body == Path(SAMPLE / "assets" / "favicon.ico").read_bytes()
    assert published.get("/_assetpub/headers.json").status == 404


def test_rollback_brings_back_the_previous_page(own_site, browser):
    site = own_site
    old_html = site.get("/index.html").body
    base = site.root / "assets" / "css" / "base.css"
    base.write_text(base.read_text(encoding="utf-8").replace("--deep: #0f4c5c;", "--deep: #5c1f4c;"), encoding="utf-8")
    site.deploy()
    masthead = "getComputedStyle(document.querySelector('.masthead')).backgroundColor"
    seen = visit(browser, site.url("index.html"))
    assert seen.page.evaluate(masthead) == "rgb(92, 31, 76)"

    run_cli("rollback", cwd=site.root)  # to the deploy before the live one, on the config's target
    assert site.get("/index.html").body == old_html
    seen.reset()
    seen.page.reload(wait_until="load")
    seen.page.wait_for_selector(READY, state="attached")
    seen.page.wait_for_load_state("networkidle")
    assert seen.errors == [] and seen.failed == []
    assert seen.page.evaluate(masthead) == "rgb(15, 76, 92)"
