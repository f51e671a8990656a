"""CSS references: url() in all its forms, @import with a string, image-set() strings,
and a trailing `/*# sourceMappingURL=… */`. Comments and ordinary strings are skipped,
so `/* url(x.png) */` and `content: "url(x.png)"` are not references.

The text is tokenized by csslex (the tokenizer the minifier's check uses too); functions
are tracked on an explicit stack, so nesting costs no recursion. Nesting deeper than
MAX_DEPTH is an error (the file cannot mean anything sensible)."""

from __future__ import annotations

import re

from . import Note, Ref
from .csslex import tokens, url_span
from .jslex import LexError

MAX_DEPTH = 1000

# Case-sensitive on purpose: browsers ignore `sOuRcEMaPpInGURL`.
_SOURCE_MAP = re.compile(r"/\*[#@][ \t]+sourceMappingURL=([^\s*]+)\s*\*/\Z")
_IMAGE_SET = ("image-set(", "-webkit-image-set(")


def references(text: str) -> tuple[list[Ref], list[Note]]:
    refs: list[Ref] = []
    lower = text.lower()
    if "url" not in lower and "@import" not in lower and "image-set" not in lower and "sourceMappingURL" not in text:
        return refs, []
    functions: list[str] = []  # the open functions and parens, innermost last
    after: str = ""  # the previous token that was not white space or a comment
    for kind, start, end in tokens(text):
        if kind == "ws":
            continue
        if kind == "comment":
            sm = _SOURCE_MAP.match(text, start, end)
            if sm and not text[end:].strip():
                refs.append(Ref(sm.group(1), sm.start(1), sm.end(1), "sourcemap", (start, end)))
            continue
        if kind == "url":
            body, stop = url_span(text, start, end)
            refs.append(Ref(text[body:stop], body, stop))
        elif kind == "str":
            if after == "url(" or after == "@import":
                refs.append(Ref(text[start + 1 : end - 1], start + 1, end - 1, "import" if after == "@import" else "url"))
            elif functions and functions[-1] in _IMAGE_SET:
                # strings given directly to image-set(), not inside type("image/avif")
                refs.append(Ref(text[start + 1 : end - 1], start + 1, end - 1))
        elif kind == "function" or (kind == "punct" and text[start] in "(["):
            functions.append(text[start:end].lower())
            if len(functions) > MAX_DEPTH:
                raise LexError(start, f"functions nested more than {MAX_DEPTH} levels deep")
        elif kind == "punct" and text[start] in ")]" and functions:
            functions.pop()
        after = text[start:end].lower() if kind in ("function", "at") else ""
    return refs, []
