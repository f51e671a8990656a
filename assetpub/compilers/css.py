"""CSS references: url() in all its forms, @import with a string, image-set() strings,
and a trailing `/*# sourceMappingURL=… */`. Comments and ordinary strings are skipped,
so `/* url(x.png) */` and `content: "url(x.png)"` are not references.

The text is tokenized by csslex (the tokenizer the minifier's check uses too); functions
are tracked on an explicit stack, so nesting costs no recursion. Nesting deeper than
MAX_DEPTH is an error (the file cannot mean anything sensible)."""

from __future__ import annotations

import re
from typing import Iterator

from . import Note, Ref
from .csslex import SPACE as _SPACE
from .csslex import is_error, is_function, texts, url_span
from .jslex import LexError

MAX_DEPTH = 1000

# Case-sensitive on purpose: browsers ignore `sOuRcEMaPpInGURL`.
_SOURCE_MAP = re.compile(r"/\*[#@][ \t]+sourceMappingURL=([^\s*]+)\s*\*/\Z")
_IMAGE_SET = ("image-set(", "-webkit-image-set(")
# a text without any of these holds no reference (`sourceMappingURL` has `url` in it)
_ANY = re.compile(r"url|@import|image-set", re.IGNORECASE)


def references(text: str) -> tuple[list[Ref], list[Note]]:
    return list(in_order(text)), []


def in_order(text: str) -> Iterator[Ref]:
    """The references one at a time, in the order of their offsets: a huge stylesheet's
    millions of references need never be held at once (pipeline.scan, pipeline.produce)."""
    if _ANY.search(text) is None:  # (no lowered copy: a huge text would be held twice)
        return
    functions: list[str] = []  # the open functions and parens, innermost last
    after: str = ""  # the previous token that was not white space or a comment
    urls: dict[str, str] = {}  # one string per url, however often it is written
    end = 0
    for value in texts(text):
        start = end
        end += len(value)
        first = value[0]
        if first in _SPACE:
            continue
        if first == "/" and value[1:2] == "*":  # a comment
            sm = _SOURCE_MAP.match(text, start, end)
            if sm and not text[end:].strip():
                yield Ref(sm.group(1), sm.start(1), sm.end(1), "sourcemap", (start, end))
            continue
        if first in "\"'uU":
            if is_error(value, text, end):  # an unterminated string, a bad url()
                after = ""
                continue
            if first == '"' or first == "'":
                if after == "url(" or after == "@import":
                    url = urls.setdefault(value[1:-1], value[1:-1])
                    yield Ref(url, start + 1, end - 1, "import" if after == "@import" else "url")
                elif functions and functions[-1] in _IMAGE_SET:
                    # strings given directly to image-set(), not inside type("image/avif")
                    yield Ref(urls.setdefault(value[1:-1], value[1:-1]), start + 1, end - 1)
                after = ""
                continue
            if len(value) > 4 and value[-1] == ")" and value[:4].lower() == "url(":  # an unquoted url()
                body, stop = url_span(text, start, end)
                url = text[body:stop]
                yield Ref(urls.setdefault(url, url), body, stop)
                after = ""
                continue
        if value == "(" or value == "[" or (value[-1] == "(" and is_function(value)):
            functions.append(value.lower())
            if len(functions) > MAX_DEPTH:
                raise LexError(start, f"functions nested more than {MAX_DEPTH} levels deep")
            after = functions[-1] if len(value) > 1 else ""
        elif value == ")" or value == "]":
            if functions:
                functions.pop()
            after = ""
        else:  # `@import` (or a lone `@`, which matches nothing)
            after = value.lower() if first == "@" else ""
