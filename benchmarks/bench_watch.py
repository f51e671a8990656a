"""Watch-mode latency: from the write of a source file to the new manifest being in place.

    python benchmarks/bench_watch.py [--files 1000] [--edits 20] [--brotli-quality 5 11]

Generates `../shared/bench/make_site.py OUT --files N`, picks a stylesheet that (at
least) two others `@import`, runs `assetpub watch SRC --out OUT` as a subprocess (as a
user would), then edits that stylesheet `--edits` times. For each edit it measures the
time from just before the write until `OUT/assetpub-manifest.json` has been replaced
by one in which the edited file has a new fingerprint (stat-polled every 0.5 ms), then
waits for the watcher's one-line report before the next edit. One warm-up edit is not
counted. Prints p50 / p95 / max per brotli quality.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _measure import spawn, stop  # the tests' process groups (benchmarks/_measure.py)

REPO = Path(__file__).resolve().parent.parent
MAKE_SITE = REPO.parent / "shared" / "bench" / "make_site.py"
MANIFEST = "assetpub-manifest.json"


def pick_imported_css(src: Path) -> str:
    """A css/section-N.css that at least two other stylesheets @import (the most-imported)."""
    importers: dict[str, int] = {}
    for path in (src / "css").glob("*.css"):
        for target in re.findall(r'@import "([^"]+)"', path.read_text(encoding="utf-8")):
            importers[target] = importers.get(target, 0) + 1
    candidates = sorted((n, name) for name, n in importers.items() if n >= 2)
    if not candidates:
        sys.exit("no stylesheet is imported by two others; try another --files")
    n, name = candidates[0]  # the least-imported one with >= 2: the case, no bigger
    print(f"editing css/{name} (imported by {n} stylesheets)")
    return f"css/{name}"


def manifest_path_of(out: Path, name: str) -> tuple[tuple, str | None]:
    try:
        st = os.stat(out / MANIFEST)
        data = json.loads((out / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return (), None
    return (st.st_ino, st.st_mtime_ns), data["assets"].get(name, {}).get("path")


class Watch:
    def __init__(self, src: Path, out: Path, quality: int):
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.proc = spawn(
            [sys.executable, "-m", "assetpub.cli", "watch", str(src), "--out", str(out),
             "--brotli-quality", str(quality)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line.rstrip()) for line in self.proc.stdout], daemon=True).start()

    def expect(self, pattern: str, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if re.search(pattern, line):
                return line
            if line.startswith("error"):
                raise SystemExit(line)

    def stop(self) -> None:
        stop(self.proc, timeout=60)  # SIGTERM: watch stops cleanly, its pool with it


def run(src: Path, out: Path, name: str, quality: int, edits: int) -> list[float]:
    watch = Watch(src, out, quality)
    try:
        first = watch.expect(r"^built: ")
        watch.expect(r"^watching ")
        print(f"  brotli q{quality}: first build: {first}")
        path = src / name
        original = path.read_text(encoding="utf-8")
        times = []
        for i in range(edits + 1):
            signature, old = manifest_path_of(out, name)
            started = time.perf_counter()
            path.write_text(original + f"\n.bench-edit-{quality}-{i} {{ color: #{i:06x}; }}\n", encoding="utf-8")
            while True:
                if _changed(out, signature):
                    seen = time.perf_counter()  # the new manifest is in place; reading it is not the watcher's time
                    signature, new = manifest_path_of(out, name)
                    if new != old:
                        break
                time.sleep(0.0005)
            elapsed = seen - started
            line = watch.expect(rf"^{re.escape(name)}")
            if i == 0:
                print(f"  warm-up edit: {elapsed * 1000:.0f} ms ({line})")
            else:
                times.append(elapsed)
        print(f"  last rebuild line: {line}")
        path.write_text(original, encoding="utf-8")
        return times
    finally:
        watch.stop()


def _changed(out: Path, signature: tuple) -> bool:
    try:
        st = os.stat(out / MANIFEST)
    except OSError:
        return False
    return (st.st_ino, st.st_mtime_ns) != signature


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--brotli-quality", type=int, nargs="+", default=[5, 11])
    ap.add_argument("--make-site", type=Path, default=MAKE_SITE, help="path of shared/bench/make_site.py")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        src, tmp = Path(tmp) / "src", Path(tmp)
        subprocess.run([sys.executable, str(args.make_site), str(src), "--files", str(args.files)], check=True)
        name = pick_imported_css(src)
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        for quality in args.brotli_quality:
            times = run(src, tmp / f"out-q{quality}", name, quality, args.edits)
            ms = [t * 1000 for t in times]
            print(
                f"brotli q{quality}: {len(ms)} edits: p50 {percentile(ms, 0.5):.0f} ms, "
                f"p95 {percentile(ms, 0.95):.0f} ms, max {max(ms):.0f} ms, mean {statistics.mean(ms):.0f} ms"
            )


if __name__ == "__main__":
    main()
