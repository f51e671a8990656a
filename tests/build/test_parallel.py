"""The process pool: a build on several workers gives the same tree as one in-process."""

from __future__ import annotations

import assetpub
from assetpub.workers import PARALLEL_MIN_BYTES, Pool
from tests.conftest import read_tree

RULES = "".join(f".r{i} {{ margin: {i}px; color: #{i:06x}; }}\n" for i in range(4000))


def test_parallel_build_equals_serial_build(make_site, tmp_path):
    files = {f"css/s{i}.css": f'@import "s{(i + 1) % 6}.css";\n/* {i} */\n{RULES}' for i in range(6)}
    files["js/app.js"] = 'import "./b.js";\n' + "export const a = 1;\n" * 5000
    files["js/b.js"] = 'import "./app.js";\n'
    src = make_site(files)
    assert sum(len(v) for v in files.values()) > PARALLEL_MIN_BYTES  # enough work to start the pool
    with Pool(2) as pool:
        parallel = assetpub.build([src], out=tmp_path / "parallel", brotli_quality=4, pool=pool)
        assert pool._executor is not None  # the work really ran in worker processes
    serial = assetpub.build([src], out=tmp_path / "serial", brotli_quality=4, jobs=1)
    assert parallel.manifest.to_dict() == serial.manifest.to_dict()

    def outputs(root):
        return {k: v for k, v in read_tree(root).items() if not k.startswith(".assetpub/")}

    assert outputs(tmp_path / "parallel") == outputs(tmp_path / "serial")


def _decoy_and_site(tmp_path):
    """(a project directory holding a decoy `assetpub` that leaves `marker` when imported,
    the marker's path, a source tree with enough work for the pool to start)."""
    decoy = tmp_path / "project"
    marker = tmp_path / "decoy-imported"
    (decoy / "assetpub").mkdir(parents=True)
    (decoy / "assetpub" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (decoy / "assetpub" / "pipeline.py").write_text("")
    src = tmp_path / "src"
    (src / "js").mkdir(parents=True)
    for i in range(6):
        (src / "js" / f"m{i}.js").write_text(f"export const v{i} = {i};\n" * (PARALLEL_MIN_BYTES // 100))
    return decoy, marker, src


def test_workers_never_import_a_package_from_the_current_directory(tmp_path):
    """Python's forkserver (3.11) preloads modules with the current directory first on its
    path: run from a directory that holds another `assetpub` package (an old checkout, an
    untrusted project), the workers imported that one instead of the installed one: wrong
    code, run from outside the install (seen: an IndexError from an older checkout's rows).
    The workers import assetpub themselves, with the parent's path."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    decoy, marker, src = _decoy_and_site(tmp_path)
    cli = Path(sys.executable).parent / "assetpub"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(cli), "build", str(src), "-o", str(tmp_path / "out"), "-q", "--jobs", "2"],
                          cwd=decoy, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()


def test_a_process_with_one_thread_forks_its_workers_and_one_with_threads_does_not():
    """Fork is what a one-shot build uses (its workers inherit every imported module and
    import nothing again); a process with another thread (watch mode's observer) must not
    fork, and gets the fork server."""
    import threading

    from assetpub.workers import _context

    assert threading.active_count() == 1
    assert _context().get_start_method() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _context().get_start_method() == "forkserver"
    finally:
        stop.set()
        other.join()


def test_fork_server_workers_never_import_a_package_from_the_current_directory(tmp_path, monkeypatch):
    """The same guarantee on the fork-server path (a build in a process that has another
    thread, as in watch mode), run in-process from a directory holding a decoy package."""
    import threading

    decoy, marker, src = _decoy_and_site(tmp_path)
    monkeypatch.chdir(decoy)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with Pool(2) as pool:
            result = assetpub.build([src], out=tmp_path / "out", brotli_quality=1, pool=pool)
            assert pool._executor is not None
            assert pool._executor._mp_context.get_start_method() == "forkserver"
    finally:
        stop.set()
        other.join()
    assert len(result.manifest.assets) == 6
    assert not marker.exists()


def test_work_goes_to_the_workers_in_few_batches_largest_first():
    """A task costs pickling and queueing whatever its size: a thousand small files go in
    a few dozen batches, each at most 1/(jobs × BATCHES_PER_WORKER) of the work unless a
    single file is heavier, every file exactly once, the largest first."""
    from assetpub.workers import BATCHES_PER_WORKER, batches

    weights = [5_000_000, 3_000_000] + [1_000 + i for i in range(1000)] + [0, 0]
    got = batches(weights, 2)
    flat = [i for batch in got for i in batch]
    assert sorted(flat) == list(range(len(weights)))
    assert [weights[i] for i in flat] == sorted(weights, reverse=True)
    limit = sum(weights) / (2 * BATCHES_PER_WORKER)
    assert got[0] == [0] and got[1] == [1]  # heavier than a batch: alone
    assert all(sum(weights[i] for i in batch) <= limit for batch in got if len(batch) > 1)
    assert len(got) <= 2 * BATCHES_PER_WORKER + 2
    assert batches([], 2) == []


def _frozen_objects(_: int) -> int:
    import gc

    return gc.get_freeze_count()


def test_forked_workers_do_not_collect_what_they_inherited():
    """With fork, the parent's objects are frozen before the workers start (a worker's
    collection would otherwise write into, and so copy, every page of them) and thawed
    when the pool closes."""
    import gc
    import threading

    from assetpub.workers import PARALLEL_MIN_ITEMS

    assert threading.active_count() == 1  # (as the test above: one thread, so the pool forks)
    assert gc.get_freeze_count() == 0
    items = list(range(PARALLEL_MIN_ITEMS * 2))
    with Pool(2) as pool:
        counts = pool.map(_frozen_objects, items, lambda i: (i,), weight=lambda _: PARALLEL_MIN_BYTES)
        assert pool._executor is not None and pool._executor._mp_context.get_start_method() == "fork"
        assert min(counts) > 1000  # every worker inherited the frozen generation
    assert gc.get_freeze_count() == 0
