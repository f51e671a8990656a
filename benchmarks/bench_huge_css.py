"""A generated stylesheet with millions of url(): cold build and no-op rebuild.

    python benchmarks/bench_huge_css.py [--mb 20] [--jobs 0] [--keep DIR]

Writes SRC/huge.css (rules `.cN{background:url(img/a.png)}`, one a line, until the
file is --mb megabytes: about 28,000 references per MB), SRC/img/a.png and three small
stylesheets (five files: the build scans and produces them in worker processes, so what
crosses between processes is measured too) into a temporary directory, runs
`assetpub build SRC --out OUT -q` twice (cold, then with nothing changed but the stamp
removed, so that the build runs) and prints for each the
wall time, the CPU seconds and the peak resident memory of the whole process tree
(benchmarks/_measure.run, sampled every 20 ms), and the size of OUT/.assetpub/cache.json.
The load average before the run is printed: wall time is noise on a shared machine, CPU
seconds and memory are not. Everything generated is deleted afterwards (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run  # noqa: E402

ASSETPUB = str(Path(sys.executable).parent / "assetpub")
RULE = ".c{}{{background:url(img/a.png)}}\n"


def make(src: Path, megabytes: float) -> int:
    """The tree; returns the number of references written."""
    (src / "img").mkdir(parents=True)
    (src / "img/a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    for i in range(3):  # with them, five files: scanned and produced in worker processes
        (src / f"small{i}.css").write_text(f".s{i}{{background:url(img/a.png)}}\n")
    target = int(megabytes * 1_000_000)
    size = count = 0
    with open(src / "huge.css", "w", encoding="utf-8") as f:
        while size < target:
            batch = "".join(RULE.format(i) for i in range(count, count + 10_000))
            f.write(batch)
            size += len(batch)
            count += 10_000
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--keep", help="generate here and keep it")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-huge-css-"))
    try:
        src, out = root / "src", root / "out"
        refs = make(src, args.mb)
        css = (src / "huge.css").stat().st_size
        print(f"load average {os.getloadavg()[0]:.1f}; huge.css {css / 1e6:.1f} MB, {refs:,} url()")
        cmd = [ASSETPUB, "build", str(src), "--out", str(out), "-q"] + (["--jobs", str(args.jobs)] if args.jobs else [])
        for label in ("cold build", "rebuild, nothing changed (stamp removed)"):
            cpu: list[float] = []
            seconds, peak, _ = run(cmd, cpu=cpu)
            cache = (out / ".assetpub/cache.json").stat().st_size
            print(f"{label}: {seconds:.1f} s wall, {cpu[0]:.1f} s CPU, peak {peak:.0f} MiB "
                  f"({peak * 2**20 / css:.2f} x the file), cache.json {cache:,} bytes")
            (out / ".assetpub/stamp.json").unlink(missing_ok=True)
        built = next(p for p in (out).iterdir() if p.name.startswith("huge.") and p.suffix == ".css")
        print(f"output {built.name}: {built.stat().st_size / 1e6:.1f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
