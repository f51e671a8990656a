"""Timing and peak-memory helpers for the benchmarks (not part of the package)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
# one way to start and stop a child, the tests' own: in its own process group, stopped whole
from tests.processes import spawn, stop  # noqa: E402, F401


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for tid in os.listdir(f"/proc/{p}/task"):
                children = Path(f"/proc/{p}/task/{tid}/children").read_text().split()
                todo.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


def run(
    cmd: list[str], *, env: dict | None = None, cwd: str | None = None, ok: tuple[int, ...] = (0,)
) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command; return (seconds, peak MB of its whole process tree, completed process).
    An exit code outside `ok` stops the benchmark with the command's stderr."""
    started = time.perf_counter()
    proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate()
        seconds = time.perf_counter() - started
    finally:
        done.set()
        sampler.join()
        stop(proc)  # whatever the command left in its group (pool workers) goes with it
    completed = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if proc.returncode not in ok:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return seconds, peak / 1024, completed
