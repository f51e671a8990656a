#!/usr/bin/env python3
"""Report benchmark: `assetpub report --out` on a large build.

    .venv/bin/python benchmarks/bench_report.py [--files 10000] [--scale 0.02] [--runs 3]

Generates `make_site.py OUT --files N --scale S`, builds it once (brotli quality 5, to
keep the setup short: sizes differ a little from quality 11, the report's work does
not), then runs `assetpub report BUILD --out report.html` (process start included),
`--json` and the text summary, and prints each run's time, peak memory and the size of
the HTML page.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _measure import run

REPO = Path(__file__).resolve().parent.parent
MAKE_SITE = REPO.parent / "shared" / "bench" / "make_site.py"
ASSETPUB = str(Path(sys.executable).with_name("assetpub"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        src, out, html = Path(tmp, "src"), Path(tmp, "out"), Path(tmp, "report.html")
        subprocess.run([sys.executable, str(MAKE_SITE), str(src), "--files", str(args.files), "--scale", str(args.scale)],
                       check=True, capture_output=True)
        seconds, _, _ = run([ASSETPUB, "build", str(src), "-o", str(out), "--brotli-quality", "5", "-q"])
        files = sum(1 for p in src.rglob("*") if p.is_file())
        print(f"{files} source files, built in {seconds:.1f} s")
        for label, extra in (("--out report.html", ["--out", str(html)]), ("--json", ["--json"]), ("text", [])):
            for _ in range(args.runs):
                seconds, peak, _ = run([ASSETPUB, "report", str(out), *extra])
                size = f", HTML {html.stat().st_size / 1e6:.2f} MB" if extra and extra[0] == "--out" else ""
                print(f"report {label}: {seconds:.2f} s, peak {peak:.0f} MB{size}")


if __name__ == "__main__":
    main()
