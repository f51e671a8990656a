"""The README's promises: its try-it command works on the sample site, and its
configuration table lists every key the config accepts."""

from __future__ import annotations

import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assetpub.config import _SCHEMA
from tests import processes
from tests.e2e.conftest import REPO, make_site
from tests.edge.servers import get

pytestmark = pytest.mark.e2e
README = REPO / "README.md"


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _first_code_block(section: str) -> str:
    return re.search(r"```sh\n(.*?)\n```", section, re.DOTALL).group(1)


def test_readme_lists_every_config_key():
    rows = re.findall(r"^\| `([a-z_]+)` \|", _section("Configuration"), re.MULTILINE)
    assert sorted(rows) == sorted(_SCHEMA)


def test_readme_test_command_is_the_ci_entry_point():
    assert _first_code_block(_section("Run the tests")) == "bash .ci/run"
    assert (REPO / ".ci" / "run").is_file()


def _read_line(proc: subprocess.Popen, *, timeout: float) -> str:
    """The next line the process prints, waiting at most `timeout` seconds for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if ready:
            return proc.stdout.readline()
    raise AssertionError(f"no output within {timeout}s")


def _shown_as_pattern(shown: str) -> str:
    """`…` stands for anything; decimals (sizes, seconds) vary with the machine and a deploy id's
    date (`20261126T…`) with the day; counts do not."""
    def part(text: str) -> str:
        if text == "…":
            return ".+"
        if re.fullmatch(r"\d+\.\d+", text):
            return r"[\d.]+"
        return r"\d{8}" if re.fullmatch(r"\d{8}", text) else re.escape(text)

    return "".join(part(p) for p in re.split(r"(…|\d+\.\d+|\b\d{8}(?=T))", shown))


def test_try_it_shows_what_deploy_really_prints(tmp_path):
    shown = re.search(r"^(published to .*)$", _section("Try it: one command"), re.MULTILINE).group(1)
    site = make_site(tmp_path / "sample_site")
    site.origin.rename(tmp_path / "first")  # deploy again into an empty origin, as a newcomer does
    printed = site.deploy().strip()
    assert re.fullmatch(_shown_as_pattern(shown), printed), (shown, printed)


def test_try_it_command_deploys_the_sample_and_serves_it(tmp_path):
    command = _first_code_block(_section("Try it: one command"))
    steps = [s.strip() for s in command.split("&&")]
    # Installing is the part a test cannot repeat offline; the rest runs exactly as written.
    assert steps[:3] == ["python3 -m venv .venv", ".venv/bin/pip install -q .", "cd sample_site"]
    assert steps[3:] == ["../.venv/bin/assetpub deploy", "../.venv/bin/assetpub serve _origin"]

    site = make_site(tmp_path / "sample_site")  # runs `assetpub deploy` in the copy
    assert (site.origin / "index.html").is_file()
    script = Path(sys.executable).with_name("assetpub")
    proc = processes.spawn([str(script), "serve", "_origin", "--port", "0"], cwd=site.root,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = _read_line(proc, timeout=30)
    match = re.match(r"serving _origin at (http://127\.0\.0\.1:\d+)/ ", line)
    assert match, line
    reply = get(match.group(1), "/")  # the URL it prints is the home page
    assert reply.status == 200 and b"<title>Today's tides" in reply.body
    assert processes.interrupt(proc, timeout=30) == 0  # Ctrl-C
    out = proc.stdout.read()
    assert "stopped" in out and "Traceback" not in out


def test_nginx_steps_take_port_80_from_debians_default_site(tmp_path):
    """Debian's nginx package enables a placeholder site that is `default_server` on port 80:
    left in place, it answers every request a generated block with `server_name _` would
    get. The README's steps remove it; this shows both halves with real nginx."""
    from click.testing import CliRunner

    import assetpub
    from assetpub.cli import main
    from tests.edge.servers import free_port, start_nginx
    from tests.edge.sites import make_site as make_assets

    steps = [line.split("  #")[0].strip() for line in _first_code_block(_section("Self-hosting with nginx")).splitlines()]
    assert "rm -f /etc/nginx/sites-enabled/default" in steps
    assert steps.index("rm -f /etc/nginx/sites-enabled/default") < steps.index("nginx -t && nginx -s reload")

    origin = tmp_path / "origin"
    assetpub.build([make_assets(tmp_path / "src")], out=origin, base_url="/")
    debian_default = "server { listen 127.0.0.1:%d default_server; return 200 'Welcome to nginx!'; }\n"
    for keep_default, expect in ((True, b"Welcome to nginx!"), (False, b"<p>hello</p>")):
        port = free_port()
        rundir = tmp_path / f"run-{keep_default}"
        conf = CliRunner().invoke(main, ["nginx-config", str(origin), "--listen", f"127.0.0.1:{port}", "--prefix", "/",
                                         "--standalone", str(rundir)]).output
        if keep_default:
            conf = conf.replace("http {", "http {\n" + debian_default % port, 1)
        server = start_nginx(conf, rundir, port)
        try:
            reply = get(server.base, "/index.html", {"Host": "www.example.com"})
        finally:
            server.stop()
        assert expect in reply.body, (keep_default, reply.status, reply.body[:200])
