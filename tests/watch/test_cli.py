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
from tests import processes
from tests.conftest import REPO, write_tree
from tests.watch.conftest import TIMEOUT


class Process:
    """A running `assetpub` subprocess whose output lines can be waited for."""

    def __init__(self, *args: str, cwd):
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        # its own process group, so Ctrl-C can be sent as a terminal does: to the whole group
        self.proc = processes.spawn([sys.executable, "-m", "assetpub.cli", *args], cwd=cwd, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

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
        """Ctrl-C: SIGINT to the process group (worker processes included); the exit code."""
        code = processes.interrupt(self.proc, timeout=TIMEOUT)
        self.reader.join(timeout=TIMEOUT)  # output ends when the group's last writer exits
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code

    def kill(self) -> None:
        processes.stop(self.proc)


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
    p.expect(r"^error: .*src/css/app\.css:2: missing reference 'gone\.css' \(the last good build stays in place\)$")
    with urllib.request.urlopen(base + "robots.txt", timeout=TIMEOUT) as r:
        assert r.status == 200
    (tmp_path / "src/css/app.css").write_text(".a { color: green; }\n")
    p.expect(r"^css/app\.css \(fixed\): rebuilt \d+ of 2 files in [\d.]+s$")

    assert p.interrupt() == 0
    output = "\n".join(p.seen)
    assert "stopped" in p.seen and "Traceback" not in output
    assert not [f for f in (tmp_path / "build").rglob("*.tmp")]  # no half-written files


def test_ctrl_c_with_worker_processes_prints_no_traceback(tmp_path, run):
    """A tree big enough for the build to start its process pool: Ctrl-C reaches the
    workers too (same process group) and must not make them print tracebacks."""
    rule = "".join(f".r{i} {{ margin: {i}px; color: #{i:06x}; }}\n" for i in range(12000))
    write_tree(tmp_path / "src", {f"css/s{i}.css": f"/* {i} */\n{rule}" for i in range(6)})
    p = run("watch", "src", "--out", "build", "--brotli-quality", "1", "-j", "2")
    p.expect(r"^built: rebuilt 6 of 6 files")
    p.expect(r"^watching ")
    assert p.interrupt() == 0
    output = "\n".join(p.seen)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert p.seen[-1] == "stopped"


def test_watch_serve_when_the_first_build_fails(tmp_path, run):
    write_tree(tmp_path / "src", {"css/app.css": '@import "gone.css";\n', "robots.txt": "x\n"})
    p = run("watch", "src", "--out", "build", "--serve", "--port", "0", "--strict", "--base-url", "/static/")
    p.expect(r"^error: .*app\.css:1: missing reference 'gone\.css'")
    base = p.expect(r"^serving build at (http://127\.0\.0\.1:\d+/static/) ").group(1)
    p.expect(r"^watching ")
    (tmp_path / "src/css/app.css").write_text(".ok { color: red; }\n")
    p.expect(r"^css/app\.css \(fixed\): rebuilt 2 of 2 files")
    with urllib.request.urlopen(base + "robots.txt", timeout=TIMEOUT) as r:
        assert r.read() == b"x\n"
    assert p.interrupt() == 0


def test_serve_subprocess_and_ctrl_c(tmp_path, run):
    write_tree(tmp_path / "src", {"robots.txt": "x\n"})
    assert CliRunner().invoke(main, ["build", str(tmp_path / "src"), "--out", str(tmp_path / "build")]).exit_code == 0
    p = run("serve", "build", "--port", "0", "--prefix", "/static")
    base = p.expect(r"^serving build at (http://127\.0\.0\.1:\d+/static/) \(development server; Ctrl-C to stop\)$").group(1)
    with urllib.request.urlopen(base + "robots.txt", timeout=TIMEOUT) as r:
        assert r.read() == b"x\n"
    assert p.interrupt() == 0
    assert "Traceback" not in "\n".join(p.seen)


def test_serve_warns_without_manifest_or_sidecar(tmp_path, run):
    write_tree(tmp_path / "plain", {"a.txt": "a"})
    p = run("serve", "plain", "--port", "0")
    p.expect(r"^warning: plain has no assetpub-manifest\.json nor _assetpub/headers\.json")
    base = p.expect(r"^serving plain at (http://127\.0\.0\.1:\d+/) ").group(1)
    with urllib.request.urlopen(base + "a.txt", timeout=TIMEOUT) as r:
        assert r.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert p.interrupt() == 0


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
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: source directory") and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["serve", "watch"])
def test_sigterm_stops_cleanly_like_ctrl_c(tmp_path, run, command):
    """Process managers (systemd, `docker stop`, CI timeouts) send SIGTERM: same clean stop."""
    write_tree(tmp_path / "src", {"a.css": "a{}"})
    p = run(*(["serve", "src", "--port", "0"] if command == "serve" else ["watch", "src", "--out", "build"]))
    p.expect(r"^serving src at |^watching src ")
    p.proc.send_signal(signal.SIGTERM)
    assert p.proc.wait(timeout=TIMEOUT) == 0
    p.reader.join(timeout=TIMEOUT)
    assert list(p.lines.queue)[-1] == "stopped"


def test_watch_serve_with_a_missing_source_leaves_no_output_behind(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["watch", str(tmp_path / "nope"), "--out", str(out), "--serve", "--port", "0"])
    assert result.exit_code == 2 and result.output.startswith("error: source directory")
    assert not out.exists()


def test_watch_into_its_own_source_directory_stops_with_one_line(tmp_path, run):
    # no edit to a source can fix this: watch must exit, not keep watching
    src = write_tree(tmp_path / "src", {"a.txt": "x"})
    p = run("watch", "src", "--out", "src")
    assert p.proc.wait(timeout=TIMEOUT) == 2  # a usage mistake
    p.reader.join(timeout=TIMEOUT)
    lines = list(p.lines.queue)
    assert lines == [f"error: output directory is the source directory {src}; use a directory of its own"]
