"""The checks as pure functions (table-driven), and the fetcher's bounds against a real server."""

from __future__ import annotations

import gzip
import http.server
import io
import threading
from functools import partial

import brotli
import pytest

from assetpub.audit import audit, checks
from assetpub.audit.fetch import Fetcher, Response
from assetpub.audit.runner import _percentile
from assetpub.digest import integrity
from assetpub.manifest import Entry, parse_entry

DATA = b"body { color: red }\n" * 20
TABLE = {
    "path": "css/app.0123456789ab.css",
    "integrity": integrity(DATA),
    "size": len(DATA),
    "content_type": "text/css; charset=utf-8",
    "cache_control": "public, max-age=31536000, immutable",
    "fingerprinted": True,
    "encodings": {"br": {"path": "x.br", "size": 1}, "gzip": {"path": "x.gz", "size": 1}},
}
ENTRY = parse_entry(TABLE)


def with_encodings(codings) -> Entry:
    return parse_entry({**TABLE, "encodings": {c: {"path": "x." + c} for c in codings}})


def response(status=200, body=DATA, **headers) -> Response:
    return Response("http://h/x", "GET", {"Accept-Encoding": "br, gzip"}, status,
                    {k.replace("_", "-").lower(): v for k, v in headers.items()}, body, 0.001)


@pytest.mark.parametrize("body, encoding", [
    (DATA, None), (DATA, "identity"), (brotli.compress(DATA), "br"), (gzip.compress(DATA), "gzip"),
    (gzip.compress(DATA), "x-gzip"), (brotli.compress(gzip.compress(DATA)), "gzip, br"),
])
def test_decode(body, encoding):
    assert checks.decode(body, encoding) == DATA


@pytest.mark.parametrize("body, encoding, message", [
    (DATA, "br", "does not decode as br"), (DATA, "gzip", "does not decode as gzip"), (DATA, "zstd", "unknown content coding"),
])
def test_decode_errors(body, encoding, message):
    with pytest.raises(ValueError, match=message):
        checks.decode(body, encoding)


@pytest.mark.parametrize("seen, result", [
    ("text/css; charset=utf-8", "pass"), ("text/css;charset=UTF-8", "pass"), ('text/css; charset="utf-8"', "pass"),
    ("text/css", "fail"), ("text/plain; charset=utf-8", "fail"), (None, "fail"),
])
def test_content_type(seen, result):
    headers = {"content_type": seen} if seen else {}
    assert checks.content_type(ENTRY, response(**headers)).result == result


@pytest.mark.parametrize("seen, result, note", [
    ("public, max-age=31536000, immutable", "pass", ""),
    ("immutable, max-age=31536000, Public", "pass", ""),
    ("public, max-age=31536000", "fail", "rewritten"),
    ("public, max-age=86400, s-maxage=31536000, immutable", "fail", "rewritten"),
    (None, "fail", "dropped"),
])
def test_cache_control(seen, result, note):
    headers = {"cache_control": seen} if seen else {}
    check = checks.cache_control(ENTRY, response(**headers))
    assert check.result == result and check.note.startswith(note) and check.seen == seen


@pytest.mark.parametrize("encodings, seen, result", [
    (("br", "gzip"), "br", "pass"),
    (("br", "gzip"), "gzip", "fail"),
    (("br", "gzip"), None, "fail"),
    (("gzip",), "gzip", "pass"),
    (("gzip",), "br", "pass"),  # a CDN's own brotli where no br variant was published
    (("gzip",), None, "fail"),
    ((), None, "skip"),
    ((), "gzip", "skip"),  # a CDN compressing a file without variant on the fly is fine
])
def test_compression(encodings, seen, result):
    headers = {"content_encoding": seen} if seen else {}
    assert checks.compression(with_encodings(encodings), response(**headers)).result == result


@pytest.mark.parametrize("vary, encodings, encoding, result", [
    ("Accept-Encoding", ("br", "gzip"), "br", "pass"),
    ("Origin, accept-encoding", ("br", "gzip"), "br", "pass"),
    ("*", ("br", "gzip"), None, "pass"),
    (None, ("br", "gzip"), "br", "fail"),
    ("Origin", (), "gzip", "fail"),  # compressed on the fly without Vary
    (None, (), None, "skip"),
])
def test_vary(vary, encodings, encoding, result):
    headers = {k: v for k, v in (("vary", vary), ("content_encoding", encoding)) if v}
    assert checks.vary(with_encodings(encodings), response(**headers)).result == result


def test_identity():
    assert checks.identity(ENTRY, response()).result == "pass"
    gz = checks.identity(ENTRY, response(body=gzip.compress(DATA), content_encoding="gzip"))
    assert gz.result == "fail" and gz.seen == "gzip"
    assert checks.identity(ENTRY, response(body=b"other")).result == "fail"
    assert checks.identity(ENTRY, None).result == "skip"


def test_validators_conditional_and_stability():
    assert checks.validators(response(etag='"a"')).result == "pass"
    assert checks.validators(response()).result == "fail"
    assert checks.conditional(response(status=304, body=b"")).result == "pass"
    assert checks.conditional(response(status=200)).result == "fail"
    lm = "Thu, 01 Jan 2026 00:00:00 GMT"
    prev = {"integrity": ENTRY.integrity, "last_modified": lm}
    assert checks.last_modified_stable(ENTRY, response(last_modified=lm), prev).result == "pass"
    assert checks.last_modified_stable(ENTRY, response(last_modified="Fri, 02 Jan 2026 00:00:00 GMT"), prev).result == "fail"
    assert checks.last_modified_stable(ENTRY, response(last_modified="x"), {**prev, "integrity": "other"}).result == "skip"
    assert checks.last_modified_stable(ENTRY, response(last_modified=lm), None).result == "skip"


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert _percentile(values, 50) == 50.0 and _percentile(values, 95) == 95.0 and _percentile([3.0], 95) == 3.0


def test_fetcher_sends_only_get_and_head_without_credentials():
    fetcher = Fetcher(max_requests=1)
    with pytest.raises(ValueError):
        fetcher.request("http://127.0.0.1:9/", {}, method="POST")
    with pytest.raises(ValueError):
        fetcher.request("http://127.0.0.1:9/", {"Authorization": "Bearer x"})
    assert fetcher.sent == 0


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; records method, headers and how many requests were in flight at once.

    Each request waits (bounded) until `limit` requests are in flight, so if the client
    sent more at once the server would see it."""

    def do_GET(self):
        state = self.server.state
        with state["cond"]:
            state["active"] += 1
            state["max"] = max(state["max"], state["active"])
            state["seen"].append((self.command, dict(self.headers)))
            state["cond"].notify_all()
            # generous: only the last requests of the audit (fewer than `limit` left) wait it out
            state["cond"].wait_for(lambda: state["active"] >= state["limit"], timeout=2)
        # the response is produced into a buffer and only sent once this request stops
        # counting as in flight: the client cannot start its next request earlier
        real, self.wfile = self.wfile, io.BytesIO()
        try:
            super().do_GET()
        finally:
            with state["cond"]:
                state["active"] -= 1
            real.write(self.wfile.getvalue())
            self.wfile = real

    def log_message(self, *args):
        pass


def test_concurrency_and_request_count_are_bounded(origin):
    state = {"active": 0, "max": 0, "limit": 3, "seen": [], "cond": threading.Condition()}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_CountingHandler, directory=str(origin)))
    server.state = state
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        report = audit(f"http://127.0.0.1:{server.server_address[1]}/", origin, concurrency=3)
    finally:
        server.shutdown()
        server.server_close()
    assert state["max"] == 3  # requests overlapped, and never more than --concurrency
    assert len(state["seen"]) == report.requests == sum(len(a.requests) for a in report.assets)
    for method, headers in state["seen"]:
        assert method == "GET"
        assert not {"Authorization", "Cookie"} & set(headers)
        assert headers["User-Agent"].startswith("assetpub-audit/")


def test_manifest_entry_without_path_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from assetpub.cli import main

    bad = tmp_path / "m.json"
    bad.write_text('{"version": 1, "base_url": "/", "assets": {"a.css": {"integrity": "x"}}}')
    result = CliRunner().invoke(main, ["audit", "http://127.0.0.1:9/", "--manifest", str(bad)])
    assert result.exit_code == 2 and "entry 'a.css' has no valid 'path'" in result.output and "Traceback" not in result.output
