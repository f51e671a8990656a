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
from .jslex import lex

_SOURCE_MAP_LINE = re.compile(r"//[#@][ \t]+sourceMappingURL=(\S+)[ \t]*\Z")
_SOURCE_MAP_BLOCK = re.compile(r"/\*[#@][ \t]+sourceMappingURL=([^\s*]+)\s*\*/\Z")
# tokens that may stand between `import`/`export {` and `from` (bindings and their lists)
_CLAUSE_PUNCT = frozenset(("{", "}", ",", "*"))
_CLAUSE_STOP = frozenset(("import", "export"))
_META_URL = (",", "import", ".", "meta", ".", "url")


# where a reference can start: `import`, `export *` / `export {`, `URL`, a source map
_CANDIDATE = re.compile(r"(?<![\w$])(?:import|export\s*[*{]|URL)|sourceMappingURL")


class _NeedMore(Exception):
    """A pattern read past the tokens lexed so far."""


class _Tokens:
    """The significant tokens of a text (their texts and, for literals, their offsets):
    only up to `stop` when given (most modules import at the top, and no reference can
    start after the last place `import`, `export` or `URL` is written)."""

    def __init__(self, text: str, stop: int | None = None):
        lexed = lex(text, stop)
        self.complete = lexed.complete
        self.text = text
        self.values = lexed.values
        self.starts = lexed.starts
        self.comments = lexed.comments
        self.errors = set(lexed.errors)
        self.n = len(self.values)

    def value(self, i: int) -> str:
        if i < self.n:
            return self.values[i]
        if not self.complete:
            raise _NeedMore
        return ""

    def keyword(self, i: int, word: str) -> bool:
        """Token i is the name `word`, not a property (`x.import`)."""
        return self.values[i] == word and not (i and self.values[i - 1] in (".", "?."))

    def literal(self, i: int) -> str:
        """'str', 'tpl' (no substitutions), 'tpl_head' or '' for token i."""
        v = self.value(i)
        if not v or i in self.errors:
            return ""
        if v[0] in "'\"":
            return "str"
        if v[0] == "`":
            return "tpl_head" if v.endswith("${") else "tpl"
        return ""


def references(text: str) -> tuple[list[Ref], list[Note]]:
    last = -1
    for m in _CANDIDATE.finditer(text):
        last = m.end()
    if last < 0:
        return [], []
    try:  # lexed a little past the last candidate; in full when a pattern reads further
        return _references(_Tokens(text, last + 256))
    except _NeedMore:
        return _references(_Tokens(text))


def _references(t: _Tokens) -> tuple[list[Ref], list[Note]]:
    refs: list[Ref] = []
    notes: list[Note] = []
    _source_maps(t, refs)
    values = t.values
    i = 0
    while i < t.n:
        v = values[i]
        if v == "import" and t.keyword(i, "import"):
            i = _import(t, i, refs, notes)
        elif v == "export" and t.keyword(i, "export"):
            i = _export(t, i, refs)
        elif v == "URL" and i and t.keyword(i - 1, "new"):
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
    if t.literal(i) in ("str", "tpl"):
        start = t.starts[i] + 1
        value = t.values[i][1:-1]
        if "\\" not in value and "\n" not in value:
            refs.append(Ref(value, start, start + len(value), kind))
        return True
    return False


def _import(t: _Tokens, i: int, refs: list[Ref], notes: list[Note]) -> int:
    j = i + 1
    if t.value(j) == "(":  # import("x"), import("x", { with: … })
        if t.literal(j + 1) == "tpl_head":
            head = t.values[j + 1]
            notes.append(Note(t.starts[j + 1], f"import() with a computed template literal {head}…}}` is left as written"))
            return j + 1
        if t.literal(j + 1) in ("str", "tpl") and t.value(j + 2) in (",", ")"):
            _specifier(t, j + 1, refs)
            return j + 3
        return j + 1
    if _specifier(t, j, refs):  # import "x"
        return j + 1
    if t.value(j) == ".":  # import.meta
        return j
    return _clause_from(t, j, refs)


def _export(t: _Tokens, i: int, refs: list[Ref]) -> int:
    j = i + 1
    if t.value(j) in ("*", "{"):
        return _clause_from(t, j, refs)
    return j


def _clause_from(t: _Tokens, j: int, refs: list[Ref]) -> int:
    """From the first token of an import clause (`a, { b as c }`, `* as ns`) or an export
    list: a reference when `from "x"` ends it. Returns where to resume: the clause's tokens
    (names, braces, commas, strings) hold no reference themselves."""
    while True:
        v = t.value(j)
        if not v:
            return j
        if v == "from" and t.literal(j + 1) == "str":
            _specifier(t, j + 1, refs)
            return j + 2
        if v in _CLAUSE_STOP:
            return j
        if not (v in _CLAUSE_PUNCT or t.literal(j) == "str" or _is_name(v)):
            return j
        j += 1


def _is_name(v: str) -> bool:
    return v[0].isalpha() or v[0] in "_$\\#" or v[0] > "\x7f"


def _new_url(t: _Tokens, i: int, refs: list[Ref]) -> int:
    """`new URL("…", import.meta.url)` (a trailing comma allowed): a URL relative to the module."""
    j = i + 1
    if not (t.value(j) == "(" and t.literal(j + 1) in ("str", "tpl")):
        return j
    k = j + 2
    for expected in _META_URL:
        if t.value(k) != expected:
            return j
        k += 1
    if t.value(k) == ",":
        k += 1
    if t.value(k) != ")":
        return j
    _specifier(t, j + 1, refs, "url")
    return k + 1
