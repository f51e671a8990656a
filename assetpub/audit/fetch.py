"""HTTP for the audit: GET (and HEAD) only, no credentials, no redirects followed,
a bounded number of requests, one keep-alive connection per worker thread and host.

Time to first byte is measured from just before the request is sent until the
status line and headers have been read (connection set-up included when a new
connection was needed, as a browser's first request would pay it).
"""

from __future__ import annotations

import http.client
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import __version__
from .errors import AuditUsageError

USER_AGENT = f"assetpub-audit/{__version__}"
MAX_BODY = 64 * 1024 * 1024  # bytes read per response at most; larger bodies are reported truncated
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
    body: bytes = b""
    ttfb: float | None = None  # seconds
    error: str | None = None
    truncated: bool = False

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

    def __init__(self, *, max_requests: int, timeout: float = 10.0):
        self.max_requests = max_requests
        self.timeout = timeout
        self.sent = 0
        self._count_lock = threading.Lock()
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []

    def request(self, url: str, headers: dict[str, str], *, method: str = "GET") -> Response:
        if method not in _METHODS:
            raise ValueError(f"the audit only sends {_METHODS}, not {method}")
        bad = _FORBIDDEN & {k.lower() for k in headers}
        if bad:
            raise ValueError(f"the audit never sends {sorted(bad)}")
        with self._count_lock:
            if self.sent >= self.max_requests:
                return Response(url, method, dict(headers), None, error=f"request budget of {self.max_requests} used up")
            self.sent += 1
        sent = {"User-Agent": USER_AGENT, "Accept": "*/*", **headers}
        parts = urlsplit(url)
        target = parts.path or "/"
        for attempt in (1, 2):  # a kept-alive connection the server closed fails once; retry on a fresh one
            conn = self._connection(parts.scheme, parts.netloc)
            started = time.perf_counter()
            try:
                conn.request(method, target, headers=sent)
                resp = conn.getresponse()
                ttfb = time.perf_counter() - started
                body = resp.read(MAX_BODY + 1) if method == "GET" else b""
                truncated = len(body) > MAX_BODY
                if truncated or resp.will_close:
                    self._drop(parts.scheme, parts.netloc)
                headers_seen: dict[str, str] = {}
                for k, v in resp.getheaders():
                    k = k.lower()
                    headers_seen[k] = f"{headers_seen[k]}, {v}" if k in headers_seen else v
                return Response(url, method, sent, resp.status, headers_seen, body[:MAX_BODY], ttfb, None, truncated)
            except (OSError, http.client.HTTPException) as e:
                self._drop(parts.scheme, parts.netloc)
                retriable = isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError))
                if attempt == 1 and retriable:
                    continue
                return Response(url, method, sent, None, error=f"{type(e).__name__}: {e}".rstrip(": "))
        raise AssertionError("unreachable")

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
