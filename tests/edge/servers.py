"""Real servers for edge and audit tests: nginx (non-daemon, on a free 127.0.0.1 port)
and small HTTP helpers. Imported by tests/edge and tests/audit conftests."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests import processes
from tests.conftest import missing

HOST = "127.0.0.1"


def nginx_binary() -> str:
    """The nginx executable, or skip the test with the reason."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)
    if not found:
        missing("nginx not found (install nginx and libnginx-mod-http-brotli-static; .ci/run does)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, *, proc: subprocess.Popen | None = None, timeout: float = 10.0, log: Path | None = None) -> None:
    """Wait until something accepts connections on HOST:port (or the process dies)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            detail = log.read_text(errors="replace") if log and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}:\n{detail}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listening on {HOST}:{port} after {timeout}s") from None
            # the event we wait for is a successful connect; retry at a short interval
            time.sleep(0.02)


@dataclass
class Nginx:
    """A running nginx; stopped by the fixture that started it."""

    port: int
    rundir: Path
    proc: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        processes.stop(self.proc)


def start_nginx(conf_text: str, rundir: Path, port: int) -> Nginx:
    """Write conf_text to rundir/nginx.conf, check it with `nginx -t`, start nginx, wait for the port."""
    binary = nginx_binary()
    rundir.mkdir(parents=True, exist_ok=True)
    conf = rundir / "nginx.conf"
    conf.write_text(conf_text)
    errlog = rundir / "error.log"
    check = subprocess.run([binary, "-t", "-p", str(rundir), "-e", str(errlog), "-c", str(conf)],
                           check=False, capture_output=True, text=True)
    if check.returncode != 0:
        raise AssertionError(f"nginx -t rejected the config:\n{check.stderr}\n{conf_text}")
    proc = processes.spawn([binary, "-p", str(rundir), "-e", str(errlog), "-c", str(conf)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Nginx(port, rundir, proc)
    try:
        wait_for_port(port, proc=proc, log=errlog)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def get(base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Reply:
    """One request with these headers (http.client sends `Accept-Encoding: identity` unless one is given)."""
    host, port = base.split("://", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()
