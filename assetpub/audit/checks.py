"""The checks, as pure functions of a manifest entry and the responses seen.

Every check returns a Check with the evidence: what the manifest intends
(`expected`) and the header value or status actually served (`seen`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..digest import integrity
from ..manifest import Entry
from .body import decode
from .fetch import Response

PASS, FAIL, SKIP = "pass", "fail", "skip"
# the order of columns in the table and of checks in --json
NAMES = ("status", "content-type", "integrity", "cache-control", "compression", "vary", "identity",
         "validators", "conditional", "last-modified-stable")


@dataclass(frozen=True)
class Check:
    name: str
    result: str  # pass | fail | skip
    expected: str | None = None
    seen: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


def served_integrity(response: Response) -> str:
    """SRI of the decoded body (computed while it streamed, or from a body the caller holds);
    ValueError when it did not decode."""
    if response.decode_error:
        raise ValueError(response.decode_error)
    if response.integrity is not None:
        return response.integrity
    return integrity(decode(response.body, response.header("content-encoding")))


def sent_integrity(response: Response) -> str:
    """SRI of the bytes as sent."""
    return response.sent_integrity if response.sent_integrity is not None else integrity(response.body)


def status(primary: Response) -> Check:
    if primary.status is None:
        return Check("status", FAIL, "200", None, primary.error or "no response")
    note = f"Location: {primary.header('location')}" if primary.header("location") else ""
    if primary.truncated:
        return Check("status", FAIL, "200", str(primary.status), "body larger than the audit reads")
    return Check("status", PASS if primary.status == 200 else FAIL, "200", str(primary.status), note)


def content_type(entry: Entry, primary: Response) -> Check:
    want, seen = entry.content_type, primary.header("content-type")
    if not want:
        return Check("content-type", SKIP, None, seen, "the manifest names no content type")
    ok = seen is not None and _media(seen) == _media(want)
    return Check("content-type", PASS if ok else FAIL, want, seen, "" if ok or seen else "missing")


def body_integrity(entry: Entry, primary: Response) -> Check:
    want = entry.integrity
    try:
        got = served_integrity(primary)
    except ValueError as e:
        return Check("integrity", FAIL, want, None, str(e))
    return Check("integrity", PASS if got == want else FAIL, want, got,
                 "" if got == want else "served bytes differ from the build")


def cache_control(entry: Entry, primary: Response) -> Check:
    want, seen = entry.cache_control, primary.header("cache-control")
    if seen is None:
        return Check("cache-control", FAIL, want, None, "dropped: no Cache-Control header")
    ok = _directives(seen) == _directives(want or "")
    return Check("cache-control", PASS if ok else FAIL, want, seen, "" if ok else "rewritten: differs from the manifest")


def compression(entry: Entry, primary: Response) -> Check:
    """With Accept-Encoding: br, gzip, a file with variants comes back compressed, br where a br variant exists."""
    variants = set(entry.encodings)
    seen = primary.header("content-encoding")
    if not variants:
        return Check("compression", SKIP, None, seen, "no precompressed variant in the manifest")
    want = "br" if "br" in variants else "gzip"
    # without a br variant, a CDN's own brotli of the identity file is as good as the .gz
    ok = (seen or "").strip().lower() in ((want,) if want == "br" else ("gzip", "br"))
    note = "" if ok else ("served uncompressed" if not seen else f"{want} variant exists")
    return Check("compression", PASS if ok else FAIL, want, seen or "identity", note)


def vary(entry: Entry, primary: Response) -> Check:
    """A response that depends on Accept-Encoding says so, or caches hand gzip to clients that cannot read it."""
    seen = primary.header("vary")
    if not entry.encodings and not primary.header("content-encoding"):
        return Check("vary", SKIP, None, seen, "does not vary by encoding")
    fields = {f.strip().lower() for f in (seen or "").split(",")}
    ok = "accept-encoding" in fields or "*" in fields
    return Check("vary", PASS if ok else FAIL, "Accept-Encoding", seen, "" if ok else "missing Accept-Encoding")


def identity(entry: Entry, response: Response | None) -> Check:
    """With Accept-Encoding: identity the body is the uncompressed file (catches objects stored gzip-only)."""
    if response is None:
        return Check("identity", SKIP, None, None, "not a compressible type")
    if response.status != 200:
        return Check("identity", FAIL, "200 identity", str(response.status), response.error or "")
    seen = response.header("content-encoding")
    if seen and seen.strip().lower() != "identity":
        return Check("identity", FAIL, "identity", seen, "compressed body sent to a client that accepts none")
    ok = sent_integrity(response) == entry.integrity
    return Check("identity", PASS if ok else FAIL, "identity", seen or "identity", "" if ok else "body differs from the build")


def validators(primary: Response) -> Check:
    etag, modified = primary.header("etag"), primary.header("last-modified")
    seen = "; ".join(f"{k}: {v}" for k, v in (("ETag", etag), ("Last-Modified", modified)) if v) or None
    return Check("validators", PASS if seen else FAIL, "ETag or Last-Modified", seen, "" if seen else "none sent")


def conditional(response: Response | None) -> Check:
    if response is None:
        return Check("conditional", SKIP, None, None, "no validators to send")
    sent = "; ".join(f"{k}: {v}" for k, v in response.sent.items() if k.startswith("If-"))
    seen = str(response.status) if response.status is not None else None
    ok = response.status == 304
    detail = sent if ok else f"sent {sent}; {response.error or ''}".rstrip("; ")
    return Check("conditional", PASS if ok else FAIL, "304", seen, detail)


def last_modified_stable(entry: Entry, primary: Response, previous: Mapping[str, Any] | None) -> Check:
    """Compared with an earlier audit's report: unchanged bytes must keep their Last-Modified."""
    now = primary.header("last-modified")
    if not previous or not previous.get("last_modified"):
        return Check("last-modified-stable", SKIP, None, now, "no earlier audit of this file to compare with")
    if previous.get("integrity") != entry.integrity:
        return Check("last-modified-stable", SKIP, previous["last_modified"], now, "file changed since the earlier audit")
    ok = now == previous["last_modified"]
    return Check("last-modified-stable", PASS if ok else FAIL, previous["last_modified"], now,
                 "" if ok else "changed although the bytes did not: conditional requests stop answering 304")


def _media(value: str) -> str:
    """'text/css;Charset=UTF-8' == 'text/css; charset=utf-8'."""
    parts = [p.strip().lower().replace(" ", "").replace('"', "") for p in value.split(";") if p.strip()]
    return "; ".join(parts[:1] + sorted(parts[1:]))


def _directives(value: str) -> frozenset[str]:
    return frozenset(d.strip().lower().replace(" ", "") for d in value.split(",") if d.strip())
