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


def _tree_cpu(pid: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds (user + system) used so far by a process and its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            seen[p] = max(seen.get(p, 0.0), (int(fields[11]) + int(fields[12])) / tick)
            for tid in os.listdir(f"/proc/{p}/task"):
                todo.extend(int(c) for c in Path(f"/proc/{p}/task/{tid}/children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue


def run(
    cmd: list[str],
    *,
    env: dict | None = None,
    cwd: str | None = None,
    ok: tuple[int, ...] = (0,),
    cpu: list[float] | None = None,
) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command; return (seconds, peak MB of its whole process tree, completed process).
    An exit code outside `ok` stops the benchmark with the command's stderr. With `cpu`,
    the CPU seconds of the whole process tree (as last sampled, every 20 ms) are appended
    to it: they hold on a busy machine, where wall time does not."""
    started = time.perf_counter()
    proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    peak = 0
    done = threading.Event()
    used: dict[int, float] = {}

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            if cpu is not None:
                _tree_cpu(proc.pid, used)
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
    if cpu is not None:
        cpu.append(sum(used.values()))
    completed = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if proc.returncode not in ok:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return seconds, peak / 1024, completed
