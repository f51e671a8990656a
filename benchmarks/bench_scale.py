#!/usr/bin/env python3
"""Scale benchmark: how each operation's cost grows with the site.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 1k,10k] [--scale 0.05] [--keep DIR]
                                               [--watch-edits 5] [--aws] [--skip bound,audit,...]

For each size N it generates `../shared/bench/make_site.py SRC --files N --scale S`
(small files, so 100k files fit the machine) and measures, each step as a subprocess
(the CLI as users run it): the compression bound (as benchmarks/bench_build.py defines
it), cold build, no-op build, one-file-edit build, first publish (to a moto server),
no-op publish, one-edit publish, `deploys`, `rollback`, an audit of 1% sampled files,
and watch-mode edit latency (p50 of --watch-edits edits). Every S3 request goes through
a counting HTTP proxy (tests/publish/conftest.py) in front of moto: requests, request
body bytes sent and response body bytes received are counted per step. Peak memory is
the resident size of the measured process tree (sampled every 20 ms).

--aws also times `aws s3 sync` (awscli, if installed) for the first publish, through
the same proxy, to its own bucket.

--skip leaves steps out (bound, builds: the no-op builds, audit, watch); --publish-only
is --skip bound,builds,audit,watch (the cold and edit builds still run: publish needs them).
Set PYTHONPATH to a checkout of another commit to measure that commit's code.

Prints one markdown table: a row per step, a column group per size, and the growth
from the smallest to the largest size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from _measure import run  # noqa: E402
from bench_build import bound, edit_one_css  # noqa: E402
from bench_publish import ENV, Moto  # noqa: E402

from tests.publish.conftest import Proxy, _handler, _Server  # noqa: E402

MAKE_SITE = REPO.parent / "shared" / "bench" / "make_site.py"
BIN = Path(sys.executable).parent
ASSETPUB = str(BIN / "assetpub")
BUCKET = "scale"


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


class Counting:
    """The tests' recording proxy in front of a moto server, in a thread of this process."""

    def __init__(self, moto: Moto):
        self.proxy = Proxy(upstream=moto.url)
        self.server = _Server(("127.0.0.1", 0), _handler(self.proxy))
        self.proxy.url = self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def measure(cmd: list[str], counter: Counting | None = None, ok: tuple[int, ...] = (0,)) -> dict:
    """Run cmd; wall seconds, CPU seconds and peak MB of its process tree, and S3 traffic
    through the proxy (CPU seconds: on a shared machine the wall time is mostly the load)."""
    if counter:
        counter.proxy.reset()
    cpu: list[float] = []
    seconds, peak_mb, done = run(cmd, env=ENV, ok=ok, cpu=cpu)
    row = {"seconds": seconds, "cpu": cpu[0] if cpu else None, "peak_mb": peak_mb, "stdout": done.stdout}
    if counter:
        row["requests"], row["sent"], row["received"] = counter.proxy.traffic()
    return row


def watch_p50(src: Path, out: Path, edits: int) -> dict:
    from bench_watch import pick_imported_css
    from bench_watch import run as watch_run

    name = pick_imported_css(src)
    times = watch_run(src, out, name, 5, edits)
    return {"seconds": statistics.median(times), "note": f"p50 of {edits}, max {max(times) * 1000:.0f} ms"}


def bench_size(n: int, scale: float, root: Path, args, moto: Moto, counter: Counting) -> dict[str, dict]:
    work = root / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    src, out = work / "src", work / "out"
    subprocess.run([sys.executable, str(MAKE_SITE), str(src), "--files", str(n), "--scale", str(scale)],
                   check=True, capture_output=True)
    files = [p for p in src.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"\n## {len(files)} files, {size / 1e6:.1f} MB (--files {n} --scale {scale})", flush=True)
    rows: dict[str, dict] = {}

    def step(name: str, row: dict) -> None:
        rows[name] = row
        extra = "".join(f" {k}={row[k]}" for k in ("cpu", "requests", "sent", "received", "note") if row.get(k) is not None)
        print(f"{name:28s} {row['seconds']:8.2f} s  peak {row.get('peak_mb', 0):6.0f} MB{extra}", flush=True)

    skip = args.skip
    if "bound" not in skip:
        step("compression bound", {"seconds": bound(src)})
    build = [ASSETPUB, "build", str(src), "--out", str(out), "-q"]
    step("cold build", measure(build))
    time.sleep(0.2)  # the racy-stat window passes, as it does between real edits
    if "builds" not in skip:
        step("no-op build", measure(build))
    s3 = ["--to", f"s3://{BUCKET}/n{n}", "--endpoint-url", counter.url]
    publish = [ASSETPUB, "publish", str(out), *s3, "-q", "--acl", "public-read"]  # the audit reads anonymously
    step("first publish", measure(publish, counter))
    if args.aws and shutil.which("aws", path=str(BIN)) or (args.aws and shutil.which("aws")):
        aws = shutil.which("aws", path=str(BIN)) or shutil.which("aws")
        step("aws s3 sync (first)", measure([aws, "s3", "sync", str(out), f"s3://{BUCKET}/aws{n}", "--endpoint-url",
                                             counter.url, "--only-show-errors", "--exclude", ".assetpub/*"], counter))
    step("no-op publish", measure(publish, counter))
    edited = edit_one_css(src, 1)
    edit = measure([*build[:-1], "--json"])
    edit["note"] = f"css/{edited}: {json.loads(edit['stdout'])['processed']} processed"
    step("one-file-edit build", edit)
    step("one-edit publish", measure(publish, counter))
    step("no-op publish after edit", measure(publish, counter))
    time.sleep(0.2)
    if "builds" not in skip:
        step("no-op build after edit", measure(build))
    step("deploys", measure([ASSETPUB, "deploys", *s3, "--json"], counter))
    step("rollback", measure([ASSETPUB, "rollback", *s3, "--json"], counter))
    if "audit" in skip:
        return _done(rows, args, work)
    sample = max(1, n // 100)
    audit = measure([ASSETPUB, "audit", f"{counter.url}/{BUCKET}/n{n}/", "--manifest", str(out),
                     "--sample", str(sample), "--seed", "1", "--max-requests", "1000000", "--json"], counter, ok=(0, 1))
    audit["note"] = f"--sample {sample} (S3 does no negotiation: its compression and Vary checks fail, as expected)"
    step("audit (1% sampled)", audit)
    if args.watch_edits and "watch" not in skip:
        step("watch edit latency", watch_p50(src, work / "watch-out", args.watch_edits))
    return _done(rows, args, work)


def _done(rows: dict[str, dict], args, work: Path) -> dict[str, dict]:
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def fmt_bytes(b: int) -> str:
    for unit, div in (("MB", 1e6), ("KB", 1e3)):
        if b >= div:
            return f"{b / div:.1f} {unit}"
    return f"{b} B"


def table(results: dict[int, dict[str, dict]]) -> str:
    sizes = sorted(results)
    steps = list(dict.fromkeys(s for n in sizes for s in results[n]))
    head = "| step | " + " | ".join(f"{n:,} files" for n in sizes)
    if len(sizes) > 1:
        head += f" | growth {sizes[0]:,} → {sizes[-1]:,}"
    lines = [head + " |", "|" + "---|" * (len(sizes) + 1 + (len(sizes) > 1))]
    for s in steps:
        cells = []
        for n in sizes:
            r = results[n].get(s)
            if not r:
                cells.append("")
                continue
            cell = f"{r['seconds']:.2f} s"
            if r.get("cpu") is not None:
                cell += f" (CPU {r['cpu']:.2f} s)"
            if "requests" in r:
                cell += f", {r['requests']:,} req, ↑{fmt_bytes(r['sent'])} ↓{fmt_bytes(r['received'])}"
            if r.get("peak_mb"):
                cell += f", {r['peak_mb']:.0f} MB"
            cells.append(cell)
        line = f"| {s} | " + " | ".join(cells)
        if len(sizes) > 1:
            a, b = results[sizes[0]].get(s), results[sizes[-1]].get(s)
            growth = f"{b['seconds'] / a['seconds']:.1f}× time" if a and b and a["seconds"] else ""
            if a and b and "requests" in a:
                moved_a, moved_b = a["sent"] + a["received"], b["sent"] + b["received"]
                growth += f", {b['requests'] / max(1, a['requests']):.1f}× req, {moved_b / max(1, moved_a):.1f}× bytes"
            line += f" | {growth}"
        lines.append(line + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1k,10k", help="comma-separated file counts (1k, 10k, 50k, 100k)")
    ap.add_argument("--scale", type=float, default=0.05, help="make_site.py --scale (text sizes)")
    ap.add_argument("--watch-edits", type=int, default=5, help="watch edits per size (0: skip watch)")
    ap.add_argument("--aws", action="store_true", help="also time `aws s3 sync` for the first publish")
    ap.add_argument("--keep", help="work in this directory and keep it")
    ap.add_argument("--skip", default="", help="comma-separated steps to leave out: bound, builds, audit, watch")
    ap.add_argument("--publish-only", action="store_true", help="--skip bound,builds,audit,watch")
    args = ap.parse_args()
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.publish_only:
        args.skip |= {"bound", "builds", "audit", "watch"}
    unknown = args.skip - {"bound", "builds", "audit", "watch"}
    if unknown:
        ap.error(f"--skip: unknown step(s) {', '.join(sorted(unknown))}")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    root = Path(args.keep or tempfile.mkdtemp(prefix="assetpub-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"{len(os.sched_getaffinity(0))} cores (shared with other work); Python {sys.version.split()[0]}")
    moto = Moto(root)
    counter = Counting(moto)
    try:
        moto.bucket(BUCKET)
        results = {n: bench_size(n, args.scale, root, args, moto, counter) for n in sizes}
        print()
        print(table(results), flush=True)
    finally:
        counter.stop()
        moto.stop(timeout=60)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
