"""Publish fixtures: a real moto S3 server on 127.0.0.1 (free port), a counting and
fault-injecting HTTP proxy between boto3 and moto, small builds, and both targets."""

from __future__ import annotations

import http.client
import http.server
import json
import logging
import socket
import socketserver
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import write_tree

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_CONFIG_FILE": "/nonexistent/assetpub-test/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/assetpub-test/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",  # never ask an instance metadata service
    "NO_PROXY": "127.0.0.1,localhost",  # the test servers are local, whatever proxy CI sets
    "no_proxy": "127.0.0.1,localhost",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url():
    """One moto standalone server for the session (ThreadedMotoServer: real HTTP)."""
    moto_server = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs one line per request
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    """Dummy credentials only; never the developer's real ones; no endpoint from the env."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_ENV.items():
        monkeypatch.setenv(name, value)


# -- the proxy ------------------------------------------------------------------------------
@dataclass
class Request:
    method: str
    path: str
    status: int = 0
    headers: dict = field(default_factory=dict)
    sent: int = 0  # request body bytes (client -> server)
    received: int = 0  # response body bytes (server -> client)


STALL, RESET, DROP = "stall", "reset", "drop"  # faults besides an error answer (status, code)


@dataclass
class Proxy:
    """Forwards to the S3 server, records every request; `fault(request_number, request)`
    returns None (forward), (status, code) (answer that error), ("delay", seconds) (forward
    late), STALL (never answer until released), RESET (TCP reset) or DROP (close without
    an answer)."""

    upstream: str
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    fault: Callable[[int, Request], tuple[int, str] | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    releases: list = field(default_factory=list)

    def reset(self) -> None:
        for release in self.releases:
            release.set()
        with self.lock:
            self.requests.clear()
            self.fault = None
            self.releases.clear()

    def count(self, method: str | None = None, *, under: str = "") -> int:
        return sum(1 for r in self.requests if (method is None or r.method == method) and under in r.path)

    def traffic(self) -> tuple[int, int, int]:
        """(requests, body bytes sent, body bytes received) since the last reset."""
        with self.lock:
            return len(self.requests), sum(r.sent for r in self.requests), sum(r.received for r in self.requests)

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("PUT", "POST", "DELETE")]

    def put_paths(self) -> list[str]:
        return sorted(r.path.split("?")[0] for r in self.requests if r.method == "PUT")

    def fail_from(self, n: int, status: int = 500, code: str = "InternalError") -> None:
        """Every request from the n-th (1-based, counted from now) on fails."""
        base = len(self.requests)
        self.fault = lambda i, r: (status, code) if i - base >= n else None

    def hold(self, predicate: Callable[[Request], bool]) -> tuple[threading.Event, threading.Event]:
        """The first request matching predicate is held, then answered 500 (never forwarded),
        when `release` is set or the test ends. Returns (arrived, release)."""
        arrived, release = threading.Event(), threading.Event()
        self.releases.append(release)

        def fault(i, r):
            if not arrived.is_set() and predicate(r):
                arrived.set()
                release.wait(60)
                return (500, "InternalError")
            return None

        self.fault = fault
        return arrived, release

    def fail_once(self, n: int, status: int = 503, code: str = "SlowDown") -> None:
        base = len(self.requests)
        self.fault = lambda i, r: (status, code) if i - base == n else None

    def inject(self, fault, predicate: Callable[[Request], bool] = lambda r: True, times: int = 1) -> threading.Event:
        """`fault` for the first `times` requests matching predicate (then forward). Returns
        an event set when the first of them arrives."""
        arrived = threading.Event()
        left = [times]
        guard = threading.Lock()

        def rule(i, r):
            with guard:
                if left[0] > 0 and predicate(r):
                    left[0] -= 1
                    arrived.set()
                    return fault
            return None

        self.fault = rule
        return arrived

    def stall_event(self) -> threading.Event:
        release = threading.Event()
        self.releases.append(release)
        return release


def _handler(proxy: Proxy):
    up = proxy.upstream.split("//", 1)[1]
    host, port = up.split(":")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _relay(self):
            length = self.headers.get("Content-Length")
            body = self.rfile.read(int(length)) if length else None
            if body is None and self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = _read_chunked(self.rfile)
            request = Request(self.command, self.path, headers={k.lower(): v for k, v in self.headers.items()})
            request.sent = len(body or b"")
            with proxy.lock:
                proxy.requests.append(request)
                number = len(proxy.requests)
                rule = proxy.fault
            fault = rule(number, request) if rule else None
            if fault in (STALL, RESET, DROP):
                request.status = -1
                if fault == STALL:
                    proxy.stall_event().wait(120)  # until the test ends (reset), never answered
                if fault == RESET:
                    import struct

                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if isinstance(fault, tuple) and fault[0] == "delay":
                import time

                time.sleep(fault[1])  # the injected fault itself (a slow server), not a wait for an event
                fault = None
            if fault is not None:
                status, code = fault
                payload = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
                request.status = status
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                return
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "expect", "connection")
            }
            if body is not None:
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            request.status = response.status
            request.received = len(data) if self.command != "HEAD" else 0
            self.send_response(response.status)
            for k, v in response.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

    return Handler


def _read_chunked(rfile) -> bytes:
    out = b""
    while True:
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            rfile.readline()
            return out
        out += rfile.read(size)
        rfile.readline()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # killed clients are expected
            super().handle_error(request, client_address)


def _serve_proxy(upstream: str):
    proxy = Proxy(upstream=upstream)
    server = _Server(("127.0.0.1", 0), _handler(proxy))
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return proxy, server


@pytest.fixture(scope="session")
def proxy_server(moto_url):
    proxy, server = _serve_proxy(moto_url)
    yield proxy
    proxy.reset()
    server.shutdown()


@pytest.fixture(scope="session")
def seaweed_url(tmp_path_factory):
    """One SeaweedFS server (`weed mini`) for the session, on free ports."""
    from . import seaweed

    proc, url, _log = seaweed.start(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield url
    finally:
        seaweed.stop(proc)


@pytest.fixture(scope="session")
def seaweed_proxy_server(seaweed_url):
    proxy, server = _serve_proxy(seaweed_url)
    yield proxy
    proxy.reset()
    server.shutdown()


@dataclass
class S3Server:
    """One S3 implementation for a test: the proxy in front of it, a fresh bucket, and a
    plain boto3 client talking to it directly (for checks)."""

    name: str
    proxy: Proxy
    bucket: str
    client: object
    direct: str  # the server's own URL


def _s3_server(request, name: str) -> S3Server:
    import boto3

    if name == "seaweedfs":  # it takes a session token for temporary (STS) credentials it never issued
        monkeypatch = request.getfixturevalue("monkeypatch")
        for var in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            monkeypatch.delenv(var, raising=False)
    direct = request.getfixturevalue("moto_url" if name == "moto" else "seaweed_url")
    proxy = request.getfixturevalue("proxy_server" if name == "moto" else "seaweed_proxy_server")
    proxy.reset()
    request.addfinalizer(proxy.reset)
    client = boto3.session.Session().client("s3", endpoint_url=direct, region_name="us-east-1")  # credentials of now
    bucket = f"assetpub-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    if name == "seaweedfs":  # each bucket takes volumes of its own: without this, a long run finds none left
        request.addfinalizer(lambda: _drop_bucket(client, bucket))
    return S3Server(name, proxy, bucket, client, direct)


def _drop_bucket(client, bucket: str) -> None:
    """Empty and delete a test's bucket (SeaweedFS frees its volumes with it)."""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=["moto", "seaweedfs"])
def s3server(request) -> S3Server:
    """The same test against moto and against SeaweedFS."""
    return _s3_server(request, request.param)


@pytest.fixture
def proxy(proxy_server):
    proxy_server.reset()
    yield proxy_server
    proxy_server.reset()


@pytest.fixture
def bucket(moto_url):
    """A fresh, empty bucket for each test."""
    import boto3

    name = f"assetpub-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(moto_url):
    """A plain boto3 client talking to moto directly (not through the proxy): for checks."""
    import boto3

    return boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")


# -- sites ----------------------------------------------------------------------------------
LOGO = bytes(range(256)) * 8  # incompressible-ish binary

SITE = {
    "css/app.css": "@import 'base.css';\n.logo { background: url(../img/logo.png) }\n" + ".a{color:red}\n" * 40,
    "css/base.css": "body { margin: 0; font-family: sans-serif }\n" + ".b{color:blue}\n" * 40,
    "js/app.js": "import { f } from './util.js';\nconsole.log(f(1));\n" + "// pad\n" * 40,
    "js/util.js": "export function f(x) { return x + 1; }\n" + "// pad\n" * 40,
    "img/logo.png": LOGO,
    "index.html": "<!doctype html><link rel=stylesheet href=css/app.css><script type=module src=js/app.js></script>\n"
    + "<p>hello</p>\n" * 30,
    "robots.txt": "User-agent: *\n",
}


@pytest.fixture
def site(tmp_path) -> Path:
    return write_tree(tmp_path / "src", SITE)


def build_site(src: Path, out: Path, **options):
    from assetpub import build

    return build([src], out=out, **options)


@pytest.fixture
def built(site, tmp_path) -> Path:
    out = tmp_path / "build"
    build_site(site, out)
    return out


# -- both targets behind one face (the contract suite runs against each) ----------------------
class S3Backend:
    name = "s3"

    def __init__(self, client, bucket: str, endpoint: str, prefix: str = "site"):
        self.client, self.bucket, self.endpoint, self.prefix = client, bucket, endpoint, prefix
        self.url = f"s3://{bucket}/{prefix}"

    def target(self, **kw):
        from assetpub.publish import open_target

        return open_target(self.url, endpoint_url=self.endpoint, **kw)

    def cli_args(self) -> list[str]:
        return ["--to", self.url, "--endpoint-url", self.endpoint]

    def read(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def headers(self, key: str) -> dict[str, str]:
        r = self.client.head_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")
        out = {"content_type": r["ContentType"], "cache_control": r.get("CacheControl", "")}
        if r.get("ContentEncoding"):
            out["content_encoding"] = r["ContentEncoding"]
        return out

    def keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + "/")
        return {o["Key"][len(self.prefix) + 1 :] for p in pages for o in p.get("Contents", ())}


class DirBackend:
    name = "directory"

    def __init__(self, root: Path):
        self.root = root
        self.url = str(root)

    def target(self, **kw):
        from assetpub.publish import open_target

        return open_target(self.url, **kw)

    def cli_args(self) -> list[str]:
        return ["--to", self.url]

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def headers(self, key: str) -> dict[str, str]:
        import json

        return json.loads((self.root / "_assetpub/headers.json").read_text())["objects"][key]

    def keys(self) -> set[str]:
        return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()}


@pytest.fixture(params=["s3", "seaweedfs", "directory"])
def backend(request, tmp_path):
    """S3 on moto ("s3"), S3 on SeaweedFS, each through the proxy, and a directory."""
    if request.param == "s3":
        proxy = request.getfixturevalue("proxy")
        return S3Backend(request.getfixturevalue("s3"), request.getfixturevalue("bucket"), proxy.url)
    if request.param == "seaweedfs":
        server = _s3_server(request, "seaweedfs")
        backend = S3Backend(server.client, server.bucket, server.proxy.url)
        backend.name = "s3"  # the same S3 behaviour is expected
        backend.server = server
        return backend
    return DirBackend(tmp_path / "origin")


# -- an endpoint that accepts connections and never answers ----------------------------------
@dataclass
class Silent:
    url: str
    lines: list[str] = field(default_factory=list)  # the request line of each connection

    def count(self, fragment: str) -> int:
        return sum(1 for line in self.lines if fragment in line)


@pytest.fixture
def silent():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    server = Silent(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            conn.settimeout(5)
            try:
                server.lines.append(conn.recv(65536).split(b"\r\n", 1)[0].decode("latin-1"))
            except OSError:
                server.lines.append("")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def record_json(data: bytes | None) -> dict:
    """A stored deploy record as a dict, whatever its format (1: JSON, 2: gzip'd JSON)."""
    from assetpub.publish.record import decode

    assert data is not None
    return json.loads(decode(data, where="test"))
