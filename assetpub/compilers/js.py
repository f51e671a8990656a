"""JavaScript references: ES module specifiers (`import … from`, `import "x"`,
`export … from`, `import("x")`), assets named relative to the module with
`new URL("./x.png", import.meta.url)`, and `//# sourceMappingURL=`.

A light tokenizer skips comments, strings, the text of template literals and regex
literals, so an `import` inside any of them is not a reference; the code inside a
template's `${…}` is scanned like any other. Only string-literal specifiers are
references; `import(\\`./${name}.js\\`)` is left alone with a note.
"""

from __future__ import annotations

import re

from . import Note, Ref

_TOKEN = re.compile(
    r"""
    (?=[/"'`ieU])  # every token starts with one of these: lets the engine skip the rest fast
    (?:
      (?P<lc>//[^\n\r]*)
    | (?P<bc>/\*.*?(?:\*/|\Z))
    | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
    | (?P<tpl>`)
    | (?P<slash>/)
    | (?P<kw>(?<![\w$.])(?:import(?![\w$])|export(?=\s*[*{])))
    | (?P<url>(?<![\w$.])URL(?=\s*\())
    )
    """,
    re.S | re.X,
)
# where a reference can start: `import`, `export *` / `export {` (re-exports), a source map
# (`new URL(…, import.meta.url)` needs no entry: its `import` comes after it)
_CANDIDATE = re.compile(r"(?<![\w$.])(?:import|export\s*[*{])|sourceMappingURL")
_SPEC = r"""(?P<q>["'])(?P<spec>[^"'\n]*)(?P=q)"""
_DYNAMIC = re.compile(r"import\s*\(\s*(?:" + _SPEC + r"|(?P<tpl>`(?:\\.|[^`\\])*`))\s*[,)]", re.S)
_FROM = re.compile(
    r"import\s*(?:[\w$]+(?:\s*,\s*)?)?(?:\*\s*as\s+[\w$]+|\{[^}]*\})?\s*from\s*" + _SPEC, re.S
)
_BARE = re.compile(r"import\s*" + _SPEC)
# new URL("./x.png", import.meta.url): a URL (not a module specifier) relative to the module
_NEW_URL = re.compile(
    r"URL\s*\(\s*(?:" + _SPEC + r"|`(?P<tpl>[^`$\\]*)`)\s*,\s*import\s*\.\s*meta\s*\.\s*url\s*(?:,\s*)?\)"
)
_NEW_BEFORE = re.compile(r"(?<![\w$.])new\s+\Z")
_EXPORT = re.compile(r"export\s*(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*" + _SPEC, re.S)
_SOURCE_MAP_LINE = re.compile(r"//[#@][ \t]+sourceMappingURL=(\S+)[ \t]*\Z")
_SOURCE_MAP_BLOCK = re.compile(r"/\*[#@][ \t]+sourceMappingURL=([^\s*]+)\s*\*/\Z")
_REGEX = re.compile(r"/(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n\[])+/[a-z]*")
_REGEX_AFTER_WORD = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await".split()
)
_REGEX_AFTER_CHAR = frozenset("(,=:[!&|?{};+-*%<>~^")
_TPL_CHUNK = re.compile(r"[^`\\$]+")
_EXPR_TOKEN = re.compile(
    r"""(?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(?P<tpl>`)|(?P<c>/\*.*?\*/|//[^\n]*)"""
    r"""|(?P<open>\{)|(?P<close>\})""",
    re.S,
)


def references(text: str) -> tuple[list[Ref], list[Note]]:
    refs: list[Ref] = []
    notes: list[Note] = []
    # Only tokens up to the last place a reference could start matter; past it, no need
    # to tokenize (most modules import at the top and export functions below).
    last = -1
    for candidate in _CANDIDATE.finditer(text):
        last = candidate.start()
    if last < 0:
        return refs, notes
    pos = 0
    n = len(text)
    while pos <= last and (m := _TOKEN.search(text, pos)) is not None:
        pos = m.end()
        kind = m.lastgroup
        if kind == "lc":
            sm = _SOURCE_MAP_LINE.match(m.group())
            if sm:
                refs.append(Ref(sm.group(1), m.start() + sm.start(1), m.start() + sm.end(1), "sourcemap", m.span()))
        elif kind == "bc":
            sm = _SOURCE_MAP_BLOCK.match(m.group())
            if sm and not text[m.end():].strip():
                refs.append(Ref(sm.group(1), m.start() + sm.start(1), m.start() + sm.end(1), "sourcemap", m.span()))
        elif kind == "tpl":
            expressions: list[tuple[int, int]] = []
            pos, _ = _skip_template(text, pos, expressions)
            for start, end in expressions:  # `${…}` holds code: html`<img src=${new URL(…)}>`
                _add_shifted(references(text[start:end]), start, refs, notes)
        elif kind == "slash":
            if _regex_allowed(text, m.start()):
                rm = _REGEX.match(text, m.start())
                if rm:
                    pos = rm.end()
        elif kind == "kw":
            pos = _module_reference(text, m.start(), refs, notes)
        elif kind == "url":
            pos = _new_url(text, m.start(), refs)
        if pos > n:
            break
    return refs, notes


def _module_reference(text: str, at: int, refs: list[Ref], notes: list[Note]) -> int:
    for pattern in (_DYNAMIC, _FROM, _BARE, _EXPORT):
        m = pattern.match(text, at)
        if not m:
            continue
        if m.group("spec") is not None:
            refs.append(Ref(m.group("spec"), m.start("spec"), m.end("spec"), "module"))
        else:  # template literal in import()
            tpl = m.group("tpl")
            if "${" in tpl:
                notes.append(Note(at, f"import() with a computed template literal {tpl} is left as written"))
            else:
                refs.append(Ref(tpl[1:-1], m.start("tpl") + 1, m.end("tpl") - 1, "module"))
        return m.end()
    return at + 6  # len("import") == len("export")


def _new_url(text: str, at: int, refs: list[Ref]) -> int:
    """`URL` at `at`: a reference when it reads `new URL("…", import.meta.url)`."""
    m = _NEW_URL.match(text, at)
    if m is None or not _NEW_BEFORE.search(text, max(0, at - 64), at):
        return at + 3
    group = "spec" if m.group("spec") is not None else "tpl"  # a backtick string without ${}
    refs.append(Ref(m.group(group), m.start(group), m.end(group), "url"))
    return m.end()


def _regex_allowed(text: str, at: int) -> bool:
    """Is a `/` at `at` the start of a regex literal (rather than division)?"""
    i = at - 1
    while i >= 0 and text[i] in " \t\r\n":
        i -= 1
    if i < 0:
        return True
    c = text[i]
    if c in _REGEX_AFTER_CHAR or c == "}":
        return True
    if c.isalnum() or c in "_$":
        j = i
        while j >= 0 and (text[j].isalnum() or text[j] in "_$"):
            j -= 1
        return text[j + 1 : i + 1] in _REGEX_AFTER_WORD
    return False


def _add_shifted(found: tuple[list[Ref], list[Note]], offset: int, refs: list[Ref], notes: list[Note]) -> None:
    """References and notes found in a slice of the text, at their places in the whole."""
    sub_refs, sub_notes = found
    for r in sub_refs:
        if r.kind != "sourcemap":  # only a file's last comment can be its source map
            refs.append(Ref(r.url, r.start + offset, r.end + offset, r.kind))
    notes.extend(Note(n.pos + offset, n.message) for n in sub_notes)


def _skip_template(text: str, i: int, expressions: list[tuple[int, int]] | None = None) -> tuple[int, bool]:
    """From just after an opening backtick to just after the closing one. With
    `expressions`, the (start, end) of each complete `${…}` body is appended to it."""
    n = len(text)
    has_expr = False
    while i < n:
        m = _TPL_CHUNK.match(text, i)
        if m:
            i = m.end()
            continue
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "`":
            return i + 1, has_expr
        elif text.startswith("${", i):
            has_expr = True
            end = _skip_expression(text, i + 2)
            if expressions is not None and text[end - 1 : end] == "}":
                expressions.append((i + 2, end - 1))
            i = end
        else:
            i += 1
    return n, has_expr


def _skip_expression(text: str, i: int) -> int:
    depth = 1
    while depth and (m := _EXPR_TOKEN.search(text, i)) is not None:
        i = m.end()
        if m.lastgroup == "tpl":
            i, _ = _skip_template(text, i)
        elif m.lastgroup == "open":
            depth += 1
        elif m.lastgroup == "close":
            depth -= 1
    return i if depth == 0 else len(text)
