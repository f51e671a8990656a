"""Child processes that tests start: each in its own process group, stopped with the whole
group whatever the test's outcome, and able to take a Ctrl-C even when the suite itself
runs with SIGINT ignored (`bash .ci/run &`, as CI runners and shells start background jobs:
an ignored signal stays ignored across exec).

Whoever spawns a process stops it (a `finally`, or a fixture's teardown). At the end of the
session, conftest looks for any process still carrying this run's marker in its environment
(grandchildren included: pool workers, forkservers, browsers), stops it, and fails the run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

MARKER = "ASSETPUB_TEST_RUN"  # set by conftest for the session; inherited by every child
STOP_TIMEOUT = 10.0

_running: list[subprocess.Popen] = []


def _ctrl_c_works() -> None:  # runs in the child, between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(args: list[str], **popen_kwargs) -> subprocess.Popen:
    """subprocess.Popen in a new session (so its group can be signalled and stopped as one),
    with SIGINT at its default action."""
    proc = subprocess.Popen(args, start_new_session=True, preexec_fn=_ctrl_c_works, **popen_kwargs)
    _running.append(proc)
    return proc


def interrupt(proc: subprocess.Popen, *, timeout: float = STOP_TIMEOUT) -> int:
    """Ctrl-C as a terminal sends it (SIGINT to the whole group); the exit code."""
    os.killpg(proc.pid, signal.SIGINT)
    return proc.wait(timeout=timeout)


def stop(proc: subprocess.Popen, *, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM to the group; SIGKILL to whatever is left of it after `timeout`; the leader reaped."""
    if not _signal_group(proc.pid, signal.SIGTERM) or not _group_ended(proc, timeout):
        _signal_group(proc.pid, signal.SIGKILL)
        _group_ended(proc, timeout)
    proc.wait()
    if proc in _running:
        _running.remove(proc)


def stop_all() -> None:
    while _running:
        stop(_running[-1])


def _signal_group(pgid: int, sig: int) -> bool:
    """Send sig to the group; False when the group is already gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def _group_ended(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait, at most `timeout`, for the leader to exit and then for the rest of its group
    (members that are not our children cannot be waited for: polled at a short interval)."""
    deadline = time.monotonic() + timeout
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    while _live_members(proc.pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _live_members(pgid: int) -> list[int]:
    """Processes of the group that are not zombies (a zombie waits for its parent to reap it)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
                members.append(int(entry.name))
    return members


# multiprocessing's own helpers, started once per process that uses a pool (the in-process
# builds of the tests do): they end with the pytest process, whose children they are.
_OWN_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def leftovers(marker_value: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process this run started and left running: those
    whose environment carries MARKER=marker_value (exec'd children and everything below
    them, even once orphaned) and the descendants of this process (children forked without
    exec), except multiprocessing's own helpers of this process."""
    needle = f"{MARKER}={marker_value}".encode()
    me = os.getpid()
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            marked = needle in (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue  # gone, or not ours to read
        if fields[0] != "Z":  # a zombie holds nothing; its parent reaps it
            table[int(entry.name)] = (int(fields[1]), marked, cmdline)
    helpers = {pid for pid, (ppid, _, cmd) in table.items() if ppid == me and any(h in cmd for h in _OWN_HELPERS)}

    def descends_from_me(pid: int) -> bool:
        seen = set()
        while pid in table and pid not in seen:
            seen.add(pid)
            pid = table[pid][0]
            if pid == me:
                return True
        return False

    return sorted(
        (pid, cmd) for pid, (_, marked, cmd) in table.items()
        if pid not in helpers and (marked or descends_from_me(pid))
    )
