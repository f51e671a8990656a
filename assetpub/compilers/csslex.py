"""A CSS tokenizer after CSS Syntax Level 3: the one behind the reference scanner and the
minifier's check.

`tokens(text)` yields `(kind, start, end)`; `kind` is one of comment, ws, str, url (an
unquoted `url(…)` whole), function (`name(`, a quoted `url(` included), at (`@name`), hash,
num (numbers, percentages and dimensions), ident, punct (`{ } ( ) [ ] ; : ,`), cdo, cdc,
delim (any other character) and error (an unterminated string, a bad url()).

One compiled pattern per token and no backtracking that grows with the input: a bad url()
is resolved by hand rather than by a pattern that retries every split of its white space.
"""

from __future__ import annotations

import re
from typing import Iterator

_ESCAPE = r"\\(?:[0-9a-fA-F]{1,6}\s?|[^\n0-9a-fA-F])"
_NAME_CHARS = rf"(?:[\w-]+|[^\x00-\x7f]+|{_ESCAPE})"
_IDENT = rf"(?:--|-?(?:[a-zA-Z_]|[^\x00-\x7f]|{_ESCAPE})){_NAME_CHARS}*"
# the commonest tokens first; `-->` before identifiers (`--` starts one), numbers before `-`
_MAIN = re.compile(
    rf"""
      (?P<ws>\s+)
    | (?P<cdc>-->)
    | (?P<ident>{_IDENT})
    | (?P<punct>[{{}}()\[\];:,])
    | (?P<num>[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?(?:%|{_IDENT})?)
    | (?P<str>"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"|'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*')
    | (?P<error>["'][^\n]*)
    | (?P<comment>/\*[\s\S]*?(?:\*/|\Z))
    | (?P<at>@{_IDENT})
    | (?P<hash>\#{_NAME_CHARS}+)
    | (?P<cdo><!--)
    | (?P<delim>[\s\S])
    """,
    re.X,
)
_WS = re.compile(r"\s*")
_URL_BODY = re.compile(rf"(?:[^\"'()\\\s]+|{_ESCAPE})*")
_BAD_URL_REST = re.compile(r"(?:[^)\\]+|\\[\s\S])*\)?")


def tokens(text: str) -> Iterator[tuple[str, int, int]]:
    n = len(text)
    pos = 0
    main = _MAIN.match
    while pos < n:
        m = main(text, pos)
        kind = m.lastgroup
        end = m.end()
        if kind == "ident" and end < n and text[end] == "(":
            kind = "function"
            end += 1
            if end - pos == 4 and text[pos:end].lower() == "url(":
                kind, end = _url(text, end)
        yield (kind, pos, end)
        pos = end


def _url(text: str, pos: int) -> tuple[str, int]:
    """After `url(`: a quoted url is a function and its string; an unquoted one is one
    token to its `)`."""
    body = _WS.match(text, pos).end()
    if body < len(text) and text[body] in "\"'":
        return "function", pos
    after = _WS.match(text, _URL_BODY.match(text, body).end()).end()
    if after < len(text) and text[after] == ")":
        return "url", after + 1
    return "error", _BAD_URL_REST.match(text, after).end()


def url_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The url inside an unquoted `url( … )` token: white space aside."""
    body = _WS.match(text, start + 4).end()
    stop = end - 1
    while stop > body and text[stop - 1].isspace():
        stop -= 1
    return body, stop
