"""A response body as the audit reads it: a stream, hashed as it arrives (the bytes as
sent and the bytes once decoded), decoded incrementally with a cap on the decoded size,
never held whole. A hostile or broken server chooses the body; it cannot choose how much
memory or time the audit spends on it.

Bounds, per response: MAX_BODY bytes read, MAX_DECODED bytes decoded (a 1 MB gzip bomb
that expands to 1 GiB stops at the cap), and the decoders' own state (zlib: 32 KiB;
brotli: its window, at most 16 MiB), read in CHUNK pieces. Only a body the caller keeps
(the manifest) is stored, up to MAX_DECODED.
"""

from __future__ import annotations

import hashlib
import zlib
from base64 import b64encode
from dataclasses import dataclass
from typing import Callable, Iterator

import brotli

MAX_BODY = 64 * 1024 * 1024  # bytes read per response at most; larger bodies are reported truncated
MAX_DECODED = 64 * 1024 * 1024  # bytes a body may decode to; more is an error, not a gigabyte in memory
CHUNK = 64 * 1024


class _Zlib:
    def __init__(self, coding: str, wbits: int):
        self.coding, self.wbits = coding, wbits
        self.d = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            out = self.d.decompress(data, CHUNK)
            data = self.d.unconsumed_tail
            if out:
                yield out
            if self.d.eof:
                rest = self.d.unused_data
                if rest and self.wbits > 15:  # gzip: another member follows (RFC 1952)
                    self.d = zlib.decompressobj(self.wbits)
                    data = rest
                elif rest.strip(b"\0"):
                    raise zlib.error("trailing data after the end of the stream")

    def finish(self) -> Iterator[bytes]:
        out = self.d.flush()
        if out:
            yield out
        if not self.d.eof:
            raise EOFError("compressed data ended before the end-of-stream marker")


class _Brotli:
    coding = "br"

    def __init__(self) -> None:
        self.d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self.d.process(data, output_buffer_limit=CHUNK)
        if out:
            yield out
        while not self.d.can_accept_more_data():
            out = self.d.process(b"", output_buffer_limit=CHUNK)
            if not out:
                break
            yield out

    def finish(self) -> Iterator[bytes]:
        if not self.d.is_finished():
            raise EOFError("compressed data ended before the end of the stream")
        return iter(())


def _stage(coding: str):
    if coding == "br":
        return _Brotli()
    if coding in ("gzip", "x-gzip"):
        return _Zlib(coding, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _Zlib(coding, zlib.MAX_WBITS)
    raise ValueError(f"unknown content coding {coding!r}")


class Decoder:
    """Undoes a Content-Encoding chain piece by piece; `sink` receives the identity bytes.
    Raises ValueError (naming the coding) for a body that does not decode or decodes to
    more than `limit` bytes."""

    def __init__(self, encoding: str | None, sink: Callable[[bytes], None], *, limit: int = MAX_DECODED):
        codings = [c.strip().lower() for c in (encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        self.stages = [_stage(c) for c in reversed(codings)]  # applied in order listed: undone from the last
        self.sink, self.limit, self.size = sink, limit, 0

    def feed(self, data: bytes) -> None:
        self._push(0, data)

    def finish(self) -> None:
        for index, stage in enumerate(self.stages):
            for piece in self._guard(stage, stage.finish):
                self._push(index + 1, piece)

    def _push(self, index: int, data: bytes) -> None:
        if index == len(self.stages):
            self.size += len(data)
            if self.size > self.limit:
                raise ValueError(f"body decodes to more than {self.limit} bytes (the audit's limit)")
            self.sink(data)
            return
        stage = self.stages[index]
        for piece in self._guard(stage, lambda: stage.feed(data)):
            self._push(index + 1, piece)

    @staticmethod
    def _guard(stage, pieces) -> Iterator[bytes]:
        try:
            yield from pieces()
        except (OSError, zlib.error, brotli.error, EOFError) as e:
            raise ValueError(f"body does not decode as {stage.coding}: {e}") from None


def decode(body: bytes, encoding: str | None, *, limit: int = MAX_DECODED) -> bytes:
    """The identity bytes of a body sent with this Content-Encoding; ValueError if it cannot
    be decoded or would decode to more than `limit` bytes."""
    out = bytearray()
    decoder = Decoder(encoding, out.extend, limit=limit)
    for start in range(0, len(body), CHUNK):
        decoder.feed(body[start : start + CHUNK])
    decoder.finish()
    return bytes(out)


@dataclass(frozen=True)
class Digest:
    """What the checks need of a body, computed while it streamed past."""

    size: int  # bytes as sent
    sent_integrity: str  # SRI of the bytes as sent
    integrity: str | None  # SRI of the decoded bytes; None when they could not be decoded
    decode_error: str | None
    body: bytes  # the decoded bytes, only when kept


class BodyReader:
    """Feed it the body's chunks as they arrive; `result()` gives the Digest."""

    def __init__(self, encoding: str | None, *, keep: bool = False):
        self.sent, self.decoded = hashlib.sha384(), hashlib.sha384()
        self.size = 0
        self.kept = bytearray() if keep else None
        self.error: str | None = None
        try:
            self.decoder: Decoder | None = Decoder(encoding, self._decoded)
        except ValueError as e:
            self.decoder, self.error = None, str(e)

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.sent.update(chunk)
        if self.decoder is not None:
            try:
                self.decoder.feed(chunk)
            except ValueError as e:
                self.decoder, self.error = None, str(e)

    @property
    def failed(self) -> bool:
        """Decoding failed: the rest of the body need not be read."""
        return self.error is not None

    def result(self) -> Digest:
        if self.decoder is not None:
            try:
                self.decoder.finish()
            except ValueError as e:
                self.error = str(e)
        return Digest(
            size=self.size,
            sent_integrity=_sri(self.sent),
            integrity=None if self.error else _sri(self.decoded),
            decode_error=self.error,
            body=bytes(self.kept) if self.kept is not None and not self.error else b"",
        )

    def _decoded(self, data: bytes) -> None:
        self.decoded.update(data)
        if self.kept is not None:
            self.kept.extend(data)


def _sri(h) -> str:
    return "sha384-" + b64encode(h.digest()).decode("ascii")
