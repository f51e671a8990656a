"""HTTP for the audit: GET (and HEAD) only, no credentials, no redirects followed,
a bounded number of requests, one keep-alive connection per worker thread and host.

Bounded where the server chooses: `timeout` is the deadline of one whole response
(connecting, headers and body: a body trickled a byte at a time cannot outlast it),
`run_timeout` the deadline of the whole run, and bodies are streamed and hashed, never
held (audit/body.py), except the one a caller keeps (the manifest).

Time to first byte is measured from just before the request is sent until the
status line and headers have been read (connection set-up included when a new
connection was needed, as a browser's first request would pay it).
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import __version__
from .body import CHUNK, MAX_BODY, BodyReader
from .errors import AuditUsageError

USER_AGENT = f"assetpub-audit/{__version__}"
_METHODS = ("GET", "HEAD")
# Request headers the audit never sends: it needs no credentials and must not carry any.
_FORBIDDEN = {"authorization", "cookie", "proxy-authorization"}


@dataclass(frozen=True)
class Response:
    url: str
    method: str
    sent: dict[str, str]
    status: int | None  # None: no response (error says why)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names; repeated headers joined by ", "
    body: bytes = b""  # only when the caller kept it (the manifest); the checks use the digests
    ttfb: float | None = None  # seconds
    error: str | None = None
    truncated: bool = False
    size: int | None = None  # bytes as sent
    sent_integrity: str | None = None  # SRI of the bytes as sent
    integrity: str | None = None  # SRI of the decoded bytes
    decode_error: str | None = None  # why the body did not decode (then `integrity` is None)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def check_url(url: str, *, what: str = "URL") -> str:
    """An http(s) URL without credentials, query or fragment; raises AuditUsageError otherwise."""
    try:
        if any(c <= " " or c == "\x7f" for c in url):
            raise ValueError("spaces or control characters; percent-encode them")
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as e:
        shown = re.sub(r"//[^/]*@", "//***@", url)  # never echo a secret
        raise AuditUsageError(f"{what} {shown!r}: not a valid URL ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AuditUsageError(f"{what} {url!r}: expected an http:// or https:// URL")
    if parts.username or parts.password:
        shown = parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()  # never echo a secret
        raise AuditUsageError(f"{what} {shown!r}: credentials in the URL are not accepted (the audit never needs any)")
    if parts.query or parts.fragment:
        raise AuditUsageError(f"{what} {url!r}: remove the query string or fragment")
    return url


class Fetcher:
    """Sends at most `max_requests` GET/HEAD requests; thread-safe."""

    def __init__(self, *, max_requests: int, timeout: float = 10.0, run_timeout: float | None = None):
        self.max_requests = max_requests
        self.timeout = timeout
        self.run_deadline = time.monotonic() + run_timeout if run_timeout is not None else None
        self.run_timeout = run_timeout
        self.sent = 0
        self._count_lock = threading.Lock()
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []

    def request(self, url: str, headers: dict[str, str], *, method: str = "GET", keep_body: bool = False) -> Response:
        if method not in _METHODS:
            raise ValueError(f"the audit only sends {_METHODS}, not {method}")
        bad = _FORBIDDEN & {k.lower() for k in headers}
        if bad:
            raise ValueError(f"the audit never sends {sorted(bad)}")
        with self._count_lock:
            if self.sent >= self.max_requests:
                return Response(url, method, dict(headers), None, error=f"request budget of {self.max_requests} used up")
            if self._left() <= 0:
                return Response(url, method, dict(headers), None, error=f"the run's deadline of {self.run_timeout}s passed")
            self.sent += 1
        sent = {"User-Agent": USER_AGENT, "Accept": "*/*", **headers}
        parts = urlsplit(url)
        target = parts.path or "/"
        for attempt in (1, 2):  # a kept-alive connection the server closed fails once; retry on a fresh one
            conn = self._connection(parts.scheme, parts.netloc)
            deadline = _Deadline(min(self.timeout, self._left()))
            started = time.perf_counter()
            try:
                conn.connect() if conn.sock is None else None
                deadline.arm(conn.sock)
                conn.request(method, target, headers=sent)
                resp = conn.getresponse()
                ttfb = time.perf_counter() - started
                headers_seen: dict[str, str] = {}
                for k, v in resp.getheaders():
                    k = k.lower()
                    headers_seen[k] = f"{headers_seen[k]}, {v}" if k in headers_seen else v
                reader = BodyReader(headers_seen.get("content-encoding"), keep=keep_body)
                truncated = _read_body(resp, reader) if method == "GET" else False
                deadline.disarm()
                if deadline.expired:
                    raise TimeoutError(f"no complete response within {deadline.seconds:.3g}s")
                if truncated or resp.will_close or not resp.isclosed():
                    self._drop(parts.scheme, parts.netloc)
                digest = reader.result()
                return Response(
                    url, method, sent, resp.status, headers_seen, digest.body, ttfb, None, truncated,
                    digest.size, digest.sent_integrity, digest.integrity, digest.decode_error,
                )
            except (OSError, http.client.HTTPException, ValueError) as e:
                deadline.disarm()
                self._drop(parts.scheme, parts.netloc)
                if deadline.expired:
                    return Response(url, method, sent, None, error=f"no complete response within {deadline.seconds:.3g}s")
                retriable = isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError))
                if attempt == 1 and retriable:
                    continue
                return Response(url, method, sent, None, error=f"{type(e).__name__}: {e}".rstrip(": "))
        raise AssertionError("unreachable")

    def _left(self) -> float:
        return float("inf") if self.run_deadline is None else self.run_deadline - time.monotonic()

    def close(self) -> None:
        for conn in self._all:
            conn.close()

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        conns = self._local.__dict__.setdefault("conns", {})
        conn = conns.get((scheme, netloc))
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self.timeout)
            conns[(scheme, netloc)] = conn
            with self._count_lock:
                self._all.append(conn)
        return conn

    def _drop(self, scheme: str, netloc: str) -> None:
        conn = self._local.__dict__.get("conns", {}).pop((scheme, netloc), None)
        if conn is not None:
            conn.close()


def _read_body(resp: http.client.HTTPResponse, reader: BodyReader) -> bool:
    """Stream the body into `reader` in CHUNK pieces; True when it was longer than MAX_BODY
    (reading stops there, as it does once the body is known not to decode)."""
    read = 0
    while True:
        chunk = resp.read1(CHUNK)
        if not chunk:
            return False
        read += len(chunk)
        if read > MAX_BODY:
            return True
        reader.feed(chunk)
        if reader.failed:
            return False


class _Deadline:
    """Shuts the connection's socket down when a response has not completed in time: a
    blocked read returns at once, however slowly the server sends (socket timeouts bound
    each read only)."""

    def __init__(self, seconds: float):
        self.seconds = max(seconds, 0.0)
        self.expired = False
        self._timer: threading.Timer | None = None

    def arm(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        sock.settimeout(self.seconds or 0.001)

        def expire() -> None:
            self.expired = True
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        self._timer = threading.Timer(self.seconds, expire)
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
