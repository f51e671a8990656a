"""The rule for a header value that comes from a manifest, a deploy record or a headers
sidecar: printable, no CR, LF or other control character (RFC 9110 section 5.5). A value
that breaks it would split into a second header on the wire (`serve`), be stored for the
origin to send (directory publish) or be refused halfway through a publish (S3).

Config values are validated when the config is loaded; this is the second line: what is
read back from files is checked where it becomes a header."""

from __future__ import annotations

import re

from .errors import AssetpubError

_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # HTAB is allowed inside a field value


class UnsafeHeader(AssetpubError):
    """A header value with a control character."""


def header_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    match = _BAD.search(value)
    if match:
        return f"contains the control character {match.group()!r}"
    return None


def check_header(value: object, *, what: str) -> str:
    """Return `value` if it can be sent as a header value; else raise UnsafeHeader naming `what`."""
    problem = header_problem(value)
    if problem:
        raise UnsafeHeader(f"{what}: header value {value!r} {problem}")
    return value  # type: ignore[return-value]
