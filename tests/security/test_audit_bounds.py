"""Issue 15, item 11: a hostile server cannot make the audit use unbounded memory or time:
decoded size is capped (a gzip bomb), a whole response has a deadline (a trickled body),
and a response in flight costs a bounded amount of memory (bodies are streamed and hashed)."""

from __future__ import annotations

import gzip
import http.server
import threading
import time
import tracemalloc

import pytest

from assetpub.audit import runner
from assetpub.audit.errors import AuditUsageError
from assetpub.manifest import Manifest

BOMB = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=6)  # ~250 KB that expands to 256 MiB
TRICKLE_BYTES = 40  # one every 0.25 s: 10 s at most, then the server gives up by itself
ENDLESS_LIMIT = 96 * 1024 * 1024  # more than the audit reads; the server stops there by itself


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        try:
            if self.path.startswith("/bomb"):
                self._send(200, {"Content-Encoding": "gzip", "Content-Length": str(len(BOMB))})
                self.wfile.write(BOMB)
            elif self.path.startswith("/trickle"):
                self._send(200, {"Content-Length": "1000"})
                for _ in range(TRICKLE_BYTES):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.25)  # the server's pace, not the test's synchronisation
                self.close_connection = True
            elif self.path.startswith("/endless"):
                self._send(200, {"Connection": "close"})
                chunk = b"y" * (1 << 20)
                for _ in range(ENDLESS_LIMIT // len(chunk)):
                    self.wfile.write(chunk)
                self.close_connection = True
            else:
                self._send(404, {"Content-Length": "0"})
        except OSError:  # the audit hung up: what it should do
            self.close_connection = True

    def _send(self, status, headers):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the audit hanging up mid-body is the point


@pytest.fixture
def hostile():
    server = QuietServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def manifest(*paths: str) -> Manifest:
    entry = {"integrity": "sha384-x", "size": 1, "content_type": "text/css", "cache_control": "no-cache",
             "fingerprinted": False}
    return Manifest.from_dict({"version": 1, "assets": {p: {**entry, "path": p} for p in paths}}, source="test")


def peak_during(call):
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_is_capped_and_never_held(hostile):
    report, peak = peak_during(lambda: runner.audit(hostile, manifest("bomb.css"), timeout=60))
    checks = {c.name: c for c in report.assets[0].checks}
    assert checks["integrity"].result == "fail" and "decodes to more than" in checks["integrity"].note
    assert peak < 32 * 1024 * 1024


def test_a_gzip_bomb_as_the_manifest_is_refused(hostile):
    with pytest.raises(AuditUsageError, match="decodes to more than"):
        runner.audit(hostile, hostile + "bomb-manifest.json", timeout=60)


def test_a_trickled_body_cannot_outlast_the_timeout(hostile):
    report = runner.audit(hostile, manifest("trickle.css"), timeout=1)
    primary = report.assets[0].requests[0][1]
    assert primary.status is None and "no complete response within 1s" in primary.error


def test_responses_in_flight_cost_bounded_memory(hostile):
    names = [f"endless{i}.bin" for i in range(4)]
    report, peak = peak_during(lambda: runner.audit(hostile, manifest(*names), timeout=60, concurrency=4))
    for asset in report.assets:
        assert asset.checks[0].result == "fail"  # larger than the audit reads
    assert peak < 32 * 1024 * 1024


def test_the_run_has_a_deadline(hostile):
    report = runner.audit(hostile, manifest("trickle.css", "trickle2.css"), timeout=5, run_timeout=0.5, concurrency=1)
    errors = [a.requests[0][1].error or "" for a in report.assets]
    assert "no complete response within 0.4" in errors[0] or "within 0.5s" in errors[0]
    assert "run's deadline of 0.5s passed" in errors[1]
