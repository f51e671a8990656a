"""Budgets: the rules, the config key, and `assetpub build` / `assetpub report` failing
(exit code 1) with the file, its size and the budget."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from assetpub.budgets import Budget, check_budgets, human_bytes, parse_size, problem
from assetpub.cli import main
from assetpub.config import load_config
from assetpub.errors import ConfigError
from assetpub.manifest import parse_entry
from tests.conftest import write_tree


def _entry(size, gz=None, br=None):
    enc = {}
    if gz is not None:
        enc["gzip"] = {"path": "x.gz", "size": gz}
    if br is not None:
        enc["br"] = {"path": "x.br", "size": br}
    return parse_entry({"path": "x", "integrity": "sha384-x", "size": size, "encodings": enc})


ASSETS = {
    "js/app.js": _entry(10_000, 4_000, 3_000),
    "js/vendor/big.js": _entry(200_000, 60_000, 50_000),
    "css/site.css": _entry(5_000, 1_500, 1_200),
    "img/a.png": _entry(70_000),
}


@pytest.mark.parametrize("text, expected", [
    (150, 150), ("150", 150), ("150 KB", 150_000), ("1.5MB", 1_500_000), ("64 KiB", 65_536), ("10 b", 10),
    ("2 MiB", 2 * 1024 * 1024), ("-1", None), ("ten KB", None), ("5 parsecs", None), (True, None), (-3, None), (1.5, None),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_per_file_budget_names_the_largest_and_every_file_over():
    uses = check_budgets(ASSETS, [Budget("js/**/*.js", max_br=40_000, max_raw=20_000)])
    raw = next(u for u in uses if u.measure == "raw")
    br = next(u for u in uses if u.measure == "br")
    assert (br.file, br.used, br.files, br.exceeded) == ("js/vendor/big.js", 50_000, 2, True)
    assert br.over == (("js/vendor/big.js", 50_000),)
    assert raw.over == (("js/vendor/big.js", 200_000),)
    failures = br.failures(lambda n: f"{n / 1000:.1f} KB")
    assert failures == ["budget exceeded: js/vendor/big.js is 50.0 KB brotli (50000 bytes), over the 40.0 KB budget for js/**/*.js"]


def test_a_file_without_a_variant_counts_whole():
    (use,) = check_budgets(ASSETS, [Budget("*.png", max_br=69_999)])
    assert use.used == 70_000 and use.exceeded


def test_total_budget_sums_matching_files():
    (use,) = check_budgets(ASSETS, [Budget("**/*.js", max_gz=64_000, total=True)])
    assert (use.used, use.files, use.file, use.exceeded) == (64_000, 2, None, False)
    (use,) = check_budgets(ASSETS, [Budget("**/*.js", max_gz=63_999, total=True)])
    assert use.exceeded and "the 2 files matching **/*.js total" in use.failures(str)[0]


def test_budget_matching_nothing_passes_and_says_so():
    (use,) = check_budgets(ASSETS, [Budget("*.wasm", max_raw=1)])
    assert not use.exceeded and "no file matches" in use.line(str)


@pytest.mark.parametrize("table, fragment", [
    ({"max_br": "1 KB"}, "needs 'match'"),
    ({"match": "*.js"}, "at least one of"),
    ({"match": "*.js", "max_br": "lots"}, "max_br must be a size"),
    ({"match": "*.js", "max_br": 1, "colour": "red"}, "unknown key 'colour'"),
    ({"match": "*.js", "max_br": 1, "total": "yes"}, "'total'"),
])
def test_bad_budget_tables(table, fragment):
    assert fragment in problem(table)


def test_config_budgets_key(tmp_path):
    conf = tmp_path / "assetpub.toml"
    conf.write_text('[[budgets]]\nmatch = "js/**/*.js"\nmax_br = "150 KB"\n[[budgets]]\nmatch = "**"\ntotal = true\nmax_raw = 1000000\n')
    config = load_config(conf)
    assert config.budgets == (Budget("js/**/*.js", max_br=150_000), Budget("**", max_raw=1_000_000, total=True))
    conf.write_text('[[budgets]]\nmatch = "js/**/*.js"\nmax_br = "150 parsecs"\n')
    with pytest.raises(ConfigError, match=r"assetpub.toml: key 'budgets' must be a list of \[\[budgets\]\] tables"):
        load_config(conf)


SITE = {
    "assets/js/app.js": "console.log('" + "hello world " * 150 + "');\n",
    "assets/css/site.css": "body { color: red }\n",
    "pages/index.html": "<!doctype html><title>x</title>" + "<p>{{ 'page' }}</p>" * 300,
}


def _site(tmp_path, budgets: str):
    write_tree(tmp_path, SITE)
    (tmp_path / "assetpub.toml").write_text(
        'sources = ["assets"]\nout = "_build"\npages = "pages"\n' + budgets, encoding="utf-8")
    return ["--config", str(tmp_path / "assetpub.toml")]


def test_build_fails_over_budget_with_file_size_and_budget(tmp_path):
    args = _site(tmp_path, '[[budgets]]\nmatch = "**/*.js"\nmax_raw = "100 B"\n')
    result = CliRunner().invoke(main, ["build", *args])
    assert result.exit_code == 1, result.output
    assert "budget **/*.js: raw, largest js/app.js" in result.stdout and "EXCEEDED" in result.stdout
    size = (tmp_path / "_build").joinpath(json.loads((tmp_path / "_build/assetpub-manifest.json").read_text())
                                          ["assets"]["js/app.js"]["path"]).stat().st_size
    assert f"error: budget exceeded: js/app.js is {human_bytes(size)} raw ({size} bytes), over the 100 B budget for **/*.js" in result.stderr
    # the build itself is complete: the budget is checked on its manifest
    assert (tmp_path / "_build/assetpub-manifest.json").is_file()


def test_build_within_budget_passes_and_prints_the_use(tmp_path):
    args = _site(tmp_path, '[[budgets]]\nmatch = "**/*.js"\nmax_br = "10 KB"\n')
    result = CliRunner().invoke(main, ["build", *args])
    assert result.exit_code == 0, result.output
    assert "budget **/*.js: brotli, largest js/app.js" in result.stdout and "of 10.0 KB" in result.stdout
    assert "EXCEEDED" not in result.stdout


def test_budgets_warn_only(tmp_path):
    args = _site(tmp_path, '[[budgets]]\nmatch = "**/*.js"\nmax_raw = 100\n')
    result = CliRunner().invoke(main, ["build", *args, "--budgets=warn"])
    assert result.exit_code == 0, result.output
    assert "warning: budget exceeded: js/app.js is" in result.stderr


def test_rendered_pages_count(tmp_path):
    args = _site(tmp_path, '[[budgets]]\nmatch = "*.html"\nmax_raw = "1 KB"\n')
    result = CliRunner().invoke(main, ["build", *args, "--json"])
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    (use,) = summary["budgets"]
    assert use["file"] == "index.html" and use["exceeded"] and use["used"] > 1000
    assert "error: budget exceeded: index.html is" in result.stderr


def test_report_fails_over_budget_too(tmp_path):
    args = _site(tmp_path, '[[budgets]]\nmatch = "**/*.css"\ntotal = true\nmax_gz = 1\n')
    assert CliRunner().invoke(main, ["build", *args, "--budgets", "warn"]).exit_code == 0
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 1
    assert "error: budget exceeded: the 1 files matching **/*.css total" in result.stderr
    page = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", *args, "--out", str(page)])
    assert result.exit_code == 1 and page.is_file()  # written before failing: CI keeps it as an artifact
    row = re.search(r'<tr class="over">(.*?)</tr>', page.read_text(), re.DOTALL).group(1)
    assert "**/*.css" in row and "<td>gzip</td>" in row and "exceeded" in row


def test_bad_budget_in_config_is_a_usage_error(tmp_path):
    args = _site(tmp_path, '[[budgets]]\nmatch = "**/*.js"\n')
    result = CliRunner().invoke(main, ["build", *args])
    assert result.exit_code == 2
    assert "key 'budgets' must be a list of [[budgets]] tables" in result.stderr and "Traceback" not in result.output
