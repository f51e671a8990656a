"""Globs over logical names (POSIX paths), with the rules of `.gitignore` (`git help
gitignore`, PATTERN FORMAT), checked against git itself by tests/build/test_globs.py:

- A pattern without a slash (a trailing one aside) matches a name at any depth
  (`*.html` matches `pages/about.html`); one with a slash at its start or in its middle
  is anchored at the root (`/robots.txt`, `.well-known/**`).
- `*` and `?` and `[…]` (ranges, `[!…]` or `[^…]` to negate; unclosed, the pattern
  matches nothing) stay inside one segment;
  `**/` at the start, `/**/` inside and `/**` at the end cross segments; `\\` escapes.
- A trailing `/` matches directories only: everything below them.
- In a list, the last pattern that matches decides, and `!pattern` re-includes what an
  earlier pattern matched, except below a directory that is itself matched: as in git,
  a file cannot be re-included once its parent directory is excluded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Iterable


@dataclass(frozen=True)
class Glob:
    regex: re.Pattern[str]
    negated: bool = False
    directories_only: bool = False


@cache
def compile_glob(pattern: str) -> Glob | None:
    """One pattern; None for a pattern that matches nothing (blank, or a `#` comment)."""
    text = _strip_trailing_spaces(pattern)
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    elif text.startswith(("\\!", "\\#")):
        text = text[1:]
    directories_only = text.endswith("/") and not text.endswith("\\/")
    text = text.rstrip("/") if directories_only else text
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    body = _translate(text)
    return Glob(re.compile(body if anchored else f"(?:.*/)?{body}", re.S), negated, directories_only)


def matches(name: str, patterns: Iterable[str]) -> bool:
    """True when the logical name (a file) is matched by the list `patterns`, as git
    decides whether a .gitignore with these lines ignores it."""
    globs = _compiled(tuple(patterns))
    if not globs:
        return False
    parts = name.split("/")
    for depth in range(1, len(parts)):  # an excluded directory excludes all below it
        if _decide(globs, "/".join(parts[:depth]), directory=True):
            return True
    return _decide(globs, name, directory=False)


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[Glob, ...]:
    return tuple(g for p in patterns if (g := compile_glob(p)) is not None)


def _decide(globs: tuple[Glob, ...], path: str, *, directory: bool) -> bool:
    matched = False
    for glob in globs:
        if (directory or not glob.directories_only) and glob.regex.fullmatch(path):
            matched = not glob.negated
    return matched


def _strip_trailing_spaces(pattern: str) -> str:
    """Trailing spaces are ignored unless escaped with a backslash."""
    end = len(pattern)
    while end and pattern[end - 1] == " " and not (end >= 2 and pattern[end - 2] == "\\"):
        end -= 1
    return pattern[:end]


def _translate(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "*" and text.startswith("**", i) and (i == 0 or text[i - 1] == "/") and (i + 2 == n or text[i + 2] == "/"):
            # `**` as a whole segment: `**/x` any leading directories, `x/**` all below, `a/**/b` zero or more
            if i + 2 == n:
                out.append(".*")
                i += 2
            else:
                out.append("(?:.*/)?")
                i += 3
        elif c == "*":
            while i < n and text[i] == "*":  # other runs of asterisks are one `*`
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls, i = _bracket(text, i)
            if cls is None:
                return "(?!)"  # as git: a pattern with an unclosed `[` matches nothing
            out.append(cls)
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(text[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _bracket(text: str, start: int) -> tuple[str | None, int]:
    """`[…]` at text[start] -> (regex class, index after it); None for an unclosed `[`."""
    i = start + 1
    negate = i < len(text) and text[i] in "!^"
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while i < len(text):
        c = text[i]
        if c == "]" and not first:
            body = "".join(items)
            return (f"[^/{body}]" if negate else f"(?!/)[{body}]"), i + 1
        if c == "\\" and i + 1 < len(text):
            items.append(re.escape(text[i + 1]))
            i += 2
        elif c == "-" and items and i + 1 < len(text) and text[i + 1] != "]":
            items.append("-")
            i += 1
        else:
            items.append(re.escape(c) if c not in "-" else "\\-")
            i += 1
        first = False
    return None, len(text)
