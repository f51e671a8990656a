"""One grammar for every command: exit codes from one table, help texts in one style."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from assetpub.cli import main
from assetpub.status import ExitStatus
from tests.conftest import REPO

COMMANDS = sorted(main.list_commands(None))


def _help(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=1000)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_list_shows_each_summary_whole():
    listed = _help().split("Commands:\n", 1)[1].strip().splitlines()
    assert [line.split()[0] for line in listed] == COMMANDS
    for line in listed:
        assert not line.rstrip().endswith("..."), line
        assert line.rstrip().endswith("."), line  # a whole sentence


@pytest.mark.parametrize("command", COMMANDS)
def test_defaults_are_shown_one_way(command):
    text = _help(command)
    assert "(default" not in text, text  # every default as `[default: …]`, as click shows them
    options = text.split("Options:\n", 1)[1]
    assert "or more" not in options and "0-11" not in options, text  # and every range as `[…; x>=1]`


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_is_a_usage_error(command):
    assert CliRunner().invoke(main, [command, "--bogus"]).exit_code == ExitStatus.USAGE


def test_click_usage_errors_are_one_line_like_ours():
    result = CliRunner().invoke(main, ["build", "--bogus"])
    assert result.exit_code == ExitStatus.USAGE
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith("error: No such option '--bogus'") and "(see 'main build --help')" in result.output


def test_quiet_means_the_same_everywhere():
    said = {c: re.search(r"-q, --quiet\s+(.*)", _help(c)).group(1).strip() for c in ("build", "publish", "deploy")}
    assert set(said.values()) == {"Print warnings and errors only."}, said


def test_config_precedence_is_stated_the_same_way():
    top = " ".join(_help().split())
    assert "--config FILE, else ./assetpub.toml, else [tool.assetpub] in ./pyproject.toml" in top
    for command in ("build", "publish", "watch", "deploy"):
        assert "[default: ./assetpub.toml, else [tool.assetpub] in ./pyproject.toml]" in _help(command)


def test_usage_mistakes_found_by_assetpub_exit_like_clicks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src/a.css").write_text("a{}")
    for args in (["build"], ["build", "src"], ["build", "src", "-o", "o", "--config", "nope.toml"],
                 ["build", "nope", "-o", "o"], ["publish", "o", "--grace", "7 days", "--to", "x"],
                 ["watch", "src", "--out", "w", "--jobs", "-1"], ["build", "src", "-o", "o", "--jobs", "x"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == ExitStatus.USAGE, (args, result.output)


def test_readme_exit_code_table_is_the_enum():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Exit codes"):]
    section = section[: section.find("\n## ", 1)]
    rows = dict(re.findall(r"^\| `?(\d+)`? \| (.+?) \|$", section, re.MULTILINE))
    assert sorted(int(code) for code in rows) == sorted(int(s) for s in ExitStatus)
    top = " ".join(_help().split())
    for status in ExitStatus:
        assert f"{int(status)} " in top  # `assetpub --help` states the same table
