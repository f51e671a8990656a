"""A JavaScript lexer (script and module goal, ES2024): the one tokenizer behind the
reference scanner and the minifier's check.

`lex(text)` returns a Lexed: `values`, the text of every significant token in order
(identifiers, keywords, private names, numbers, punctuators, strings, regexes, and the
parts of template literals: a whole `` `a` ``, or `` `a${ ``, `}b${`, `` }c` `` with the
code of each `${…}` between them as ordinary tokens); `starts`, the offset of each token
(None inside a run of names, numbers and plain punctuators, which are matched in bulk);
`newlines`, the indexes of the tokens that a line terminator (or a block comment holding
one) precedes, where ASI can apply; `comments`, their spans; `errors`, the indexes of
unterminated strings or regexes (to the end of their line) or templates (to the end of
the text): the text is not valid JavaScript there. Whitespace is not a token.

Regex or division is decided from the previous significant token, as a parser would:
`)` closing an `if`/`while`/`for`/`with` condition, `}` closing a block (not an object
literal), `=>`, `...`, operators and keywords such as `return`, `typeof`, `case`,
`yield` and `await` start an expression, so a `/` after them starts a regex.

The lexer is a loop over compiled patterns with explicit stacks for braces, parens and
template literals: linear in its input, no recursion, whatever the nesting. Runs of
tokens that change no state (names, numbers, most punctuators) are split by one C-level
`findall`. Nesting deeper than MAX_DEPTH raises LexError (no engine runs such code).
"""

from __future__ import annotations

import bisect
import re

MAX_DEPTH = 1000



class LexError(ValueError):
    """The text cannot be tokenized (nesting beyond MAX_DEPTH); `pos` is where."""

    def __init__(self, pos: int, message: str):
        super().__init__(message)
        self.pos = pos


_LT = "\n\r\u2028\u2029"
# JavaScript's WhiteSpace (not Python's \s, which also takes \x1c-\x1f and \x85)
_WS = "\t\v\f \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff"
_NUM = r"(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?[\d_]+)?)n?"
_ID_PART = r"(?:[\w$]+|[^\x00-\x7f\s\ufeff]|\\u(?:\{[0-9a-fA-F]+\}|[0-9a-fA-F]{4}))"
# never starts with a digit, so it can be tried before numbers (names are the commonest token)
_NAME = rf"(?:[A-Za-z_$]|[^\x00-\x7f\s\ufeff]|\\u(?:\{{[0-9a-fA-F]+\}}|[0-9a-fA-F]{{4}})|\#{_ID_PART}){_ID_PART}*"
# White space without a line terminator is skipped in the same match as the token after it.
_MAIN = re.compile(
    rf"""
    [{_WS}]*
    (?:
      (?P<nl>[{_LT}][{_WS}{_LT}]*)
    | (?P<comment>//[^{_LT}]*|/\*[\s\S]*?(?:\*/|\Z))
    | (?P<slash>/)
    | (?P<name>{_NAME})
    | (?P<num>{_NUM})
    | (?P<str>"[^"\\{_LT}]*(?:\\(?:\r\n|[\s\S])[^"\\{_LT}]*)*"|'[^'\\{_LT}]*(?:\\(?:\r\n|[\s\S])[^'\\{_LT}]*)*')
    | (?P<error>["'][^{_LT}]*)
    | (?P<tpl>`)
    | (?P<punct>>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?
        |\?\.(?!\d)|\+\+|--|\+=|-=|\*=|%=|&=|\|=|\^=|<<|>>|\*\*|[{{}}()\[\];,<>+\-*%&|^!~?:=.@\#\\])
    | (?P<other>[\s\S])
    | (?P<end>\Z)
    )
    """,
    re.X,
)
# punctuators matched in runs (not `{ }`, not `/`), longest first as in _MAIN
_PLAIN_PUNCT = (
    r">>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.(?!\d)|\+\+|--"
    r"|\+=|-=|\*=|%=|&=|\|=|\^=|<<|>>|\*\*|[()\[\];,<>+\-*%&|^!~?:=.@\#\\]"
)
_PLAIN = rf"(?:{_NAME}|{_NUM}|{_PLAIN_PUNCT})"
# A run: the longest stretch without a character that starts a token needing a decision
# (`/`, quotes, a backtick, braces, line terminators; the braces of a `\u{…}` escape are
# part of their name); every token in it is plain, or a
# single other character (a punctuator to the lexer, as in _MAIN).
_RUN = re.compile(rf"(?:[^/`{{}}'\"\\{_LT}]+|\\u\{{[0-9a-fA-F]+\}}|\\(?!u\{{))+")
_RUN_TOKEN = re.compile(rf"[{_WS}]*({_PLAIN}|[^{_WS}])")
_REGEX = re.compile(
    rf"/(?:[^/\\\[{_LT}]|\\[^{_LT}]|\[(?:[^\]\\{_LT}]|\\[^{_LT}])*\])+/[\w$]*"
)
_REST_OF_LINE = re.compile(rf"[^{_LT}]*")
_TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]+|\\[\s\S]|\$(?!\{))*")
_WS_CHARS = frozenset("\t\v\f \u00a0\u1680\u202f\u205f\u3000\ufeff" + "".join(map(chr, range(0x2000, 0x200B))))
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


class Lexed:
    """The tokens of a text (see the module's docstring)."""

    __slots__ = ("values", "starts", "newlines", "newline_ends", "comments", "errors", "complete")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.starts: list[int | None] = []
        self.newlines: list[int] = []
        self.newline_ends: list[int] = []  # where each line terminator's white space ends
        self.comments: list[tuple[int, int]] = []
        self.errors: list[int] = []
        self.complete = True

    def position(self, i: int) -> int:
        """Where token i starts; inside a run (which never spans lines), where the nearest
        token or line before it starts: good for a line number."""
        j = min(i, len(self.starts) - 1)
        while j > 0 and self.starts[j] is None:
            j -= 1
        pos = self.starts[j] if j >= 0 and self.starts[j] is not None else 0
        k = bisect.bisect_right(self.newlines, i) - 1
        return max(pos, self.newline_ends[k]) if k >= 0 else pos


def lex(text: str, stop: int | None = None) -> Lexed:
    """The tokens of `text`; with `stop`, only up to the first token boundary past it
    (`complete` tells whether the whole text was read)."""
    out = Lexed()
    limit = len(text) if stop is None else stop
    values, starts = out.values, out.starts
    n = len(text)
    pos = 0
    main, run, run_tokens = _MAIN.match, _RUN.match, _RUN_TOKEN.findall
    braces: list[int] = []  # _BLOCK / _OBJECT / _TEMPLATE per open `{` or `${`
    ternaries: list[int] = [0]  # open `?` per brace level: tells `a ? {` … `: {` from `case x: {`
    depth = 0  # open `(`
    conditions: list[int] = []  # the depths of the open `(` that hold a statement's condition
    # the last two significant tokens: kind ("name", "prop" for a name after `.`, "num",
    # "punct", "str", "tpl", "regex", ...) and text
    prev_kind, prev_text = "", ""
    regex_ok = True
    if text.startswith("#!"):
        pos = _HASHBANG.match(text).end()
        out.comments.append((0, pos))
    while pos < n:
        if pos > limit:
            out.complete = False
            break
        r = run(text, pos)
        end = r.end() if r is not None else pos
        while end > pos and text[end - 1] in _WS_CHARS:  # findall would retry at each trailing space
            end -= 1
        if end > pos and (found := run_tokens(text, pos, end)):
            values += found
            starts += [None] * len(found)
            pos = end
            closed = colon = False
            if "(" in found or ")" in found:
                if conditions or "if" in found or "while" in found or "for" in found or "with" in found:
                    base = len(values) - len(found)
                    for k, tok in enumerate(found, base):
                        if tok == "(":
                            depth += 1
                            if _is_condition(values, k - 1):
                                conditions.append(depth)
                        elif tok == ")":
                            closed = bool(conditions) and conditions[-1] == depth
                            if closed:
                                conditions.pop()
                            depth -= 1 if depth else 0
                else:
                    depth = max(0, depth + found.count("(") - found.count(")"))
                if len(braces) + depth > MAX_DEPTH:
                    raise LexError(r.start(), f"code nested more than {MAX_DEPTH} levels deep")
            if "?" in found or ":" in found:
                for tok in found:
                    if tok == "?":
                        ternaries[-1] += 1
                    elif tok == ":":
                        colon = ternaries[-1] > 0
                        ternaries[-1] -= 1 if colon else 0
            last = found[-1]
            before = found[-2] if len(found) > 1 else prev_text
            first = last[0]
            if first.isdigit() or (first == "." and last[1:2].isdigit()):
                prev_kind, regex_ok = "num", False
            elif first.isalpha() or first in "_$" or first > "\x7f" or (first in "#\\" and len(last) > 1):
                if before in (".", "?."):
                    prev_kind, regex_ok = "prop", False
                else:
                    prev_kind, regex_ok = "name", last in _BEFORE_EXPRESSION
            elif last == ")":
                prev_kind, regex_ok = "punct", closed
            else:
                prev_kind, regex_ok = "punct", last not in _AFTER_OPERAND
                if last == ":" and colon:
                    last = "?:"  # a `{` after it is an object literal
            prev_text = last
            if pos >= n:
                break
        m = main(text, pos)
        kind = m.lastgroup
        start, end = m.start(kind), m.end()
        if kind == "nl":
            out.newlines.append(len(values))
            out.newline_ends.append(end)
            pos = end
            continue
        if kind == "comment":
            out.comments.append((start, end))
            pos = end
            if text[start + 1] == "*":
                body = text[start:end]
                if "\n" in body or "\r" in body or "\u2028" in body or "\u2029" in body:
                    out.newlines.append(len(values))
                    out.newline_ends.append(end)
            continue
        if kind == "end":
            break
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
        token_text = text[start:end]
        # what may follow this token, and the nesting it opens or closes
        if kind == "name":
            if prev_kind == "punct" and prev_text in (".", "?."):
                kind = "prop"
                regex_ok = False
            else:
                regex_ok = token_text in _BEFORE_EXPRESSION
        elif kind == "punct":
            if token_text == "(":
                depth += 1
                if _is_condition(values, len(values) - 1):
                    conditions.append(depth)
                regex_ok = True
            elif token_text == ")":
                regex_ok = bool(conditions) and conditions[-1] == depth
                if regex_ok:
                    conditions.pop()
                depth -= 1 if depth else 0
            elif token_text == "{":
                braces.append(_brace_kind(prev_kind, prev_text))
                ternaries.append(0)
                regex_ok = True
            elif token_text == "}":
                opened = braces.pop() if braces else _BLOCK
                if len(ternaries) > 1:
                    ternaries.pop()
                if opened == _TEMPLATE:
                    kind, end = _template(text, start + 1, "tpl_tail", "tpl_mid")
                    token_text = text[start:end]
                    if kind == "tpl_mid":
                        braces.append(_TEMPLATE)
                        ternaries.append(0)
                    regex_ok = kind == "tpl_mid"
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
        elif kind == "tpl_head":
            regex_ok = True
        else:  # num, str, tpl, regex, error
            regex_ok = False
        if len(braces) + depth > MAX_DEPTH:
            raise LexError(start, f"code nested more than {MAX_DEPTH} levels deep")
        if kind == "error":
            out.errors.append(len(values))
        values.append(text[start:end])
        starts.append(start)
        prev_kind, prev_text = kind, token_text
        pos = end
    return out


def _is_condition(values: list[str], k: int) -> bool:
    """Does a `(` after token k open a statement's condition (`if (`, `for await (`)?"""
    if k < 0:
        return False
    word = values[k]
    if word in _CONDITION:
        return not (k and values[k - 1] in (".", "?."))
    return word == "await" and k > 0 and values[k - 1] == "for"


def _brace_kind(prev_kind: str, prev_text: str) -> int:
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
