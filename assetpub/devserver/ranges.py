"""Byte ranges (RFC 9110 §14) for the development server: one range of an identity
response, as Safari needs to play a video and browsers use to resume a download.

A Range header the server cannot or need not honour is ignored (the whole file, 200), as
RFC 9110 §14.2 allows: another unit, bad syntax, several ranges, or an If-Range that no
longer matches. A range that starts past the end is 416."""

from __future__ import annotations

import re

_ONE_RANGE = re.compile(r"bytes=[ \t]*(\d*)-(\d*)[ \t]*")


class Unsatisfiable(Exception):
    """416: the one range asked for starts past the end of the file."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive, for a Range header; None to send the whole file."""
    if header is None:
        return None
    m = _ONE_RANGE.fullmatch(header.strip())
    if m is None or not (m.group(1) or m.group(2)):
        return None  # another unit, bad syntax, or several ranges: the whole file
    first, last = m.group(1), m.group(2)
    if not first:  # a suffix: the last N bytes
        n = int(last)
        if n == 0:
            raise Unsatisfiable
        if size == 0:
            return None  # satisfiable, but no 206 can say "bytes 0--1": the whole (empty) file
        return max(size - n, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # invalid: ignore it
    if start >= size:
        raise Unsatisfiable
    return start, end


def if_range_holds(if_range: str | None, etag: str) -> bool:
    """Whether the Range applies: no If-Range, or the current representation's strong ETag.

    A date never matches (RFC 9110 §13.1.5 allows a date only when it is a strong
    validator): Last-Modified has one-second resolution, and a file rewritten within the
    second a client fetched it keeps the same date, so the client would get a range of
    other bytes. Without a match the whole file is sent (200), which is always right;
    browsers send the ETag anyway."""
    if if_range is None:
        return True
    return if_range.strip() == etag  # strong comparison: a weak tag or a date never matches
