"""JavaScript references: ES module specifiers (`import … from`, `import "x"`,
`export … from`, `import("x")`), assets named relative to the module with
`new URL("./x.png", import.meta.url)`, and `//# sourceMappingURL=`.

The text is tokenized by jslex (the lexer the minifier's check uses too), so an `import`
inside a comment, a string, a template's text or a regex is not a reference, and the code
inside a template's `${…}` is scanned like any other. Only string-literal specifiers are
references; `import(\\`./${name}.js\\`)` is left alone with a note.

Each pattern reads a bounded run of tokens from its keyword, and scanning resumes after
what a pattern consumed: linear in the number of tokens.
"""

from __future__ import annotations

import re

from . import Note, Ref
from .jslex import tokens

_SOURCE_MAP_LINE = re.compile(r"//[#@][ \t]+sourceMappingURL=(\S+)[ \t]*\Z")
_SOURCE_MAP_BLOCK = re.compile(r"/\*[#@][ \t]+sourceMappingURL=([^\s*]+)\s*\*/\Z")
# tokens that may stand between `import`/`export {` and `from` (bindings and their lists)
_CLAUSE_PUNCT = frozenset(("{", "}", ",", "*"))
_CLAUSE_STOP = frozenset(("import", "export"))


class _Tokens:
    """The significant tokens of a text, with their texts, and its comments."""

    def __init__(self, text: str):
        self.text = text
        self.kinds: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.comments: list[tuple[int, int]] = []
        for kind, start, end in tokens(text):
            if kind == "comment":
                self.comments.append((start, end))
            elif kind != "nl":
                self.kinds.append(kind)
                self.starts.append(start)
                self.ends.append(end)
        self.n = len(self.kinds)

    def is_(self, i: int, kind: str, value: str | None = None) -> bool:
        if i >= self.n or self.kinds[i] != kind:
            return False
        return value is None or self.text[self.starts[i] : self.ends[i]] == value

    def value(self, i: int) -> str:
        return self.text[self.starts[i] : self.ends[i]]

    def keyword(self, i: int, word: str) -> bool:
        """Token i is the name `word`, not a property (`x.import`)."""
        return self.is_(i, "name", word) and not (i and self.kinds[i - 1] == "punct" and self.value(i - 1) in (".", "?."))


def references(text: str) -> tuple[list[Ref], list[Note]]:
    refs: list[Ref] = []
    notes: list[Note] = []
    if "import" not in text and "export" not in text and "sourceMappingURL" not in text:
        return refs, notes
    t = _Tokens(text)
    _source_maps(t, refs)
    i = 0
    while i < t.n:
        if t.kinds[i] != "name":
            i += 1
        elif t.keyword(i, "import"):
            i = _import(t, i, refs, notes)
        elif t.keyword(i, "export"):
            i = _export(t, i, refs)
        elif t.is_(i, "name", "URL") and i and t.keyword(i - 1, "new"):
            i = _new_url(t, i, refs)
        else:
            i += 1
    return refs, notes


def _source_maps(t: _Tokens, refs: list[Ref]) -> None:
    text = t.text
    for start, end in t.comments:
        if text.startswith("//", start):
            sm = _SOURCE_MAP_LINE.match(text, start, end)
        else:
            sm = _SOURCE_MAP_BLOCK.match(text, start, end)
            if sm and text[end:].strip():
                sm = None
        if sm:
            refs.append(Ref(sm.group(1), sm.start(1), sm.end(1), "sourcemap", (start, end)))


def _specifier(t: _Tokens, i: int, refs: list[Ref], kind: str = "module") -> bool:
    """Token i is a plain string (or a backtick string without `${}`): a reference."""
    if i < t.n and t.kinds[i] in ("str", "tpl"):
        start, end = t.starts[i] + 1, t.ends[i] - 1
        value = t.text[start:end]
        if "\\" not in value and "\n" not in value:
            refs.append(Ref(value, start, end, kind))
        return True
    return False


def _import(t: _Tokens, i: int, refs: list[Ref], notes: list[Note]) -> int:
    j = i + 1
    if t.is_(j, "punct", "("):  # import("x"), import("x", { with: … })
        if t.is_(j + 1, "tpl_head"):
            head = t.value(j + 1)
            notes.append(Note(t.starts[i], f"import() with a computed template literal {head}…}}` is left as written"))
            return j + 1
        if t.kinds[j + 1 : j + 2] in (["str"], ["tpl"]) and (t.is_(j + 2, "punct", ",") or t.is_(j + 2, "punct", ")")):
            _specifier(t, j + 1, refs)
            return j + 3
        return j + 1
    if _specifier(t, j, refs):  # import "x"
        return j + 1
    if t.is_(j, "punct", "."):  # import.meta
        return j
    return _clause_from(t, j, refs)


def _export(t: _Tokens, i: int, refs: list[Ref]) -> int:
    j = i + 1
    if t.is_(j, "punct", "*") or t.is_(j, "punct", "{"):
        return _clause_from(t, j, refs)
    return j


def _clause_from(t: _Tokens, j: int, refs: list[Ref]) -> int:
    """From the first token of an import clause (`a, { b as c }`, `* as ns`) or an export
    list: a reference when `from "x"` ends it. Returns where to resume: the clause's tokens
    (names, braces, commas, strings) hold no reference themselves."""
    while j < t.n:
        kind = t.kinds[j]
        if kind == "name":
            word = t.value(j)
            if word == "from" and t.kinds[j + 1 : j + 2] == ["str"]:
                _specifier(t, j + 1, refs)
                return j + 2
            if word in _CLAUSE_STOP:
                return j
        elif kind == "punct":
            if t.value(j) not in _CLAUSE_PUNCT:
                return j
        elif kind != "str":
            return j
        j += 1
    return j


def _new_url(t: _Tokens, i: int, refs: list[Ref]) -> int:
    """`new URL("…", import.meta.url)` (a trailing comma allowed): a URL relative to the module."""
    j = i + 1
    if not (t.is_(j, "punct", "(") and t.kinds[j + 1 : j + 2] in (["str"], ["tpl"])):
        return j
    k = j + 2
    for kind, value in (("punct", ","), ("name", "import"), ("punct", "."), ("name", "meta"), ("punct", "."), ("name", "url")):
        if not t.is_(k, kind, value):
            return j
        k += 1
    if t.is_(k, "punct", ","):
        k += 1
    if not t.is_(k, "punct", ")"):
        return j
    _specifier(t, j + 1, refs, "url")
    return k + 1
