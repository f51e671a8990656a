"""Build state that heals (issue 13): the no-op rebuild after OUT/.assetpub was deleted.

    python benchmarks/bench_heal.py [--files 400]

Generates a ../shared/bench/make_site.py tree in a temporary directory and prints, for a
cold build, a no-op, the rebuild after deleting OUT/.assetpub, and the no-op after that:
files processed, files written, seconds (this run, this machine).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import assetpub

MAKE_SITE = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "make_site.py"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assetpub-heal-") as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "out"
        subprocess.run([sys.executable, str(MAKE_SITE), "--files", str(args.files), str(src)], check=True,
                       stdout=subprocess.DEVNULL)

        def run(label: str) -> None:
            started = time.perf_counter()
            r = assetpub.build([src], out=out)
            print(f"{label}: {r.files} files, processed {len(r.processed)}, written {r.written}, "
                  f"{time.perf_counter() - started:.2f} s")

        run("cold build")
        run("no-op")
        shutil.rmtree(out / ".assetpub")
        run("after deleting OUT/.assetpub")
        run("the no-op after that")


if __name__ == "__main__":
    main()
