"""How a value from the filesystem or a manifest is embedded in generated code (the
CloudFront function, the nginx config): in a comment, as printable text only.

A line terminator in a directory name or a base URL would end the comment and turn the
rest of the value into code that runs (JavaScript) or a directive (nginx). Strings and
nginx values are quoted by their own generators (json.dumps, nginx._quoted)."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the JavaScript line terminators U+2028/U+2029, and the backslash
# (so an escape written here is never mistaken for one that was in the value)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]")


def printable(value: object) -> str:
    """`value` as one line of printable text: every character that could end a comment or
    a line is written as a Python-style escape (\\n, \\x1b, \\u2028)."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(value))
