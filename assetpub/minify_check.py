"""Is a minified file the same program as its source? Shown, not assumed.

JavaScript: the significant tokens (jslex) must be equal, text for text, and no line
break may be removed where automatic semicolon insertion could apply (nor added
anywhere). CSS: the tokens (csslex) must be equal, and white space may go only where it
cannot separate two selectors' parts. Each check returns None when the output is shown
to be the same, else a short description of the first difference, for the build's note.
"""

from __future__ import annotations

from typing import Iterator

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
        a = jslex.lex(source)
        b = jslex.lex(minified)
    except jslex.LexError as e:
        return f"{e} (line {_line(source, e.pos)})"
    if a.errors:
        i = a.errors[0]
        return f"{_show(a.values[i])} (line {_line(source, a.position(i))}) is unterminated: not valid JavaScript"
    va, vb = a.values, b.values
    if va != vb:
        i = next((i for i, (x, y) in enumerate(zip(va, vb, strict=False)) if x != y), min(len(va), len(vb)))
        if i == len(va):
            return f"{_show(vb[i])} would be added at the end"
        return _changed(source, va[i], a.position(i), vb[i] if i < len(vb) else "")
    # the same tokens: now the line breaks between them (before the first, they mean nothing)
    added = set(b.newlines) - set(a.newlines) - {0, len(va)}
    if added:
        i = min(added)
        return f"a line break would be added before {_show(va[i])} (line {_line(source, a.position(i))})"
    removed = set(a.newlines) - set(b.newlines) - {0, len(va)}
    # most go after `;`, `{`, `,` or an operator (removable at once, as _js_break_removable
    # says): only the others are looked at one by one
    after, prop = _JS_CONTINUES_AFTER, (".", "?.")
    doubtful = [i for i in removed if va[i - 1] not in after or (i > 1 and va[i - 2] in prop)]
    for i in sorted(doubtful):
        if not _js_break_removable(va, i):
            return (
                f"the line break between {_show(va[i - 1])} and {_show(va[i])} (line {_line(source, a.position(i))})"
                " would be removed"
            )
    return None


def _js_break_removable(values: list[str], i: int) -> bool:
    """May the line break before token i go? Not where ASI could insert a semicolon."""
    a, b = values[i - 1], values[i]
    if i > 1 and values[i - 2] in (".", "?."):  # a property (`x.return`), not a keyword
        a = "x"
    if a in _JS_RESTRICTED and b not in (";", "}"):
        return False
    if a in _JS_CONTINUES_AFTER:
        return True
    if b in ("++", "--"):
        return False
    return b in _JS_CONTINUES_BEFORE


def css_difference(source: str, minified: str) -> str | None:
    """Both texts are read as streams of tokens, a chunk at a time: a huge generated
    stylesheet is never held as a list of its tokens (that took 13 bytes of memory per
    byte of CSS)."""
    if _css_same(source, minified):
        return None
    for values, starts, errors in _css_chunks(source):  # again, for the message
        if errors:
            i = errors[0]
            return f"{_show(values[i])} (line {_line(source, starts[i])}) is unterminated: not valid CSS"
    b = _css_chunks(minified, positions=False)
    pending: list[str] = []  # b's tokens not compared yet
    for values, starts, _ in _css_chunks(source):
        pending = _fill(pending, b, len(values))
        for i, (x, y) in enumerate(zip(values, pending, strict=False)):
            if x != y:
                return _changed(source, x, starts[i], y)
        if len(pending) < len(values):
            i = len(pending)
            return _changed(source, values[i], starts[i], "")
        del pending[: len(values)]
    pending = _fill(pending, b, 1)
    return f"{_show(pending[0])} would be added at the end" if pending else None


def _css_same(source: str, minified: str) -> bool:
    """The same tokens, and none of the source's unterminated."""
    b = _css_chunks(minified, positions=False)
    pending: list[str] = []
    for values, _, errors in _css_chunks(source, positions=False):
        if errors:
            return False
        pending = _fill(pending, b, len(values))
        n = len(values)
        if pending[:n] != values:
            return False
        del pending[:n]
    return not _fill(pending, b, 1)


def _fill(pending: list[str], chunks, n: int) -> list[str]:
    """`pending` extended from `chunks` to at least n tokens, or as far as they go."""
    while len(pending) < n:
        more = next(chunks, None)
        if more is None:
            break
        pending.extend(more[0])
    return pending


# White space next to these never separates two parts of a selector or a value (`+`
# only outside parentheses: calc() needs the space around it, and `-` there too).
_CSS_WS_NEUTRAL = frozenset("{ } ; , > ~ ( ) ! =".split())
_CSS_SIGN = ("+", "-")


_CHUNK = 4096  # tokens given at a time
_KEEP = 8  # the last tokens kept back: the rules below look back at two, and drop a `;`


def _css_chunks(text: str, positions: bool = True) -> Iterator[tuple[list[str], list[int], list[int]]]:
    """The tokens' texts, their offsets (only with `positions`), and the indexes of
    unterminated ones, a chunk at a time (never empty; indexes within the chunk). White
    space is kept (as " ") where it could be a descendant combinator (`a .b`, `a
    :hover`), dropped where it cannot be. White space before the `:` of a declaration
    (`color : red`) goes too, but not before the `:` of a nested rule's selector
    (`a { b :hover { … } }`): the item decides, at its end (so a chunk never ends before
    such white space while its item is open). Custom property values follow the same
    rules: their tokens, and so every var() use, stay the same."""
    out: list[str] = []  # the tokens not given yet
    starts: list[int] = []
    errors: list[int] = []
    given = 0  # how many tokens were given before out[0]
    pending_ws = False
    parens = 0
    colon_ws: list[int] = []  # indexes in out of white space before a declaration's `:`
    neutral = _CSS_WS_NEUTRAL
    is_error, is_function, space = csslex.is_error, csslex.is_function, csslex.SPACE
    end = 0
    for value in csslex.texts(text):
        start = end
        end += len(value)
        first = value[0]
        if first in space:
            pending_ws = True
            continue
        if first == "/" and value[1:2] == "*":  # a comment
            continue
        if pending_ws and out:
            before = out[-1]
            if parens and (before in _CSS_SIGN or value in _CSS_SIGN):  # calc(a + b) needs both
                keep = True
            else:
                keep = not (
                    before in neutral or value in neutral or before == ":" or before[-1] == "("
                    or (parens == 0 and (before == "+" or value == "+"))
                )
            if keep:
                if value == ":" and csslex.is_ident(before) and (given + len(out) == 1 or out[-2] in ("{", ";")):
                    colon_ws.append(len(out))
                out.append(" ")
                if positions:
                    starts.append(start)
        pending_ws = False
        error = first in "\"'uU" and is_error(value, text, end)
        if value == "(" or (value[-1] == "(" and not error and is_function(value)):  # (a call per token costs)
            parens += 1
        elif value == ")":
            parens -= 1 if parens else 0
        elif value == "{" or value == "}" or value == ";":
            if value != "{" and colon_ws:  # the item was a declaration: its white space goes
                for i in reversed(colon_ws):
                    del out[i]
                    if positions:
                        del starts[i]
                errors = [e - sum(1 for i in colon_ws if i < e) for e in errors]
            if value != "{":
                while out and out[-1] == ";":  # `;` before `}` or another `;`: an empty declaration
                    out.pop()
                    if positions:
                        starts.pop()
            colon_ws.clear()
            if value == ";" and out and out[-1] == "{":
                continue
        elif error:
            errors.append(len(out))
        out.append(value)
        if positions:
            starts.append(start)
        if len(out) >= _CHUNK + _KEEP:
            cut = min(len(out) - _KEEP, colon_ws[0] if colon_ws else len(out))
            if cut >= _CHUNK // 2:
                yield out[:cut], starts[:cut], [e for e in errors if e < cut]
                del out[:cut], starts[:cut]
                errors = [e - cut for e in errors if e >= cut]
                colon_ws = [i - cut for i in colon_ws]
                given += cut
    if out:
        yield out, starts, errors


def _changed(source: str, value: str, pos: int, became: str) -> str:
    return f"{_show(value)} (line {_line(source, pos)}) would become {_show(became) if became else 'nothing'}"


def _show(value: str) -> str:
    if not value.strip():
        return "a space"
    return "`" + (value if len(value) <= 40 else value[:37] + "...") + "`"


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
