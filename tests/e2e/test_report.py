"""The HTML report of the sample site in headless Chromium, opened from file://: no
request beyond the page itself, no console error, one treemap rectangle per file with
its share of the area, zoom, sortable table, and the deltas of a change."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, REPO, SAMPLE, TIMEOUT_MS, chromium, run_cli

pytestmark = pytest.mark.e2e


def _shares(page) -> dict[str, tuple[float, float]]:
    """{logical name: (share of the treemap's area on screen, share of the bytes)} of the drawn files."""
    return page.evaluate("""() => {
        const data = JSON.parse(document.getElementById('report-data').textContent);
        const map = document.getElementById('treemap');  // its padding box holds the rectangles
        const out = {};
        const drawn = [...document.querySelectorAll('#treemap .tm-file')];
        const total = drawn.reduce((s, el) => s + data.files[+el.dataset.i][4], 0);
        for (const el of drawn) {
            const r = el.getBoundingClientRect();
            out[el.dataset.name] = [r.width * r.height / (map.clientWidth * map.clientHeight), data.files[+el.dataset.i][4] / total];
        }
        return out;
    }""")


def _assert_proportional(shares: dict) -> None:
    for name, (area, share) in shares.items():
        assert abs(area - share) <= 0.01 * share + 1e-6, (name, area, share)


@pytest.fixture
def report(tmp_path):
    """The sample site built twice (base.css edited in between) and its report against the first build."""
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site, ignore=shutil.ignore_patterns("_build", "_origin", "__pycache__"))
    run_cli("build", "--out", str(tmp_path / "before"), cwd=site)
    css = site / "assets/css/base.css"
    css.write_text(css.read_text() + "\nfooter { letter-spacing: .02em }\n")
    run_cli("build", cwd=site)
    out = tmp_path / "report.html"
    run_cli("report", "_build", "--against", str(tmp_path / "before"), "--out", str(out), cwd=site)
    manifests = [json.loads(p.joinpath("assetpub-manifest.json").read_text())["assets"]
                 for p in (tmp_path / "before", site / "_build")]
    return out, manifests


def test_report_opens_offline_draws_zooms_sorts(browser, report, tmp_path):
    path, (before, after) = report
    page = browser.new_page()
    requests, failed, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("html[data-report=ready]", state="attached")
    assert requests == [path.as_uri()] and failed == [] and errors == []

    # one rectangle per file, each with its share of the area
    shares = _shares(page)
    assert set(shares) == set(after)
    _assert_proportional(shares)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000

    # hover shows the sizes
    page.hover('#treemap .tm-file[data-name="css/site.css"]')
    tip = page.inner_text("#tip")
    assert "css/site.css" in tip and "brotli" in tip and "saves" in tip

    # click a file in js/vendor/ from the top: zoom into js/, then js/vendor
    page.click('#treemap .tm-file[data-name="js/vendor/timeago.min.js"]')
    assert page.get_attribute("#treemap", "data-root") == "js"
    shares = _shares(page)
    assert set(shares) == {n for n in after if n.startswith("js/")}
    _assert_proportional(shares)
    page.click('#treemap .tm-file[data-name="js/vendor/timeago.min.js"]')
    assert page.get_attribute("#treemap", "data-root") == "js/vendor"
    assert set(_shares(page)) == {"js/vendor/timeago.min.js", "js/vendor/timeago.min.js.map"}
    page.keyboard.press("Escape")
    assert page.get_attribute("#treemap", "data-root") == "js"
    page.click('#crumbs button[data-dir=""]')
    assert page.get_attribute("#treemap", "data-root") == ""
    assert len(_shares(page)) == len(after)

    # the table sorts: numbers largest first, then the other way; text A to Z
    def column(index: int) -> list[str]:
        return page.eval_on_selector_all(f"#files-table tbody tr td:nth-child({index})",
                                         "cells => cells.map(c => c.dataset.v ?? c.textContent)")

    page.click("#files-table th:nth-child(4)")  # raw
    raws = [int(v) for v in column(4)]
    assert raws == sorted(raws, reverse=True) and raws == sorted((e["size"] for e in after.values()), reverse=True)
    assert page.get_attribute("#files-table th:nth-child(4)", "aria-sort") == "descending"
    page.click("#files-table th:nth-child(4)")
    assert [int(v) for v in column(4)] == sorted(raws)
    page.click("#files-table th:nth-child(1)")
    assert column(1) == sorted(after)

    # the change and its cascade, with the right deltas
    row = page.locator('#changes-table tr[data-name="css/base.css"]')
    delta = after["css/base.css"]["size"] - before["css/base.css"]["size"]
    assert delta > 0 and row.locator(".delta-raw").inner_text() == f"+{delta} B"
    br_delta = after["css/base.css"]["encodings"]["br"]["size"] - before["css/base.css"]["encodings"]["br"]["size"]
    assert row.locator(".delta-br").inner_text() == (f"+{br_delta} B" if br_delta > 0 else f"−{-br_delta} B" if br_delta else "±0 B")
    assert "css/site.css" in row.inner_text() and "index.html" in row.inner_text()
    cascaded = page.locator('#changes-table tr[data-name="index.html"]').inner_text()
    assert "references changed" in cascaded and "+" not in cascaded.split("references")[0].split("B")[-1]
    page.close()


@pytest.fixture
def phone(playwright):
    """A touch screen 390 px wide."""
    browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
        context.set_default_timeout(TIMEOUT_MS)
        yield context
    finally:
        browser.close()


def test_report_on_a_phone(phone, report, tmp_path):
    path, _ = report
    page = phone.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("html[data-report=ready]", state="attached")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # tables scroll inside their box
    _assert_proportional(_shares(page))
    page.tap('#treemap .tm-file[data-name="robots.txt"]')  # a top-level file: the tap shows its sizes
    assert page.is_visible("#tip") and "robots.txt" in page.inner_text("#tip")
    page.screenshot(path=str(tmp_path / "report-phone.png"), full_page=True)
    assert errors == []
    page.close()


def test_readme_shows_the_report_and_the_lines_that_make_it(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## What you ship"):]
    section = section[: section.find("\n## ", 1)]
    png = re.search(r"!\[[^\]]+\]\((docs/[^)]+\.png)\)", section).group(1)
    data = (REPO / png).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 300_000
    lines = re.search(r"```sh\n(.*?)\n```", section, re.DOTALL).group(1).splitlines()
    assert lines[0].startswith("cd sample_site && ") and len(lines) == 2
    site = tmp_path / "sample_site"
    shutil.copytree(SAMPLE, site, ignore=shutil.ignore_patterns("_build", "_origin", "__pycache__"))
    for line in (lines[0].removeprefix("cd sample_site && "), lines[1]):
        command = line.split()
        assert command[0] == "assetpub"
        run_cli(*command[1:], cwd=site)
    html = (site / "report.html").read_text(encoding="utf-8")
    assert 'id="treemap"' in html and "img/grain.png" in html
