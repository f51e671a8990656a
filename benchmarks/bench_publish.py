#!/usr/bin/env python3
"""Publish benchmark: assetpub vs `aws s3 sync` (awscli) vs `s3cmd sync`, one moto server.

    .venv/bin/python benchmarks/bench_publish.py [--files 1000] [--tools assetpub,aws,s3cmd]

On a `make_site.py --files N` build, each tool gets its own bucket and runs, in order:
first publish; no-op publish; touch everything and rebuild (a fresh CI checkout), then
publish; edit one CSS file and rebuild, then publish. Times are wall-clock times of the
command-line tool (process start included); for assetpub the library's own time (the
`seconds` of --json) is shown too. Requests are counted from moto's request log (one
line per request). A last row times `assetpub deploy` from an empty --out after a
one-file edit (the fresh-CI-checkout deploy).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _measure import spawn, stop  # the tests' process groups (benchmarks/_measure.py)

REPO = Path(__file__).resolve().parent.parent
MAKE_SITE = REPO.parent / "shared" / "bench" / "make_site.py"
VENV_BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "PYTHONUNBUFFERED": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """moto_server in its own process (so it does not share our GIL); counts its log lines."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "moto.log"
        self.proc = spawn(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        self.lines = 0
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(30):
            raise SystemExit("moto server did not start")

    def _read(self):
        for line in self.proc.stderr:
            if "Running on" in line:
                self.ready.set()
            elif " HTTP/1.1" in line:
                self.lines += 1

    def requests_since(self, mark: int) -> int:
        # the server logs each request before answering it, so once the client is done
        # every line is written; give the reader thread a moment to consume the pipe
        deadline = time.monotonic() + 2
        last = -1
        while time.monotonic() < deadline and last != self.lines:
            last = self.lines
            time.sleep(0.05)
        return self.lines - mark

    def bucket(self, name: str) -> None:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket=name)

    def stop(self, timeout: float = 10):
        stop(self.proc, timeout=timeout)  # a server holding 100k objects takes a while to go


def run(cmd: list[str], **kw) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, **kw)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def build(src: Path, out: Path) -> None:
    run([str(VENV_BIN / "assetpub"), "build", str(src), "--out", str(out), "-q"])


def publish_cmd(tool: str, out: Path, bucket: str, moto: Moto, s3cfg: Path) -> list[str]:
    if tool == "assetpub":
        return [
            str(VENV_BIN / "assetpub"),
            "publish",
            str(out),
            "--to",
            f"s3://{bucket}",
            "--endpoint-url",
            moto.url,
            "--json",
        ]
    if tool == "aws":
        return [
            "aws",
            "s3",
            "sync",
            str(out),
            f"s3://{bucket}",
            "--endpoint-url",
            moto.url,
            "--only-show-errors",
            "--exclude",
            ".assetpub/*",
        ]
    if tool == "s3cmd":
        return [
            "s3cmd",
            "-c",
            str(s3cfg),
            "sync",
            "--no-preserve",
            "--quiet",
            "--exclude",
            ".assetpub/*",
            str(out) + "/",
            f"s3://{bucket}/",
        ]
    raise ValueError(tool)


def s3cmd_config(path: Path, moto: Moto) -> Path:
    host = f"127.0.0.1:{moto.port}"
    path.write_text(
        "[default]\naccess_key = bench\nsecret_key = bench\n"
        f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\nsignature_v2 = False\n"
    )
    return path


def edit_one_css(src: Path) -> str:
    css = sorted(src.rglob("*.css"))[0]
    css.write_text(css.read_text() + "\n.bench-edit { color: #123456 }\n")
    return str(css.relative_to(src))


def bench_tool(tool: str, files: int, work: Path, moto: Moto) -> list[dict]:
    base = work / tool
    src = base / "src"
    subprocess.run([sys.executable, str(MAKE_SITE), str(src), "--files", str(files)], check=True, capture_output=True)
    out = base / "out"
    build(src, out)
    bucket = f"bench-{tool}"
    moto.bucket(bucket)
    cfg = s3cmd_config(base / "s3cfg", moto)
    rows = []

    def phase(name: str, out_dir: Path):
        mark = moto.lines
        seconds, stdout = run(publish_cmd(tool, out_dir, bucket, moto, cfg))
        row = {"tool": tool, "phase": name, "seconds": round(seconds, 2), "requests": moto.requests_since(mark)}
        if tool == "assetpub":
            data = json.loads(stdout)
            row["library_seconds"] = data["seconds"]
            row["uploaded"] = data["result"]["uploaded"]
        rows.append(row)
        print(json.dumps(row), flush=True)

    phase("first publish", out)
    phase("no-op", out)
    fresh_src = base / "checkout"
    shutil.copytree(src, fresh_src)  # every mtime new, as in a CI checkout
    fresh_out = base / "out-fresh"
    build(fresh_src, fresh_out)
    phase("touch all + rebuild", fresh_out)
    edited = edit_one_css(fresh_src)
    build(fresh_src, fresh_out)
    phase(f"one-file edit ({edited})", fresh_out)

    if tool == "assetpub":  # deploy from an empty --out after another one-file edit
        edit_one_css(fresh_src)
        mark = moto.lines
        empty = base / "empty-out"
        seconds, stdout = run(
            [
                str(VENV_BIN / "assetpub"),
                "deploy",
                str(fresh_src),
                "--out",
                str(empty),
                "--to",
                f"s3://{bucket}",
                "--endpoint-url",
                moto.url,
                "--json",
            ]
        )
        data = json.loads(stdout)
        row = {
            "tool": tool,
            "phase": "deploy, empty --out, one-file edit",
            "seconds": round(seconds, 2),
            "requests": moto.requests_since(mark),
            "library_seconds": data["seconds"],
            "uploaded": data["result"]["uploaded"],
            "reused": data["build"].get("reused"),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tools", default="assetpub,aws,s3cmd")
    args = parser.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    for tool in tools:
        if tool != "assetpub" and shutil.which(tool) is None:
            print(f"skipping {tool}: not installed (pip install awscli / apt-get install s3cmd)", file=sys.stderr)
            tools.remove(tool)
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        work = Path(tmp)
        moto = Moto(work)
        try:
            rows = [row for tool in tools for row in bench_tool(tool, args.files, work, moto)]
        finally:
            moto.stop()
    print()
    print(f"{'tool':<9} {'phase':<40} {'seconds':>8} {'library':>8} {'requests':>9}")
    for r in rows:
        lib = f"{r['library_seconds']:.2f}" if "library_seconds" in r else ""
        print(f"{r['tool']:<9} {r['phase']:<40} {r['seconds']:>8.2f} {lib:>8} {r['requests']:>9}")


if __name__ == "__main__":
    main()
