"""Reference scanners: each finds the references of one kind of file as spans of its text.

A compiler is a function `references(text) -> (refs, notes)`. Rewriting is shared:
`rewrite(text, edits)` applies (start, end, replacement) edits right to left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator


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


def in_order(kind: str, text: str) -> tuple[Iterator[Ref], list[Note]]:
    """(references in the order of their offsets, notes): for CSS one at a time, so that
    a generated stylesheet's millions of references are never all held (its scanner
    raises LexError while they are read); the others' come as a sorted list."""
    from . import css

    if kind == "css":
        return css.in_order(text), []
    scanner = scanner_for(kind)
    if scanner is None:
        return iter(()), []
    refs, notes = scanner(text)
    return iter(sorted(refs, key=lambda r: r.start)), notes


def rewrite(text: str, edits: Iterable[tuple[int, int, str]], *, ordered: bool = False) -> str:
    """The text with each (start, end, replacement) applied; the pieces are joined a
    thousand at a time, so that millions of edits never hold millions of small strings.
    `ordered`: the edits come in order already (an iterator, never held whole)."""
    chunks: list[str] = []
    parts: list[str] = []
    last = 0
    for start, end, replacement in edits if ordered else sorted(edits):
        if ordered and start < last:  # an iterator out of order: never a garbled output
            raise ValueError(f"edit at {start} overlaps the one before, which ends at {last}")
        parts.append(text[last:start])
        parts.append(replacement)
        last = end
        if len(parts) >= 2000:
            chunks.append("".join(parts))
            parts.clear()
    parts.append(text[last:])
    chunks.append("".join(parts))
    return "".join(chunks)
