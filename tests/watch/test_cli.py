"""`assetpub watch --serve` and `assetpub serve` as a user runs them: a subprocess,
stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest
from click.testing import CliRunner

from assetpub.cli import main
from tests.conftest import REPO, write_tree
from tests.watch.conftest import TIMEOUT


class Process:
    """A running `assetpub` subprocess whose output lines can be waited for."""

    def __init__(self, *args: str, cwd):
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "assetpub.cli", *args], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str) -> re.Match:
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}; saw {self.seen}") from None
            self.seen.append(line)
            if m := re.search(pattern, line):
                return m

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=TIMEOUT)
        while not self.lines.empty() or self.proc.stdout.readable() and not self.proc.stdout.closed:
            try:
                self.seen.append(self.lines.get(timeout=1))
            except queue.Empty:
                break
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def run(tmp_path):
    started: list[Process] = []

    def start(*args: str) -> Process:
        p = Process(*args, cwd=tmp_path)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


def test_watch_serve_rebuild_error_fix_and_ctrl_c(tmp_path, run):
    write_tree(tmp_path / "src", {"css/app.css": ".a { color: red; }\n", "robots.txt": "x\n"})
    p = run("watch", "src", "--out", "build", "--serve", "--port", "0", "--strict")
    p.expect(r"^built: rebuilt 2 of 2 files in [\d.]+s$")
    base = p.expect(r"^serving build at (http://127\.0\.0\.1:\d+/assets/) \(development server\)$").group(1)
    p.expect(r"^watching src \(Ctrl-C to stop\)$")
    with urllib.request.urlopen(base + "robots.txt", timeout=TIMEOUT) as r:
        assert r.status == 200 and r.headers["Cache-Control"] == "public, max-age=0, must-revalidate"

    (tmp_path / "src/css/app.css").write_text(".a { color: blue; }\n")
    p.expect(r"^css/app\.css: rebuilt \d+ of 2 files in [\d.]+s$")
    (tmp_path / "src/css/app.css").write_text('\n@import "gone.css";\n')
    p.expect(r"^error: .*src/css/app\.css:2: missing reference 'gone\.css' \(still serving the last good build\)$")
    with urllib.request.urlopen(base + "robots.txt", timeout=TIMEOUT) as r:
        assert r.status == 200
    (tmp_path / "src/css/app.css").write_text(".a { color: green; }\n")
    p.expect(r"^css/app\.css \(fixed\): rebuilt \d+ of 2 files in [\d.]+s$")

    assert p.interrupt() == 0
    output = "\n".join(p.seen)
    assert "stopped" in p.seen and "Traceback" not in output
    assert not [f for f in (tmp_path / "build").rglob("*.tmp")]  # no half-written files


def test_serve_subprocess_and_ctrl_c(tmp_path, run):
    write_tree(tmp_path / "src", {"robots.txt": "x\n"})
    assert CliRunner().invoke(main, ["build", str(tmp_path / "src"), "--out", str(tmp_path / "build")]).exit_code == 0
    p = run("serve", "build", "--port", "0", "--prefix", "/static")
    base = p.expect(r"^serving build at (http://127\.0\.0\.1:\d+/static/) \(development server; Ctrl-C to stop\)$").group(1)
    with urllib.request.urlopen(base + "robots.txt", timeout=TIMEOUT) as r:
        assert r.read() == b"x\n"
    assert p.interrupt() == 0
    assert "Traceback" not in "\n".join(p.seen)


def test_help_says_development_server():
    for command in ("serve", "watch"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "development server" in result.output.lower()
        assert "127.0.0.1" in result.output


def test_serve_missing_directory_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["serve", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_watch_missing_source_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["watch", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: source directory") and "Traceback" not in result.output
