"""The request handler: GET and HEAD for files under the root, with production headers.

Sent with every file: Content-Type and Cache-Control (from the manifest or the origin's
header sidecar), ETag and Last-Modified (from the served file's mtime and size, as nginx
derives them, so an unchanged output keeps answering 304), Content-Length, and, for
files that have precompressed variants, Vary: Accept-Encoding and the variant the client
accepts. Conditional requests follow RFC 9110 §13.1: If-None-Match wins over
If-Modified-Since. Identity responses take one byte range (206, 416, If-Range: ranges.py).
"""

from __future__ import annotations

import email.utils
import logging
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, BinaryIO

from .. import media_types
from ..header_value import header_problem
from . import livereload, negotiate, ranges
from .headers import Served
from .paths import BadRequest, relative_name, resolve, url_path

if TYPE_CHECKING:  # pragma: no cover
    from .server import DevServer

log = logging.getLogger(__name__)
_LIVE_RELOAD_TAG = "-lr"  # the injected page is another representation: another ETag


class Handler(BaseHTTPRequestHandler):
    server: DevServer
    server_version = "assetpub-dev"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # -- routing -----------------------------------------------------------------------
    def _respond(self, *, send_body: bool) -> None:
        try:
            path = url_path(self.path)
        except BadRequest:
            return self._error(HTTPStatus.BAD_REQUEST, send_body)
        if self.server.live_reload and path == livereload.EVENTS_PATH:
            return self._events() if send_body else self._error(HTTPStatus.METHOD_NOT_ALLOWED, False)
        if self.server.live_reload and path == livereload.SCRIPT_PATH:
            return self._bytes(livereload.SCRIPT, "text/javascript; charset=utf-8", send_body)
        rel = relative_name(path, self.server.prefix)
        real = resolve(self.server.root_real, rel) if rel else None
        if real is None:
            return self._error(HTTPStatus.NOT_FOUND, send_body)
        self._file(rel, real, self.server.headers_table.lookup(rel), send_body)

    def _file(self, rel: str, real: str, served: Served, send_body: bool) -> None:
        accept = self.headers.get("Accept-Encoding")
        content_type, coding = served.headers.content_type, served.headers.content_encoding
        varies = coding is not None
        if coding is not None and negotiate.choose(accept, [coding]) is None:
            # a variant asked for by name by a client that cannot decode it: plain bytes
            content_type, coding = media_types.content_type(rel), None
        elif coding is None and self.server.live_reload and content_type.startswith("text/html"):
            varies = bool(served.variants)  # a page gets the script injected: always identity
        elif coding is None:
            available = {c: r for c, p in served.variants.items() if (r := resolve(self.server.root_real, p))}
            coding = negotiate.choose(accept, available)
            real = available[coding] if coding else real
            varies = bool(available)
        inject = self.server.live_reload and coding is None and content_type.startswith("text/html")
        try:
            f = open(real, "rb")  # noqa: SIM115 - closed by the `with` below; failing here is a 404
        except OSError:  # replaced or removed since it was resolved
            return self._error(HTTPStatus.NOT_FOUND, send_body)
        with f:
            st = os.fstat(f.fileno())
            etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}{_LIVE_RELOAD_TAG if inject else ""}"'
            fields = {
                "Content-Type": content_type,
                "Cache-Control": served.headers.cache_control,
                "ETag": etag,
                "Last-Modified": email.utils.formatdate(st.st_mtime, usegmt=True),
            }
            if varies:
                fields["Vary"] = "Accept-Encoding"
            if self._not_modified(etag, int(st.st_mtime)):
                return self._head(HTTPStatus.NOT_MODIFIED, fields)
            if coding is not None:
                fields["Content-Encoding"] = coding
            if inject:
                return self._bytes(livereload.inject(f.read()), content_type, send_body, fields)
            status, first, length = HTTPStatus.OK, 0, st.st_size
            if coding is None:  # ranges of identity bytes only: an encoded variant is sent whole
                fields["Accept-Ranges"] = "bytes"
                try:
                    wanted = self._range(etag, st.st_size) if send_body else None
                except ranges.Unsatisfiable:
                    return self._error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, send_body,
                                       {"Content-Range": f"bytes */{st.st_size}"})
                if wanted is not None:
                    status, (first, last) = HTTPStatus.PARTIAL_CONTENT, wanted
                    length = last - first + 1
                    fields["Content-Range"] = f"bytes {first}-{last}/{st.st_size}"
            fields["Content-Length"] = str(length)
            self._head(status, fields)
            if send_body:
                f.seek(first)
                if _copy(f, self.wfile, length) < length:
                    self.close_connection = True  # the file shrank: fewer bytes than promised, end the exchange

    def _range(self, etag: str, size: int) -> tuple[int, int] | None:
        """The one byte range a GET asks for and may have, or None for the whole file."""
        if not ranges.if_range_holds(self.headers.get("If-Range"), etag):
            return None
        return ranges.byte_range(self.headers.get("Range"), size)



    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is None:
            return False
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError, IndexError):
            return False
        return since is not None and since.tzinfo is not None and mtime <= since.timestamp()

    # -- writing -----------------------------------------------------------------------
    def _head(self, status: int, fields: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in fields.items():
            problem = header_problem(value)
            if problem:  # from a hand-edited manifest or sidecar: never split into two headers
                log.warning("%s: not sent: its value %s (fix the manifest or header sidecar)", name, problem)
                continue
            self.send_header(name, value)
        self.end_headers()

    def _bytes(self, body: bytes, content_type: str, send_body: bool, fields: dict | None = None) -> None:
        fields = dict(fields or {"Cache-Control": "no-cache"})
        fields.update({"Content-Type": content_type, "Content-Length": str(len(body))})
        self._head(HTTPStatus.OK, fields)
        if send_body:
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, send_body: bool, extra: dict[str, str] | None = None) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        fields = {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body)), "Cache-Control": "no-store"}
        self._head(status, {**fields, **(extra or {})})
        if send_body:
            self.wfile.write(body)

    def _events(self) -> None:
        """Server-Sent Events: `reload` or `restyle` after each rebuild, a comment line as keep-alive."""
        hub = self.server.reload_hub
        self.close_connection = True
        self._head(HTTPStatus.OK, {
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "Access-Control-Allow-Origin": "*",  # pages served by the app's own server listen too
        })
        seen = hub.generation
        try:
            self.wfile.write(b": connected\n\n")
            self.wfile.flush()
            while (news := hub.wait(seen, livereload.KEEPALIVE)) is not None:
                generation, (event, data) = news
                message = f"event: {event}\ndata: {data}\n\n" if generation != seen else ": keep-alive\n\n"
                seen = generation
                self.wfile.write(message.encode())
                self.wfile.flush()
        except OSError:  # the browser went away
            pass


def _copy(src: BinaryIO, dst: BinaryIO, size: int) -> int:
    """At most `size` bytes (the Content-Length sent), even if someone appends meanwhile;
    how many were sent (fewer if the file shrank or the client went away)."""
    sent = 0
    try:
        while sent < size and (chunk := src.read(min(size - sent, 256 * 1024))):
            dst.write(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):  # the client stopped reading; nothing to report
        pass
    return sent
