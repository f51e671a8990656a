"""Reference scanners: each finds the references of one kind of file as spans of its text.

A compiler is a function `references(text) -> (refs, notes)`. Rewriting is shared:
`rewrite(text, edits)` applies (start, end, replacement) edits right to left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable


@dataclass(frozen=True, slots=True)  # a generated file can hold millions
class Ref:
    """A reference inside a text file.

    `url` is the text as written; `start:end` its span in the file. `kind` is
    'url', 'import' (CSS @import), 'module' (JS import/export specifier),
    'navigation' (HTML <a href>) or 'sourcemap'. For a source map, `comment` is the span of the
    whole comment, removed when the map does not exist.
    """

    url: str
    start: int
    end: int
    kind: str = "url"
    comment: tuple[int, int] | None = None


@dataclass(frozen=True)
class Note:
    """Something worth a warning that is not a reference (e.g. a computed import())."""

    pos: int
    message: str


# Part of every fingerprint (the builder's pipeline id): bump it whenever scanning,
# rewriting or minifying changes the bytes produced from the same sources, so that
# earlier caches are discarded and changed outputs get new names.
REVISION = 8

Scanner = Callable[[str], "tuple[list[Ref], list[Note]]"]


def scanner_for(kind: str) -> Scanner | None:
    from . import css, html, js

    return {"css": css.references, "js": js.references, "html": html.references}.get(kind)


def rewrite(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """The text with each (start, end, replacement) applied; the pieces are joined a
    thousand at a time, so that millions of edits never hold millions of small strings."""
    chunks: list[str] = []
    parts: list[str] = []
    last = 0
    for start, end, replacement in sorted(edits):
        parts.append(text[last:start])
        parts.append(replacement)
        last = end
        if len(parts) >= 2000:
            chunks.append("".join(parts))
            parts.clear()
    parts.append(text[last:])
    chunks.append("".join(parts))
    return "".join(chunks)
