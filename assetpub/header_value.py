"""The one rule for a header value, from the config or read back from a manifest, a deploy
record or a headers sidecar: printable ASCII (HTAB allowed), no CR, LF or other control
character (RFC 9110 section 5.5; S3 stores only ASCII in its headers). A value
that breaks it would split into a second header on the wire (`serve`), be stored for the
origin to send (directory publish) or be refused halfway through a publish (S3).

Config values are checked with it when the config is loaded; what is read back from
files is checked again where it becomes a header."""

from __future__ import annotations

import re

from .errors import UnsafeHeader

_BAD = re.compile(r"[^\t\x20-\x7e]")  # HTAB is allowed inside a field value


def header_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    match = _BAD.search(value)
    if match:
        kind = "control character" if match.group() < " " or match.group() == "\x7f" else "non-ASCII character"
        return f"contains the {kind} {match.group()!r}"
    return None


def check_header(value: object, *, what: str) -> str:
    """Return `value` if it can be sent as a header value; else raise UnsafeHeader naming `what`."""
    problem = header_problem(value)
    if problem:
        raise UnsafeHeader(f"{what}: header value {value!r} {problem}")
    return value  # type: ignore[return-value]
