"""Build benchmark: assetpub against the unavoidable work and Django + WhiteNoise.

    python benchmarks/bench_build.py [--files 1000] [--keep DIR]

Generates ../shared/bench/make_site.py trees (one with traps for assetpub, one
--no-traps for Django, which follows url() in comments) and prints, measured in this
run on this machine:
  1. bound: read + minify + sha256 + gzip -9 + brotli q11 of every file, on all cores,
     nothing else (no reference scanning, no rewriting, no writing); minified as the
     build must (license comments kept, a file that names a source map not minified),
     so that both compress the same bytes but for the rewritten references;
  2. assetpub cold build (empty output and cache) and its ratio to the bound;
  3. assetpub warm rebuild after editing one CSS file that others @import, and a no-op;
  4. Django collectstatic with WhiteNoise's CompressedManifestStaticFilesStorage, cold
     and after the same one-file edit (needs `pip install django whitenoise`).
Peak memory is the resident size of the whole process tree (workers included). CPU
seconds (user + system, every process) are printed too: on a machine others are using,
the ratio of CPU seconds holds where the ratio of wall times does not. The load average
before the run is printed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MAKE_SITE = REPO.parent / "shared" / "bench" / "make_site.py"
ASSETPUB = str(Path(sys.executable).parent / "assetpub")


# A text that names a source map is not minified by the build (docs/minify.md: the map's
# columns would no longer match), so the bound does not minify it either.
_SOURCE_MAP = re.compile(rb"[#@][ \t]+sourceMappingURL=")


def _bound_one(path: str) -> int:
    """Read, minify as the build may (license comments kept, files with a source map left
    as they are), sha256, gzip -9, brotli q11: the work no build of this file can avoid."""
    import brotli
    import rcssmin
    import rjsmin

    data = Path(path).read_bytes()
    minify = path.endswith((".css", ".js")) and not path.endswith((".min.css", ".min.js"))
    if minify and not _SOURCE_MAP.search(data, max(0, len(data) - 1024)):
        if path.endswith(".css"):
            data = rcssmin.cssmin(data.decode(), keep_bang_comments=True).encode()
        else:
            data = rjsmin.jsmin(data.decode(), keep_bang_comments=True).encode()
    hashlib.sha256(data).digest()
    if not path.endswith((".png", ".woff2", ".jpg", ".gif")):
        gzip.compress(data, compresslevel=9, mtime=0)
        brotli.compress(data, quality=11)
    return len(data)


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, their own
    children included: a measure that holds on a busy machine, where wall time does not."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bound(site: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the compression bound."""
    files = sorted((str(p) for p in site.rglob("*") if p.is_file()), key=lambda p: -os.path.getsize(p))
    started, cpu = time.perf_counter(), children_cpu()
    with ProcessPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
        list(pool.map(_bound_one, files, chunksize=1))
    return time.perf_counter() - started, children_cpu() - cpu


def edit_one_css(site: Path, n: int) -> None:
    """Append a rule to a stylesheet that other stylesheets @import (the warm-edit case)."""
    importers = {}
    for css in (site / "css").glob("*.css"):
        for line in css.read_text().splitlines():
            if line.startswith("@import"):
                target = line.split('"')[1]
                importers[target] = importers.get(target, 0) + 1
    target = max(sorted(importers), key=lambda t: importers[t])
    with open(site / "css" / target, "a") as f:
        f.write(f"\n.bench-edit-{n} {{ color: #{n:06x} }}\n")
    return target


def django_collectstatic(site: Path, root: Path) -> tuple[float, float]:
    settings_dir = root / "djsettings"
    settings_dir.mkdir(exist_ok=True)
    (settings_dir / "bench_settings.py").write_text(
        "SECRET_KEY = 'bench'\nINSTALLED_APPS = ['django.contrib.staticfiles']\n"
        f"STATIC_URL = '/static/'\nSTATIC_ROOT = {str(root / 'django_out')!r}\n"
        f"STATICFILES_DIRS = [{str(site)!r}]\n"
        "STORAGES = {'staticfiles': {'BACKEND': 'whitenoise.storage.CompressedManifestStaticFilesStorage'},"
        " 'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'}}\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": str(settings_dir)}
    seconds, peak, _ = run([sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"], env=env)
    return seconds, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--keep", help="work in this directory and keep it")
    args = ap.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="assetpub-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    site, plain = root / "site", root / "site-no-traps"
    for path, extra in ((site, []), (plain, ["--no-traps"])):
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([sys.executable, str(MAKE_SITE), str(path), "--files", str(args.files), *extra], check=True,
                       capture_output=True)
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    print(f"tree: {sum(1 for p in site.rglob('*') if p.is_file())} files, {size / 1e6:.1f} MB; "
          f"{len(os.sched_getaffinity(0))} cores; Python {sys.version.split()[0]}")

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    b, b_cpu = bound(site)
    print(f"bound (read+minify+sha256+gzip-9+brotli-11, all cores): {b:6.2f} s  CPU {b_cpu:6.2f} s")

    out = root / "out"
    shutil.rmtree(out, ignore_errors=True)
    used: list[float] = []
    cold, cold_mem, _ = run([ASSETPUB, "build", str(site), "--out", str(out), "-q"], cpu=used)
    cold_cpu = used[0]
    print(f"assetpub cold:                 {cold:6.2f} s  ({cold / b:.2f} x bound)  peak {cold_mem:5.0f} MB")
    print(f"  CPU, all processes:          {cold_cpu:6.2f} s  ({cold_cpu / b_cpu:.2f} x the bound's CPU)")
    time.sleep(0.2)  # let the racy-stat window pass, as it does between real edits
    noop, noop_mem, _ = run([ASSETPUB, "build", str(site), "--out", str(out), "-q"])
    target = edit_one_css(site, 1)
    warm, warm_mem, proc = run([ASSETPUB, "build", str(site), "--out", str(out), "--json"])
    import json

    processed = json.loads(proc.stdout)["processed"]
    time.sleep(0.2)
    noop2, _, _ = run([ASSETPUB, "build", str(site), "--out", str(out), "-q"])
    print(f"assetpub warm, css/{target} edited: {warm:6.2f} s  ({processed} files rebuilt)  peak {warm_mem:5.0f} MB")
    print(f"assetpub no-op:                {min(noop, noop2):6.2f} s  peak {noop_mem:5.0f} MB")

    try:
        import django  # noqa: F401
        import whitenoise  # noqa: F401
    except ImportError:
        print("django+whitenoise: not installed (pip install django whitenoise) - skipped")
    else:
        shutil.rmtree(root / "django_out", ignore_errors=True)
        d_cold, d_mem = django_collectstatic(plain, root)
        edit_one_css(plain, 1)
        d_warm, _ = django_collectstatic(plain, root)
        print(f"django+whitenoise cold:        {d_cold:6.2f} s  peak {d_mem:5.0f} MB")
        print(f"django+whitenoise one edit:    {d_warm:6.2f} s")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
