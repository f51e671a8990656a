"""One rule for every setting, wherever its value comes from: a config file, a flag or a
Python keyword argument gives the same message (naming the key and its source) and, on
the command line, exit code 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import assetpub
from assetpub.cli import main
from assetpub.config import load_config
from assetpub.errors import ConfigError
from tests.conftest import write_tree

# key, a bad value as TOML / as Python, the flag, the command to try it with, what the message says
BAD = [
    ("brotli_quality", "99", 99, ["--brotli-quality", "99"], "build", "must be an integer from 0 to 11, not 99"),
    ("jobs", "-5", -5, ["--jobs", "-5"], "build", "must be an integer from 0 to 256 (0: all cores), not -5"),
    ("jobs", "99999999999999999999", 10**20, ["--jobs", "5000"], "build", "must be an integer from 0 to 256"),
    ("workers", "-1", -1, ["--workers", "-1"], "publish", "must be an integer from 0 to 1024 (0: 16), not -1"),
    ("grace", '"99999999999999999999d"', "99999999999999999999d", ["--grace", "9999999999d"], "publish",
     "must be a duration such as '7d'"),
    ("keep", "0", 0, ["--keep", "0"], "publish", "must be a positive integer, not 0"),
    ("grace", '"banana"', "banana", ["--grace", "banana"], "publish", "must be a duration such as '7d'"),
    ("grace", '"7 days"', "7 days", None, "build", "not string '7 days'"),  # build checks it too
    ("max_deletes", "-3", -3, ["--max-deletes", "-3"], "publish", "must be a non-negative integer, not -3"),
    ("acl", '"everyone"', "everyone", ["--acl", "everyone"], "publish", "must be a canned ACL (private, public-read"),
    ("base_url", '"assets/"', "assets/", ["--base-url", "assets/"], "build", "must be a path from the site root"),
    ("cache_control", '"public, max-age=60\\r\\nSet-Cookie: injected=1"', "public, max-age=60\r\nSet-Cookie: x=1", None,
     "build", "must be a header value (printable ASCII, no line breaks)"),
    ("endpoint_url", '"not a url"', "not a url", ["--endpoint-url", "not a url"], "publish", "must be an http(s) URL"),
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    write_tree(tmp_path, {"src/a.css": "a{}"})
    assetpub.build([tmp_path / "src"], out=tmp_path / "built")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cli(command: str, *args: str, config: str | None = None):
    base = ["build", "src", "--out", "out"] if command == "build" else ["publish", "built", "--to", "origin", "--dry-run"]
    if config is not None:
        base += ["--config", config]
    return CliRunner().invoke(main, [*base, *args])


@pytest.mark.parametrize("key, toml, value, flag, command, says", BAD, ids=[f"{b[0]}={b[2]!r}" for b in BAD])
def test_same_rule_and_message_from_file_flag_and_keyword(project, key, toml, value, flag, command, says):
    (project / "bad.toml").write_text(f"{key} = {toml}\n")
    from_file = _cli(command, config="bad.toml")
    assert from_file.exit_code == 2, from_file.output
    assert from_file.output.strip().splitlines() == [from_file.output.strip()]  # one line
    assert f"bad.toml: key '{key}' {says}".split(says)[0] in from_file.output and says in from_file.output

    if flag is not None:
        from_flag = _cli(command, *flag)
        assert from_flag.exit_code == 2, from_flag.output
        assert from_flag.output.startswith(f"error: {flag[0]} {says}"), from_flag.output

    with pytest.raises(ConfigError, match=rf"^keyword argument {key} must be") as raised:
        load_config(discover=False, **{key: value})
    assert says in str(raised.value)


def test_library_build_checks_its_keywords(tmp_path):
    write_tree(tmp_path, {"src/a.css": "a{}"})
    with pytest.raises(ConfigError, match="keyword argument brotli_quality must be an integer from 0 to 11, not 99"):
        assetpub.build([tmp_path / "src"], out=tmp_path / "out", brotli_quality=99)
    assert not (tmp_path / "out").exists()


def test_sources_must_be_a_list_in_a_config_file(project):
    (project / "bad.toml").write_text('sources = "../src"\nout = "o"\n')
    result = CliRunner().invoke(main, ["build", "--config", "bad.toml"])
    assert result.exit_code == 2
    assert "bad.toml: key 'sources' must be a list of directories, not string '../src'" in result.output


def test_header_rules_are_header_values(project):
    (project / "bad.toml").write_text('[[headers]]\nmatch = "*.css"\ncache_control = "a\\nb"\n')
    result = _cli("build", config="bad.toml")
    assert result.exit_code == 2 and "bad.toml: key 'headers' must be a list of tables" in result.output


def test_workers_zero_means_the_default_everywhere(project):
    """README: workers 0 = 16; the CLI takes 0 as the config file does."""
    (project / "zero.toml").write_text("workers = 0\n")
    assert _cli("publish", config="zero.toml").exit_code == 0
    assert _cli("publish", "--workers", "0").exit_code == 0


def test_library_publish_checks_its_keywords(project):
    from assetpub.publish import open_target, publish
    from assetpub.publish.errors import PublishError

    with pytest.raises(ConfigError, match="keyword argument workers must be an integer from 0 to 1024"):
        publish(project / "built", target=open_target(str(project / "origin")), workers=-1)
    with pytest.raises(ConfigError, match="keyword argument workers must be"):
        publish(project / "built", target=open_target(str(project / "origin")), workers="8")
    with pytest.raises(PublishError, match="no target given") as raised:  # still a PublishError, and exit 2
        open_target("")
    assert isinstance(raised.value, ConfigError.__mro__[1]) and raised.value.exit_status == 2
    assert not (project / "origin").exists()


def test_the_package_docstring_example_works_after_a_build(tmp_path):
    """`assetpub.publish` is the function, whatever was imported before it (a submodule
    import once made it the `assetpub.publish` package)."""
    code = (
        "import assetpub, pathlib, sys\n"
        "root = pathlib.Path(sys.argv[1])\n"
        "(root / 'src').mkdir()\n"
        "(root / 'src/a.css').write_text('a{}')\n"
        "assetpub.build([root / 'src'], out=root / 'out')\n"
        "result = assetpub.publish(root / 'out', target=assetpub.open_target(str(root / 'origin')))\n"
        "print(result.applied.uploaded)\n"
    )
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > 0


def test_a_config_file_that_is_not_utf8_is_one_line(project):
    (project / "bad.toml").write_bytes(b"\xff\xfe")
    result = _cli("build", config="bad.toml")
    assert result.exit_code == 2 and result.output.strip() == "error: bad.toml: not valid TOML: not UTF-8 text"
