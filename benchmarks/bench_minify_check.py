"""What the minifier's safety check and the lexer-based scanners cost, in CPU seconds,
against the rest of a cold build's per-file work.

    python benchmarks/bench_minify_check.py [--files 1000] [--site DIR]

On a ../shared/bench/make_site.py tree (or --site DIR, e.g. an unpacked npm package),
in one process, CPU time (not wall time: the numbers hold on a busy machine):
  scan     the reference scanners (jslex/csslex based), every CSS/JS/HTML file
  minify   rcssmin/rjsmin alone
  check    the token check of minify_check (both texts lexed and compared)
  compress sha256 + gzip -9 + brotli q11 of the minified output (what a cold build does)
and the sizes after brotli with the check (what ships) and without (rjsmin's raw
output, which the check refused for some files).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import brotli
import rcssmin
import rjsmin

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MAKE_SITE = REPO.parent / "shared" / "bench" / "make_site.py"

from assetpub.compilers import scanner_for  # noqa: E402
from assetpub.minify_check import css_difference, js_difference  # noqa: E402


def cpu(fn, *args):
    started = time.process_time()
    value = fn(*args)
    return time.process_time() - started, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--site", help="measure this directory instead of a generated tree")
    args = ap.parse_args()
    if args.site:
        site = Path(args.site)
    else:
        site = Path(tempfile.mkdtemp(prefix="assetpub-bench-")) / "site"
        subprocess.run([sys.executable, str(MAKE_SITE), str(site), "--files", str(args.files)], check=True, capture_output=True)
    totals = dict.fromkeys(("scan", "minify", "check", "compress"), 0.0)
    shipped = raw = 0
    refused = []
    files = sorted(p for p in site.rglob("*") if p.is_file())
    for path in files:
        data = path.read_bytes()
        kind = {".css": "css", ".js": "js", ".mjs": "js", ".html": "html"}.get(path.suffix)
        out = data
        if kind:
            text = data.decode("utf-8", "replace")
            totals["scan"] += cpu(scanner_for(kind), text)[0]
            if kind in ("css", "js") and ".min." not in path.name:
                seconds, minified = cpu(rcssmin.cssmin if kind == "css" else rjsmin.jsmin, text)
                totals["minify"] += seconds
                seconds, why = cpu(css_difference if kind == "css" else js_difference, text, minified)
                totals["check"] += seconds
                raw += len(brotli.compress(minified.encode(), quality=11))
                if why:
                    refused.append(f"{path.relative_to(site)}: {why}")
                else:
                    out = minified.encode()
        if kind in ("css", "js") and ".min." in path.name:
            raw += len(brotli.compress(out, quality=11))  # not minified either way
        started = time.process_time()
        hashlib.sha256(out).digest()
        gzip.compress(out, compresslevel=9, mtime=0)
        compressed = brotli.compress(out, quality=11)
        totals["compress"] += time.process_time() - started
        if kind in ("css", "js"):
            shipped += len(compressed)
    whole = sum(totals.values())
    size = sum(len(p.read_bytes()) for p in files)
    print(f"{site}: {len(files)} files, {size / 1e6:.1f} MB")
    for name, seconds in totals.items():
        print(f"  {name:9s} {seconds:7.2f} s CPU  ({seconds / whole:5.1%})")
    print(f"  scan + check: {(totals['scan'] + totals['check']) / whole:.1%} of this per-file work")
    print(f"  CSS+JS after brotli: {shipped} bytes shipped, {raw} bytes if rjsmin/rcssmin output were trusted")
    print(f"  refused by the check: {len(refused)} files")
    for line in refused[:10]:
        print("    " + line)


if __name__ == "__main__":
    main()
