"""Shared test helpers. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests import processes

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CONFORMANCE = SHARED / "conformance"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under root from {relative path: text or bytes}."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under root (dot-directories included) as {relative path: bytes}."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def wait_for_fs_clock(root: Path, timeout: float = 10.0) -> None:
    """Until a file created next to `root` is stamped later than every file under it: the
    stat caches trust only files older than a marker they create (assetpub/stamps.py), and
    on a file system with coarse timestamps that takes up to a second. Waits for that
    event, polled at a short interval, rather than sleeping a fixed time."""
    import time

    newest = max((max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in root.rglob("*") if p.is_file()), default=0)
    probe = root.parent / f".clock-probe-{os.getpid()}"
    deadline = time.monotonic() + timeout
    while True:
        probe.write_bytes(b"")
        stamped = probe.stat().st_mtime_ns
        probe.unlink()
        if stamped > newest:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the file system clock under {root} did not move in {timeout}s")
        time.sleep(0.005)


def missing(what: str) -> None:
    """A tool or fixture tree a test needs is not here: skip the test on a developer's
    machine, fail it in CI (CI=true), where .ci/run installs everything and a skip would
    hide a missing install step."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI=true: .ci/run must provide it)", pytrace=False)
    pytest.skip(what)


@pytest.fixture
def node() -> str:
    """Node.js, which runs built JavaScript and the CloudFront function (.ci/run installs it)."""
    import shutil

    found = shutil.which("node")
    if found is None:
        missing("node not found (apt-get install nodejs)")
    return found


@pytest.fixture
def conformance() -> Path:
    if not CONFORMANCE.is_dir():
        missing(f"conformance fixtures not found at {CONFORMANCE}")
    return CONFORMANCE


def pytest_sessionstart(session):
    os.environ[processes.MARKER] = uuid.uuid4().hex  # inherited by every process the suite starts


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any process it started is still alive (and stop it). Each test and
    fixture stops what it started, in a `finally` or its teardown; this catches what one forgot."""
    marker = os.environ.get(processes.MARKER)
    left = processes.leftovers(marker) if marker else []
    processes.stop_all()
    if not left:
        return
    import signal

    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    lines = "\n".join(f"  {pid} {cmd}" for pid, cmd in left)
    print(f"\nprocesses left running by the tests (now killed):\n{lines}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
