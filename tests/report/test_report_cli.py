"""`assetpub report` on a build directory and on a directory origin's deploys, and
`assetpub deploy --report`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from assetpub.cli import main
from tests.publish.conftest import record_json

SAMPLE = Path(__file__).resolve().parents[2] / "sample_site"


def _run(*args, cwd: Path | None = None, code: int = 0):
    import os

    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(map(str, args)))
    finally:
        os.chdir(old)
    assert result.exit_code == code, result.output
    return result


def _site(tmp_path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site, ignore=shutil.ignore_patterns("_build", "_origin", "__pycache__"))
    return site


def test_text_summary_json_and_html(tmp_path):
    site = _site(tmp_path)
    _run("build", cwd=site)
    text = _run("report", cwd=site).stdout
    assert re.search(r"_build: 23 files, [\d.]+ KB raw, [\d.]+ KB gzip, [\d.]+ KB downloaded \(brotli\)", text)
    assert "largest downloads (of 23):" in text and "img/grain.png  (image," in text
    assert len([line for line in text.splitlines() if line.startswith("  ")]) == 10
    data = json.loads(_run("report", site / "_build", "--json").stdout)
    manifest = json.loads((site / "_build/assetpub-manifest.json").read_text())["assets"]
    assert {f["name"] for f in data["files"]} == set(manifest)
    index = next(f for f in data["files"] if f["name"] == "index.html")
    assert index["raw"] == manifest["index.html"]["size"]
    assert index["br"] == manifest["index.html"]["encodings"]["br"]["size"] and index["cache"] == "revalidated"
    png = next(f for f in data["files"] if f["name"] == "img/grain.png")
    assert png["br"] == png["raw"] and not png["has_br"] and png["cache"] == "immutable"
    assert data["totals"]["all"]["br"] == sum(f["br"] for f in data["files"])
    assert data["changes"] is None and data["history"] == []
    out = tmp_path / "report.html"
    assert "wrote" in _run("report", site / "_build", "--out", out).stdout
    html = out.read_text()
    # self-contained: no URL the page could fetch (no src=, no link href, no url())
    assert not re.search(r"\bsrc=|<link\b|url\(|@import|https?://", html), re.search(r"\bsrc=|<link\b|url\(|@import|https?://", html)
    assert html.count('<td class="k-') == 23 and "index.html" in html
    assert _run("report", site / "_build", "--out", out).exit_code == 0 and out.read_text() == html  # deterministic


def test_against_a_build_directory(tmp_path):
    site = _site(tmp_path)
    _run("build", "--out", tmp_path / "before", cwd=site)
    css = site / "assets/css/base.css"
    css.write_text(css.read_text() + "\nfooter { color: #135 }\n")
    _run("build", cwd=site)
    data = json.loads(_run("report", site / "_build", "--against", tmp_path / "before", "--json").stdout)
    by = {c["name"]: c for c in data["changes"]["changes"]}
    assert by["css/base.css"]["cause"] == "content" and by["css/base.css"]["delta_raw"] > 0
    assert {"css/site.css", "index.html"} <= set(by["css/base.css"]["cascaded_to"])
    assert by["index.html"]["cause"] == "references"
    assert data["changes"]["against"] == f"build {tmp_path / 'before'}"


def test_target_history_against_and_deploy_report(tmp_path):
    site = _site(tmp_path)
    first = _run("deploy", "--report", tmp_path / "first.html", cwd=site).stdout
    assert "wrote" in first and (tmp_path / "first.html").is_file()
    (site / "assets/js/units.js").write_text((site / "assets/js/units.js").read_text() + "\nexport const knots = 1.852;\n")
    _run("deploy", "--report", tmp_path / "second.html", cwd=site)
    data = json.loads(_run("report", "--to", site / "_origin", "--json", cwd=site).stdout)
    assert [h["live"] for h in data["history"]] == [False, True]
    first_id, second_id = (h["id"] for h in data["history"])
    assert data["deploy"] == second_id and data["changes"]["against"] == f"deploy {first_id}"
    second = data["history"][1]
    assert 0 < second["uploaded"] < data["history"][0]["uploaded"] and second["uploaded_bytes"] > 0
    by = {c["name"]: c for c in data["changes"]["changes"]}
    assert by["js/units.js"]["cause"] == "content" and by["js/units.js"]["delta_raw"] > 0
    assert all(by[n]["cause"] == "references" for n in by["js/units.js"]["cascaded_to"])
    html = (tmp_path / "second.html").read_text()
    assert second_id in html and "js/units.js" in html and 'class="deploy live"' in html
    # a deploy id and a build directory as --against
    older = json.loads(_run("report", "--to", site / "_origin", "--against", first_id, "--json", cwd=site).stdout)
    assert older["changes"] == data["changes"]
    vs_live = json.loads(_run("report", "_build", "--to", "_origin", "--json", cwd=site).stdout)
    assert vs_live["changes"]["changes"] == [] and vs_live["changes"]["against"] == f"deploy {second_id}"


def test_usage_errors(tmp_path):
    site = _site(tmp_path)
    _run("build", cwd=site)
    result = _run("report", site / "_build", "--against", "20200101T000000000Z-abcdef", code=2)
    assert "not a build directory (a deploy id needs --to TARGET)" in result.stderr
    result = _run("report", "--to", tmp_path / "empty", code=1)
    assert "no deploys to report" in result.stderr
    result = _run("report", tmp_path / "nothing", code=1)
    assert "manifest not found" in result.stderr
    _run("deploy", cwd=site)
    result = _run("report", "--to", site / "_origin", "--against", "nope", code=2)
    assert "--against nope: no such deploy" in result.stderr


def test_file_names_cannot_inject_markup(tmp_path):
    from tests.conftest import write_tree

    name = 'x<script>alert(1)</script>&"q.css'
    src = write_tree(tmp_path / "src", {name: "a { color: red }", "ok.css": "b{}"})
    _run("build", src, "--out", tmp_path / "out")
    _run("report", tmp_path / "out", "--out", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "<script>alert" not in html and html.count("<script") == 2  # the data and our script
    assert "x&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#34;q.css" in html


def test_dry_run_deploy_report_shows_what_would_change(tmp_path):
    site = _site(tmp_path)
    _run("deploy", "-q", cwd=site)
    live = record_json((site / "_origin/_assetpub/current.json").read_bytes())["id"]
    (site / "assets/robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    _run("deploy", "--dry-run", "--report", tmp_path / "plan.html", cwd=site)
    html = (tmp_path / "plan.html").read_text()
    assert f"against deploy {live}" in html and 'data-name="robots.txt"' in html
    assert record_json((site / "_origin/_assetpub/current.json").read_bytes())["id"] == live  # nothing published
