"""Running per-file work on all cores.

Brotli at quality 11 dominates a cold build and holds the GIL, so the work runs in
processes, started only when there is enough work to pay for starting them (small
rebuilds run in-process). A process with one thread (the CLI's one-shot build) forks
its workers: they start with every module imported, where a fork server and each
worker would start a fresh interpreter and import assetpub again (about 0.25 s of CPU
per process, measured in docs/performance.md). A process with other threads (watch
mode's observer, a dev server) uses `forkserver` where available, because a fork of a
process with threads is unsafe.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN_BYTES = 1_000_000  # below this much input, a pool costs more than it saves
PARALLEL_MIN_ITEMS = 4


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _context():
    """fork while this process has one thread (nothing else can hold a lock at the fork;
    the workers inherit the parent's modules, so none is imported again, from any
    directory), else forkserver where there is one, else spawn. Nothing is preloaded into the fork
    server: it imports with the current directory first on its path (Python 3.11 passes
    it the parent's path but applies it only in each child), so run from a directory that
    holds another `assetpub` it would preload that one into every worker. Each worker
    imports assetpub itself, after taking the parent's path."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _ignore_ctrl_c() -> None:
    """Workers leave Ctrl-C to the parent: the terminal sends SIGINT to the whole process
    group, and the parent cancels the work and shuts the pool down cleanly, with no
    KeyboardInterrupt traceback from every idle worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


BATCHES_PER_WORKER = 32  # a batch holds at most 1/(jobs × this) of the work


def batches(weights: list[int], jobs: int) -> list[list[int]]:
    """Indexes of the items, largest first (so that one big file does not finish alone at
    the end), in batches of at most 1/(jobs × BATCHES_PER_WORKER) of the total weight (an
    item heavier than that alone): a task sent to a worker costs about 0.25 ms of CPU
    across the processes (pickling, queues, futures), so a thousand small files sent one
    by one cost a quarter of a second; sent in batches, a few milliseconds."""
    order = sorted(range(len(weights)), key=lambda i: -weights[i])
    limit = sum(weights) / (jobs * BATCHES_PER_WORKER)
    out: list[list[int]] = []
    batch: list[int] = []
    load = 0
    for i in order:
        if batch and load + weights[i] > limit:
            out.append(batch)
            batch, load = [], 0
        batch.append(i)
        load += weights[i]
    if batch:
        out.append(batch)
    return out


def _run_batch(fn: Callable[..., R], arguments: list[tuple]) -> list[R]:
    return [fn(*a) for a in arguments]


class Pool:
    """A lazily started process pool, reusable across builds (watch mode keeps one)."""

    def __init__(self, jobs: int = 0):
        self.jobs = jobs or cpu_count()
        self._executor: ProcessPoolExecutor | None = None
        self._frozen = False

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[T],
        args: Callable[[T], tuple],
        *,
        weight: Callable[[T], int] = lambda _: 1,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[R]:
        """[fn(*args(item)) for item in items], in order, in parallel when it pays."""
        total = len(items)
        if self.jobs <= 1 or total < PARALLEL_MIN_ITEMS or sum(weight(i) for i in items) < PARALLEL_MIN_BYTES:
            results = []
            for done, item in enumerate(items, 1):
                results.append(fn(*args(item)))
                if progress:
                    progress(done, total)
            return results
        executor = self._start()
        futures = {executor.submit(_run_batch, fn, [args(items[i]) for i in batch]): batch
                   for batch in batches([weight(item) for item in items], self.jobs)}
        results: list = [None] * total
        done = 0
        try:
            for future in as_completed(futures):
                batch = futures[future]
                for i, result in zip(batch, future.result(), strict=True):
                    results[i] = result
                done += len(batch)
                if progress:
                    progress(done, total)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        return results

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = _context()
            if context.get_start_method() == "fork":
                # Forked workers share the parent's memory until either side writes a page;
                # a collection in a worker writes into every object it walks (at 100k files
                # the parent holds hundreds of MB). Frozen objects are never walked, in the
                # workers or here, until the pool is closed (Python's gc.freeze advice).
                gc.freeze()
                self._frozen = True
            self._executor = ProcessPoolExecutor(max_workers=self.jobs, mp_context=context, initializer=_ignore_ctrl_c)
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


