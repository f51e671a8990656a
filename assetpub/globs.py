"""Gitignore-style globs over logical names (POSIX paths).

A pattern without a slash matches the last path segment at any depth (`*.html`
matches `pages/about.html`); a pattern with a slash is anchored at the root
(`.well-known/**`). `*` and `?` stay inside one segment, `**` crosses them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Iterable


@cache
def compile_glob(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"{prefix}{body}(?:/.*)?", re.S)


def matches(name: str, patterns: Iterable[str]) -> bool:
    """True when the logical name (or one of its parent directories) matches any pattern."""
    return any(compile_glob(p).fullmatch(name) for p in patterns)
