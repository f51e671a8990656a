"""The test harness itself: processes stopped with their whole group, leftovers found by
the run's marker, and a missing tool failing under CI instead of skipping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests import processes
from tests.conftest import missing

# a child that starts a grandchild in the same group, ignores SIGTERM, and says when both run
TREE = """
import signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)"], stdout=sys.stdout)
sys.stdout.flush()
child.wait()
"""


def test_stop_ends_the_whole_group_even_when_it_ignores_sigterm():
    proc = processes.spawn([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "up"  # the grandchild runs
    members = processes._live_members(proc.pid)
    assert len(members) == 2
    processes.stop(proc, timeout=2)
    assert processes._live_members(proc.pid) == []
    assert proc.returncode == -signal.SIGKILL


def test_ctrl_c_reaches_a_child_even_when_the_suite_ignores_sigint():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `bash .ci/run &` leaves it
    try:
        proc = processes.spawn([sys.executable, "-c", "import sys, time; print('up', flush=True); time.sleep(600)"],
                               stdout=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert proc.stdout.readline().strip() == "up"
    assert processes.interrupt(proc, timeout=10) == -signal.SIGINT  # died of the Ctrl-C, as Python does
    processes.stop(proc)


def test_leftovers_are_found_by_the_runs_marker():
    marker = os.environ[processes.MARKER]
    proc = processes.spawn([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(600)"],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "up"
        assert proc.pid in {pid for pid, _ in processes.leftovers(marker)}
    finally:
        processes.stop(proc)
    assert proc.pid not in {pid for pid, _ in processes.leftovers(marker)}


def test_a_missing_tool_skips_here_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        missing("frobnicator not found")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="frobnicator not found"):
        missing("frobnicator not found")


def test_leftovers_include_children_forked_without_exec_but_not_multiprocessing_helpers():
    import multiprocessing
    import time


    marker = os.environ[processes.MARKER]
    forked = multiprocessing.get_context("fork").Process(target=time.sleep, args=(600,))
    forked.start()
    try:
        assert forked.pid in {pid for pid, _ in processes.leftovers(marker)}  # no marker: pytest's own env
    finally:
        forked.kill()
        forked.join()
    assert forked.pid not in {pid for pid, _ in processes.leftovers(marker)}


def test_an_in_process_build_leaves_nothing_the_check_reports(tmp_path):
    import assetpub
    from tests.conftest import write_tree

    marker = os.environ[processes.MARKER]
    before = {pid for pid, _ in processes.leftovers(marker)}
    src = write_tree(tmp_path / "src", {f"css/{i}.css": "a{color:red}" * 20000 for i in range(4)})
    assetpub.build([src], out=tmp_path / "out", jobs=2)  # big enough for the worker pool
    assert {pid for pid, _ in processes.leftovers(marker)} - before == set()


def test_the_whole_suite_collects_every_test_directory():
    """pytest's default norecursedirs holds "build": tests/build once never ran in CI."""
    from tests.conftest import REPO

    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    collected = {line.split("::")[0].rsplit("/", 1)[0] for line in proc.stdout.splitlines() if "::" in line}
    with_tests = {str(p.parent.relative_to(REPO)) for p in (REPO / "tests").rglob("test_*.py")}
    assert with_tests <= collected, with_tests - collected
