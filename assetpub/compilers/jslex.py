"""A JavaScript lexer (script and module goal, ES2024): the one tokenizer behind the
reference scanner and the minifier's safety check.

`tokens(text)` yields `(kind, start, end)`; `kind` is one of

    name     identifiers, keywords and private names (`#x`)
    num      numeric literals (`1_000`, `0x1F`, `10n`, `.5e-3`)
    str      string literals
    tpl      a whole template literal without substitutions
    tpl_head, tpl_mid, tpl_tail
             the text parts of a template with substitutions: `` `a${ ``, `}b${`, `` }c` ``;
             the code of each `${…}` comes between them as ordinary tokens
    regex    regular-expression literals
    punct    punctuators
    nl       a run of white space holding a line terminator (where ASI can apply)
    comment  `//…`, `/*…*/` and a hashbang line; a block comment holding a line
             terminator is followed by an `nl` token of zero length
    error    an unterminated string or regex (to the end of its line) or template (to
             the end of the text): the text is not valid JavaScript there

Regex or division is decided from the previous significant token, as a parser would:
`)` closing an `if`/`while`/`for`/`with` condition, `}` closing a block (not an object
literal), `=>`, `...`, operators and keywords such as `return`, `typeof`, `case`,
`yield` and `await` start an expression, so a `/` after them starts a regex.

The lexer is a loop over one compiled pattern with explicit stacks for braces, parens and
template literals: linear in its input, no recursion, whatever the nesting. Nesting deeper
than MAX_DEPTH raises LexError (no engine runs such code either).
"""

from __future__ import annotations

import re
from typing import Iterator

MAX_DEPTH = 1000

Token = tuple  # (kind, start, end)


class LexError(ValueError):
    """The text cannot be tokenized (nesting beyond MAX_DEPTH); `pos` is where."""

    def __init__(self, pos: int, message: str):
        super().__init__(message)
        self.pos = pos


_LT = "\n\r\u2028\u2029"
_MAIN = re.compile(
    rf"""
      (?P<ws>(?:[^\S{_LT}]|\ufeff)+)
    | (?P<nl>[{_LT}](?:\s|\ufeff)*)
    | (?P<comment>//[^{_LT}]*|/\*[\s\S]*?(?:\*/|\Z))
    | (?P<slash>/)
    | (?P<num>(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?[\d_]+)?)n?)
    | (?P<name>\#?(?:[\w$]|[^\x00-\x7f\s\ufeff]|\\u(?:\{{[0-9a-fA-F]+\}}|[0-9a-fA-F]{{4}}))+)
    | (?P<str>"[^"\\{_LT}]*(?:\\(?:\r\n|[\s\S])[^"\\{_LT}]*)*"|'[^'\\{_LT}]*(?:\\(?:\r\n|[\s\S])[^'\\{_LT}]*)*')
    | (?P<error>["'][^{_LT}]*)
    | (?P<tpl>`)
    | (?P<punct>>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?
        |\?\.(?!\d)|\+\+|--|\+=|-=|\*=|%=|&=|\|=|\^=|<<|>>|\*\*|[{{}}()\[\];,<>+\-*%&|^!~?:=.@\#\\])
    | (?P<other>[\s\S])
    """,
    re.X,
)
_REGEX = re.compile(
    rf"/(?:[^/\\\[{_LT}]|\\[^{_LT}]|\[(?:[^\]\\{_LT}]|\\[^{_LT}])*\])+/[\w$]*"
)
_REST_OF_LINE = re.compile(rf"[^{_LT}]*")
_TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]+|\\[\s\S]|\$(?!\{))*")
_HASHBANG = re.compile(rf"#![^{_LT}]*")

# after these names an expression starts: a `/` there begins a regex
_BEFORE_EXPRESSION = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await extends".split()
)
# a `(` after these opens a statement's condition: a `/` after its `)` begins a regex
_CONDITION = frozenset(("if", "while", "for", "with"))
# a `{` after these opens a block, not an object literal
_BEFORE_BLOCK = frozenset(("else", "do", "try", "finally"))
_AFTER_OPERAND = frozenset((")", "]", "}", "++", "--"))

_BLOCK, _OBJECT, _TEMPLATE = 0, 1, 2


def tokens(text: str) -> Iterator[Token]:
    """Every token of `text`, white space without a line terminator excepted."""
    n = len(text)
    pos = 0
    main = _MAIN.match
    braces: list[int] = []  # _BLOCK / _OBJECT / _TEMPLATE per open `{` or `${`
    ternaries: list[int] = [0]  # open `?` per brace level: tells `a ? {` … `: {` from `case x: {`
    parens: list[bool] = []  # per open `(`: does it hold a statement's condition?
    # the last two significant tokens, as (kind, text); `prop` is a name after `.`
    prev_kind, prev_text = "", ""
    prev2_text = ""
    regex_ok = True
    if text.startswith("#!"):
        m = _HASHBANG.match(text)
        yield ("comment", 0, m.end())
        pos = m.end()
    while pos < n:
        m = main(text, pos)
        kind = m.lastgroup
        start, end = pos, m.end()
        if kind == "ws":
            pos = end
            continue
        if kind == "nl" or kind == "comment":
            yield (kind, start, end)
            pos = end
            if kind == "comment" and text[start + 1] == "*":
                body = text[start:end]
                if "\n" in body or "\r" in body or "\u2028" in body or "\u2029" in body:
                    yield ("nl", end, end)
            continue
        if kind == "slash":
            if regex_ok:
                r = _REGEX.match(text, start)
                if r is None:
                    end = _REST_OF_LINE.match(text, start).end()
                    kind = "error"
                else:
                    end = r.end()
                    kind = "regex"
            else:
                kind = "punct"
                end = start + 2 if text.startswith("/=", start) else start + 1
        elif kind == "tpl":
            kind, end = _template(text, start + 1, "tpl", "tpl_head")
            if kind == "tpl_head":
                braces.append(_TEMPLATE)
                ternaries.append(0)
        elif kind == "other":
            kind = "punct"
        yield_kind = kind
        token_text = text[start:end] if kind in ("punct", "name") else ""
        # what may follow this token, and the nesting it opens or closes
        if kind == "name":
            if prev_kind == "punct" and prev_text in (".", "?."):
                kind = "prop"
                regex_ok = False
            else:
                regex_ok = token_text in _BEFORE_EXPRESSION
        elif kind == "punct":
            if token_text == "(":
                parens.append(
                    prev_kind == "name" and (prev_text in _CONDITION or (prev_text == "await" and prev2_text == "for"))
                )
                regex_ok = True
            elif token_text == ")":
                regex_ok = parens.pop() if parens else False
            elif token_text == "{":
                braces.append(_brace_kind(prev_kind, prev_text, ternaries[-1]))
                ternaries.append(0)
                regex_ok = True
            elif token_text == "}":
                opened = braces.pop() if braces else _BLOCK
                if len(ternaries) > 1:
                    ternaries.pop()
                if opened == _TEMPLATE:
                    yield_kind, end = _template(text, start + 1, "tpl_tail", "tpl_mid")
                    if yield_kind == "tpl_mid":
                        braces.append(_TEMPLATE)
                        ternaries.append(0)
                        regex_ok = True
                    else:
                        regex_ok = False
                    kind = yield_kind
                else:
                    regex_ok = opened == _BLOCK
            elif token_text == "?":
                ternaries[-1] += 1
                regex_ok = True
            elif token_text == ":":
                if ternaries[-1]:
                    ternaries[-1] -= 1
                    token_text = "?:"  # a `{` after it is an object literal
                regex_ok = True
            else:
                regex_ok = token_text not in _AFTER_OPERAND
        elif kind in ("tpl_head",):
            regex_ok = True
        else:  # num, str, tpl, regex, error
            regex_ok = False
        if len(braces) + len(parens) > MAX_DEPTH:
            raise LexError(start, f"code nested more than {MAX_DEPTH} levels deep")
        yield (yield_kind, start, end)
        prev2_text = prev_text
        prev_kind, prev_text = kind, token_text
        pos = end


def _brace_kind(prev_kind: str, prev_text: str, open_ternaries: int) -> int:
    """Does a `{` after this token open a block (or class or function body), or an
    object literal?"""
    if prev_kind == "":
        return _BLOCK
    if prev_kind == "punct":
        if prev_text in (")", ";", "{", "}", "=>"):
            return _BLOCK
        if prev_text == ":":  # `case x: {` or `label: {`; `a ? b : {` is marked "?:"
            return _BLOCK
        return _OBJECT
    if prev_kind == "name":
        return _OBJECT if prev_text in _BEFORE_EXPRESSION and prev_text not in _BEFORE_BLOCK else _BLOCK
    if prev_kind in ("tpl_head", "tpl_mid"):
        return _OBJECT
    return _BLOCK


def _template(text: str, pos: int, end_kind: str, open_kind: str) -> tuple[str, int]:
    """Template text from `pos` (just after `` ` `` or the `}` closing a substitution):
    (end_kind, end) at the closing backtick, (open_kind, end) at a `${`."""
    end = _TEMPLATE_CHUNK.match(text, pos).end()
    if end < len(text) and text[end] == "`":
        return end_kind, end + 1
    if text.startswith("${", end):
        return open_kind, end + 2
    return "error", len(text)


def significant(text: str) -> Iterator[Token]:
    """The tokens that carry meaning: no comments, no line terminators."""
    for t in tokens(text):
        if t[0] != "comment" and t[0] != "nl":
            yield t
