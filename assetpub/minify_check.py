"""Is a minified file the same program as its source? Shown, not assumed.

JavaScript: the significant tokens (jslex) must be equal, text for text, and no line
break may be removed where automatic semicolon insertion could apply (nor added
anywhere). CSS: the tokens (csslex) must be equal, and white space may go only where it
cannot separate two selectors' parts. Each check returns None when the output is shown
to be the same, else a short description of the first difference, for the build's note.
"""

from __future__ import annotations

from .compilers import csslex, jslex

# A line break after these may go: the statement cannot end there (operators, openers, `,`
# and `;`, keywords that need an operand).
_JS_CONTINUES_AFTER = frozenset(
    "; , { ( [ . ?. => ... ? : = += -= *= /= %= **= <<= >>= >>>= &= |= ^= &&= ||= ??= == === != !== "
    "< > <= >= + - * / % ** << >> >>> & | ^ ! ~ && || ?? @".split()
    + "else new typeof void delete in instanceof case var const function class extends do try finally export import".split()
)
# A line break before these may go: after any token they either continue what comes
# before (binary operators) or close it (where ASI would insert the same semicolon).
# Not `(`, `[`, a template or a regex: after `a++` they are not allowed, so ASI applies.
_JS_CONTINUES_BEFORE = frozenset(
    ") ] } ; , . ?. ? : + - = += -= *= /= %= **= <<= >>= >>>= &= |= ^= &&= ||= ??= == === != !== "
    "< > <= >= * / % ** << >> >>> & | ^ && || ??".split()
)
# No line break is allowed after these where an operand follows (restricted productions).
_JS_RESTRICTED = frozenset(("return", "break", "continue", "throw", "yield", "async", "let"))


def js_difference(source: str, minified: str) -> str | None:
    try:
        a = _js_stream(source)
        b = _js_stream(minified)
    except jslex.LexError as e:
        return str(e)
    bad = next((t for t in a if t[0] == "error"), None)
    if bad is not None:
        return f"{_show(bad[1])} (line {_line(source, bad[3])}) is unterminated: not valid JavaScript"
    for i, (ta, tb) in enumerate(zip(a, b, strict=False)):
        if ta[:2] != tb[:2]:
            return _changed(source, ta, tb[1])
        if ta[2] != tb[2] and i:  # before the first token, a line break means nothing
            if tb[2]:
                return f"a line break would be added before {_show(ta[1])} (line {_line(source, ta[3])})"
            prev = a[i - 1]
            if not _js_break_removable(prev, ta):
                return (
                    f"the line break between {_show(prev[1])} and {_show(ta[1])} (line {_line(source, ta[3])}) would be removed"
                )
    if len(a) != len(b):
        if len(a) > len(b):
            return _changed(source, a[len(b)], "")
        return f"{_show(b[len(a)][1])} would be added at the end"
    return None


def _js_stream(text: str) -> list[tuple[str, str, bool, int]]:
    """(kind, text, after a line break, start) per significant token."""
    out = []
    newline = False
    for kind, start, end in jslex.tokens(text):
        if kind == "nl":
            newline = True
        elif kind != "comment":
            out.append((kind, text[start:end], newline, start))
            newline = False
    return out


def _js_break_removable(before, after) -> bool:
    a = before[1] if before[0] in ("punct", "name") else ""
    b = after[1] if after[0] == "punct" else ""
    if a in _JS_RESTRICTED and b not in (";", "}"):
        return False
    if a in _JS_CONTINUES_AFTER:
        return True
    if b in ("++", "--"):
        return False
    return b in _JS_CONTINUES_BEFORE


def css_difference(source: str, minified: str) -> str | None:
    a = _css_stream(source)
    b = _css_stream(minified)
    bad = next((t for t in a if t[0] == "error"), None)
    if bad is not None:
        return f"{_show(bad[1])} (line {_line(source, bad[3])}) is unterminated: not valid CSS"
    for ta, tb in zip(a, b, strict=False):
        if ta[:2] != tb[:2]:
            return _changed(source, ta, tb[1])
    if len(a) != len(b):
        if len(a) > len(b):
            return _changed(source, a[len(b)], "")
        return f"{_show(b[len(a)][1])} would be added at the end"
    return None


# White space next to these never separates two parts of a selector or a value (`+`
# only outside parentheses: calc() needs the space around it).
_CSS_WS_NEUTRAL = frozenset("{ } ; , > ~ ( ) ! =".split())


def _css_stream(text: str) -> list[tuple[str, str, bool, int]]:
    """(kind, text, -, start) per token; white space kept as a token where it could be a
    descendant combinator (`a .b`, `a :hover`), dropped where it cannot be. White space
    before the `:` of a declaration (`color : red`) goes too, but not before the `:` of
    a nested rule's selector (`a { b :hover { … } }`): the item decides, at its end. In a
    custom property's value (`--x: { a: b }`), which scripts read as written, all inner
    white space counts."""
    out: list = []
    pending_ws = False
    parens = 0
    depth = 0  # open `{`
    custom: int | None = None  # the depth of the custom property whose value this is
    colon_ws: list[int] = []  # indexes in out of white space before a declaration's `:`
    dropped: set[int] = set()
    for kind, start, end in csslex.tokens(text):
        if kind == "comment":
            continue
        if kind == "ws":
            pending_ws = True
            continue
        value = text[start:end]
        ends_custom = custom is not None and depth == custom and value in (";", "}")
        if pending_ws and out:
            if custom is not None:
                keep = not ends_custom and out[-1][1] != ":"
            else:
                keep = not _css_ws_neutral(out[-1][1], value, parens)
            if keep:
                if value == ":" and out[-1][0] == "ident" and (len(out) == 1 or out[-2][1] in ("{", ";")):
                    colon_ws.append(len(out))
                out.append(("ws", " ", False, start))
        pending_ws = False
        if ends_custom:
            custom = None
        if kind == "function" or value == "(":
            parens += 1
        elif value == ")" and parens:
            parens -= 1
        elif value == ":" and custom is None and not parens and depth and out and out[-1][1].startswith("--"):
            custom = depth
        elif value in ("{", "}", ";"):
            depth += 1 if value == "{" else -1 if value == "}" and depth else 0
            if value != "{":  # the item was a declaration
                dropped.update(colon_ws)
            colon_ws.clear()
            if value != "{" and custom is None:  # `;` before `}` or another `;`: an empty declaration
                while out and out[-1][1] == ";":
                    out.pop()
            if value == ";" and out and out[-1][1] == "{" and custom is None:
                continue
        out.append((kind, value, False, start))
    return [t for i, t in enumerate(out) if i not in dropped] if dropped else out


def _css_ws_neutral(before: str, after: str, parens: int) -> bool:
    if parens and (before in ("+", "-") or after in ("+", "-")):  # calc(a + b) needs both
        return False
    if before in _CSS_WS_NEUTRAL or after in _CSS_WS_NEUTRAL or before == ":" or before.endswith("("):
        return True
    return parens == 0 and (before == "+" or after == "+")


def _changed(source: str, token, became: str) -> str:
    return f"{_show(token[1])} (line {_line(source, token[3])}) would become {_show(became) if became else 'nothing'}"


def _show(value: str) -> str:
    if not value.strip():
        return "a space"
    return "`" + (value if len(value) <= 40 else value[:37] + "...") + "`"


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
