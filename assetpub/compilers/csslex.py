"""A CSS tokenizer after CSS Syntax Level 3: the one behind the reference scanner and the
minifier's check.

`texts(text)` is the texts of the tokens, white space and comments included, split by
one compiled pattern with `findall` (at C speed, a window at a time); the scanner and
the check tell kinds only where they need them (`is_error`, `is_function`, `is_ident`,
`SPACE`). `tokens(text)` yields `(kind, start, end)`; `kind` is one of comment, ws, str,
url (an unquoted `url(…)` whole), function (`name(`, a quoted `url(` included), at
(`@name`), hash, num (numbers, percentages and dimensions), ident, punct
(`{ } ( ) [ ] ; : ,`), cdo, cdc, delim (any other character) and error (an unterminated
string, a bad url()).

No backtracking that grows with the input: an unquoted url() is matched so that its
white space and its body never share a character, and a bad one runs to its `)`.
"""

from __future__ import annotations

import re
from typing import Iterator

_ESCAPE = r"\\(?:[0-9a-fA-F]{1,6}\s?|[^\n0-9a-fA-F])"
_NAME_CHARS = rf"(?:[\w-]+|[^\x00-\x7f]+|{_ESCAPE})"
_IDENT = rf"(?:--|-?(?:[a-zA-Z_]|[^\x00-\x7f]|{_ESCAPE})){_NAME_CHARS}*"
_STR = r""""[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"|'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'"""
_URL = r"[uU][rR][lL]\("
# Every kind of token, in the order they are tried: the commonest first; `-->` before
# identifiers (`--` starts one), numbers before `-`. A `url(` is one of three: followed by
# a quote, the function; else a whole `url( … )` token; else a bad url, to its `)`. The
# unquoted form cannot backtrack more than linearly on a bad url: white space must end
# before its body (`(?!\s)`), and body and white space never share a character.
_KINDS = (
    ("ws", r"\s+"),
    ("cdc", r"-->"),
    ("function", rf"{_URL}(?=\s*[\"'])"),
    ("url", rf"{_URL}\s*(?!\s)(?:[^\"'()\\\s]|{_ESCAPE})*\s*\)"),
    ("error", rf"{_URL}(?:[^)\\]+|\\[\s\S])*\)?"),
    ("ident", rf"{_IDENT}\(?"),  # a function when the `(` is there
    ("punct", r"[{}()\[\];:,]"),
    ("num", rf"[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?(?:%|{_IDENT})?"),
    ("str", _STR),
    ("error", r"""["'][^\n]*"""),
    ("comment", r"/\*[\s\S]*?(?:\*/|\Z)"),
    ("at", rf"@{_IDENT}"),
    ("hash", rf"\#{_NAME_CHARS}+"),
    ("cdo", r"<!--"),
    ("delim", r"[\s\S]"),
)
# the same alternatives: one to split a text into its tokens' texts at C speed, one
# (named groups) to tell their kinds
_TEXTS = re.compile("|".join(pattern for _, pattern in _KINDS))
_NAMED = re.compile("|".join(f"(?P<k{i}>{pattern})" for i, (_, pattern) in enumerate(_KINDS)))
_KIND_OF = {f"k{i}": kind for i, (kind, _) in enumerate(_KINDS)}
_STR_WHOLE = re.compile(_STR)
_URL_WHOLE = re.compile(_KINDS[3][1])
_STR_OPEN = re.compile(r""""(?:[^"\\\n]|\\[\s\S])*|'(?:[^'\\\n]|\\[\s\S])*""")  # a string's text before its closing quote
_IDENT_GREEDY = re.compile(_IDENT)
_WS = re.compile(r"\s*")
# the characters that start a white space token (Python's \s)
SPACE = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    map(chr, range(0x2000, 0x200B))
)
_QUOTE_NEXT = re.compile(r"\s*[\"']")


WINDOW = 1 << 16
# How far before a window's end a token split there can end wrongly: a token cut by the
# end can fall back to a shorter one (`1e+5` cut after `1e+` reads `1e`, `<!-` reads `<`)
# ending at most 3 characters before it; every other pattern runs to the end.
_SLACK = 8


def texts(text: str, window: int = WINDOW) -> Iterator[str]:
    """The texts of the tokens, white space and comments included: they add up to `text`.
    Split a window at a time, so that a huge text never has all its tokens in memory at
    once: the tokens ending near a window's end are split again with the next window
    (which doubles while no token ends clear of its end)."""
    n = len(text)
    pos = 0
    findall = _TEXTS.findall
    size = window
    while pos < n:
        stop = pos + size
        if stop >= n:
            yield from findall(text, pos)
            return
        found = findall(text, pos, stop)
        k, end = len(found), stop
        while k and end > stop - _SLACK:
            k -= 1
            end -= len(found[k])
        del found[k:]
        if found and (text.find('"', pos, end) >= 0 or text.find("'", pos, end) >= 0):
            # a string cut by the window's end reads as unterminated (to its line's end, a
            # line continuation before that); from there on, nothing is known
            for i in [i for i, value in enumerate(found) if value[0] == '"' or value[0] == "'"]:
                if _STR_WHOLE.fullmatch(found[i]) is None:
                    start = pos + sum(map(len, found[:i]))
                    opened = _STR_OPEN.match(text, start, stop).end()
                    if opened == stop or text[opened] == "\\":  # (the window cut an escape)
                        del found[i:]
                        end = start
                        break
        if not found:
            size *= 2
            continue
        yield from found
        pos, size = end, window
def tokens(text: str) -> Iterator[tuple[str, int, int]]:
    pos = 0
    match = _NAMED.match
    for value in texts(text):
        end = pos + len(value)
        kind = _KIND_OF[match(text, pos).lastgroup]
        if kind == "ident" and is_function(value):
            kind = "function"
        yield (kind, pos, end)
        pos = end


def is_error(value: str, text: str, end: int) -> bool:
    """Is this token (ending at `end` in `text`) an unterminated string or a bad url()?"""
    first = value[0]
    if first == '"' or first == "'":
        return _STR_WHOLE.fullmatch(value) is None
    if first in "uU" and value[:4].lower() == "url(":
        if len(value) == 4:  # the function before a quoted url, or a bad url at the end
            return _QUOTE_NEXT.match(text, end) is None
        return _URL_WHOLE.fullmatch(value) is None
    return False


def is_ident(value: str) -> bool:
    m = _IDENT_GREEDY.match(value)
    return m is not None and m.end() == len(value)


def is_function(value: str) -> bool:
    """Is a token that is not an error a function: a name and `(` (not `(`, nor the name
    `a\\(` that ends with an escaped `(`)? The name is matched greedily, as the tokenizer
    does (a full match could backtrack exponentially)."""
    if value[-1] != "(":
        return False
    m = _IDENT_GREEDY.match(value)
    return m is not None and m.end() == len(value) - 1


def url_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The url inside an unquoted `url( … )` token: white space aside."""
    body = _WS.match(text, start + 4).end()
    stop = end - 1
    while stop > body and text[stop - 1].isspace():
        stop -= 1
    return body, stop
