"""The JavaScript lexer and the CSS tokenizer, table-tested: text in, tokens out.

For JS, `literals(text)` lists the tokens that are not names, punctuators or numbers
(strings, template parts, regexes, errors): where the lexer decides regex or division,
or where a template or string ends, shows there."""

from __future__ import annotations

import pytest

from assetpub.compilers import csslex, jslex


def kind(lexed: jslex.Lexed, i: int) -> str:
    """What token i is, from its text (as the scanner tells them apart)."""
    v = lexed.values[i]
    if i in lexed.errors:
        return "error"
    if v[0] in "'\"":
        return "str"
    if v[0] == "`":
        return "tpl_head" if v.endswith("${") else "tpl"
    if v[0] == "}" and len(v) > 1:
        return "tpl_mid" if v.endswith("${") else "tpl_tail"
    if v[0] == "/" and len(v) > 2:
        return "regex"
    return "other"


def literals(text: str) -> list[str]:
    lexed = jslex.lex(text)
    return [f"{kind(lexed, i)} {v}" for i, v in enumerate(lexed.values) if kind(lexed, i) != "other"]


def significant(text: str) -> list[str]:
    return jslex.lex(text).values


@pytest.mark.parametrize(
    "text, expected",
    [
        # regex or division, from the previous significant token
        ("const isImage = (t) => /^image\\//.test(t);", ["regex /^image\\//"]),
        ("a = b / c / d", []),
        ("a = b\n/ c / d", []),
        ("x = (a) / 2 / (b)", []),
        ("if (a) /re/.test(b)", ["regex /re/"]),
        ("while (x) /re/g.exec(s)", ["regex /re/g"]),
        ("for (;;) /a/.test(b)", ["regex /a/"]),
        ("for await (const x of y) /a/.test(x)", ["regex /a/"]),
        ("f(a) / 2 / g", []),
        ("x.if(a) / 2 / b", []),
        ("{} /re/.test(s)", ["regex /re/"]),
        ("function f() {} /re/.test(s)", ["regex /re/"]),
        ("x = {} / 2 / y", []),
        ("x = { a: 1 } / 2 / y", []),
        ("return { a: 1 } / 2 / y", []),
        ("switch (x) { case 1: {} /re/.test(s) }", ["regex /re/"]),
        ("x = a ? {} : {} / 2 / y", []),
        ("a = [1] / 2 / b", []),
        ("a++ / 2 / b", []),
        ("a-- / 2 / b", []),
        ("x = ... /a/.source", ["regex /a/"]),
        ("f(.../a/g)", ["regex /a/g"]),
        ("return /a/", ["regex /a/"]),
        ("typeof /a/", ["regex /a/"]),
        ("case /a/.source:", ["regex /a/"]),
        ("yield / a /.source", ["regex / a /"]),
        ("await / a /.source", ["regex / a /"]),
        ("void /a/", ["regex /a/"]),
        ("delete /a/.x", ["regex /a/"]),
        ("x in /a/", ["regex /a/"]),
        ("for (x of /a/g.exec(s)) ;", ["regex /a/g"]),
        ("throw /a/", ["regex /a/"]),
        ("x = y.return / 2 / z", []),
        ("x = this / 2 / y", []),
        ("a = b ? /x/ : /y/", ["regex /x/", "regex /y/"]),
        ("a = !/x/.test(s)", ["regex /x/"]),
        ("a = b && /x/.test(s)", ["regex /x/"]),
        ("a /= 2 / b", []),
        ("x = /[/]/.source", ["regex /[/]/"]),
        ("x = /[\\]/]+/g", ["regex /[\\]/]+/g"]),
        ("x = /a\\/b/v", ["regex /a\\/b/v"]),
        ("x = /=/.test(s)", ["regex /=/"]),
        ("x = a\n/re/g.test(s)", []),  # a division, as ASI does not apply
        ("x = 1 /*c*/ / 2 / 3", []),
        ("x = // c\n/re/.test(s)", ["regex /re/"]),
        # strings and templates
        ("'a\\'b' + \"c\\\"d\"", ["str 'a\\'b'", 'str "c\\"d"']),
        ("'line\\\ncontinued'", ["str 'line\\\ncontinued'"]),
        ("'line\\\r\ncontinued'", ["str 'line\\\r\ncontinued'"]),
        ("'unterminated\nx = 1", ["error 'unterminated"]),
        ("`a ${b} c`", ["tpl_head `a ${", "tpl_tail } c`"]),
        ("`a $ {b} \\${c}`", ["tpl `a $ {b} \\${c}`"]),
        ("`rgb(${r}${a === 1 ? \")\" : `, ${a})`}`", ['tpl_head `rgb(${', "tpl_mid }${", 'str ")"', "tpl_head `, ${", "tpl_tail })`", "tpl_tail }`"]),
        ("`${{a: 1}.a}`", ["tpl_head `${", "tpl_tail }`"]),
        ("`${`${`${x}`}`}`", ["tpl_head `${", "tpl_head `${", "tpl_head `${", "tpl_tail }`", "tpl_tail }`", "tpl_tail }`"]),
        ("`${/`/.source}` + `https://x`", ["tpl_head `${", "regex /`/", "tpl_tail }`", "tpl `https://x`"]),
        ('`${"x/y".replace(/\\//g, "-")}`', ["tpl_head `${", 'str "x/y"', "regex /\\//g", 'str "-"', "tpl_tail }`"]),
        ("`${a}` / 2 / b", ["tpl_head `${", "tpl_tail }`"]),
        ("tag`x${y}z` / 2", ["tpl_head `x${", "tpl_tail }z`"]),
        ("`${ `}` }`", ["tpl_head `${", "tpl `}`", "tpl_tail }`"]),
        ("`${ '}' }`", ["tpl_head `${", "str '}'", "tpl_tail }`"]),
        ("`${ /* } */ a }`", ["tpl_head `${", "tpl_tail }`"]),
        ("`unterminated ${a", ["tpl_head `unterminated ${"]),
        ("`unterminated", ["error `unterminated"]),
        ("x = /unterminated\ny = 1", ["error /unterminated"]),
        # comments are not literals; a string in a comment is not a string
        ("// 'a'\n/* \"b\" */ c", []),
        ("#!/usr/bin/env node\nx = /a/", ["regex /a/"]),
    ],
)
def test_js_literals(text, expected):
    assert literals(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("class A { #current = null\n#queue = [] }", ["class", "A", "{", "#current", "=", "null", "#queue", "=", "[", "]", "}"]),
        ("#x in obj", ["#x", "in", "obj"]),
        ("1_000_000n + 0x_ff + .5e-3 + 1..toString()", ["1_000_000n", "+", "0x_ff", "+", ".5e-3", "+", "1.", ".", "toString", "(", ")"]),
        ("a?.b ?? c?.[d] ?.5:e", ["a", "?.", "b", "??", "c", "?.", "[", "d", "]", "?", ".5", ":", "e"]),
        ("a >>>= b **= c ||= d &&= e ??= f", ["a", ">>>=", "b", "**=", "c", "||=", "d", "&&=", "e", "??=", "f"]),
        ("x => ({...y})", ["x", "=>", "(", "{", "...", "y", "}", ")"]),
        ("caf\\u00e9 + \\u{1F600}x + ümlaut", ["caf\\u00e9", "+", "\\u{1F600}x", "+", "ümlaut"]),
        ("@decorator class C {}", ["@", "decorator", "class", "C", "{", "}"]),
        ("a\u2028b\u00a0c\ufeffd", ["a", "b", "c", "d"]),
    ],
)
def test_js_significant_tokens(text, expected):
    assert significant(text) == expected


@pytest.mark.parametrize(
    "text, newlines, comments",
    [
        ("a\nb", [1], []),
        ("a /* x */ b", [], ["/* x */"]),
        ("a /* \n */ b", [1], ["/* \n */"]),
        ("a // x\nb", [1], ["// x"]),
        ("a \r\n\t \n b", [1], []),
        ("a\u2028b\u2029c", [1, 2], []),
        ("#!/bin/node\nx", [0], ["#!/bin/node"]),
        ("\n\na = 1\n", [0, 3], []),
    ],
)
def test_js_line_terminators_and_comments(text, newlines, comments):
    lexed = jslex.lex(text)
    assert lexed.newlines == newlines
    assert [text[s:e] for s, e in lexed.comments] == comments


def test_js_positions_of_literals_and_lines_of_runs():
    text = "a = b + c\n  d = 'x' + e\n    f"
    lexed = jslex.lex(text)
    assert lexed.values == ["a", "=", "b", "+", "c", "d", "=", "'x'", "+", "e", "f"]
    assert lexed.starts[7] == text.index("'x'")
    assert [text.count("\n", 0, lexed.position(i)) + 1 for i in range(len(lexed.values))] == [1] * 5 + [2] * 5 + [3]


def test_js_deep_nesting_is_iterative_then_an_error_with_a_position():
    deep = "`${" * 800 + "x" + "}`" * 800
    assert jslex.lex(deep).values.count("`${") == 800
    with pytest.raises(jslex.LexError, match="nested more than 1000 levels") as e:
        jslex.lex("x = " + "(" * 1200)
    assert e.value.pos == 0  # the start of the run of tokens it happens in


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a { color: red }", ["ident a", "punct {", "ident color", "punct :", "ident red", "punct }"]),
        ("url( a b.png )", ["error url( a b.png )"]),
        ("url( a.png )", ["url url( a.png )"]),
        ("URL(a\\).png)", ["url URL(a\\).png)"]),
        ('url( "a b.png" )', ["function url(", 'str "a b.png"', "punct )"]),
        ("image-set('a.png' 1x)", ["function image-set(", "str 'a.png'", "num 1x", "punct )"]),
        ("@import 'x.css';", ["at @import", "str 'x.css'", "punct ;"]),
        ("#fff 1.5em -2px +.5% 1e3 1em", ["hash #fff", "num 1.5em", "num -2px", "num +.5%", "num 1e3", "num 1em"]),
        ("calc(1px + 2px)", ["function calc(", "num 1px", "delim +", "num 2px", "punct )"]),
        ("calc(1px+2px)", ["function calc(", "num 1px", "num +2px", "punct )"]),
        ("--x: { a }", ["ident --x", "punct :", "punct {", "ident a", "punct }"]),
        ("\\31 0a", ["ident \\31 0a"]),
        ("'unterminated\na", ["error 'unterminated", "ident a"]),
        ("<!-- a -->", ["cdo <!--", "ident a", "cdc -->"]),
        ("/* a */ b /* unterminated", ["comment /* a */", "ident b", "comment /* unterminated"]),
        ("a\\(b", ["ident a\\(b"]),  # an escaped `(` is part of the name
        ("a\\\\(b)", ["function a\\\\(", "ident b", "punct )"]),  # an escaped backslash, then a function
        ("@import\\( #a\\( 1px\\(", ["at @import\\(", "hash #a\\(", "num 1px\\("]),
        ("url(", ["error url("]),
        ("url(  ", ["error url(  "]),
        ("url(\\", ["error url(", "delim \\"]),
        ("url(  'a'", ["function url(", "str 'a'"]),
        ("-url(a)", ["function -url(", "ident a", "punct )"]),
        ("'a\\\nb' c", ["str 'a\\\nb'", "ident c"]),  # a line continuation
    ],
)
def test_css_tokens(text, expected):
    assert [f"{k} {text[s:e]}" for k, s, e in csslex.tokens(text) if k != "ws"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "a{b:1.5e+5px}",  # a number cut after `1.`, `1.5e` or `1.5e+` reads shorter
        "<!-- a --> b",  # `<!-` reads `<`
        "x\\41 y",  # an escape cut after its backslash
        "'a b c d e f g' h",  # a string cut reads as unterminated
        "'a\\\nb c d e' f",  # … across a line continuation, and cut at its backslash
        "'unterminated\na 'b'",
        "url(  a.png  ) url( 'b' ) url(c d)",
        "/* a comment that is cut */ b",
        '"\\"" "x',
    ],
)
def test_css_texts_split_a_window_at_a_time_as_in_one_piece(text):
    """csslex.texts splits a huge text a window at a time (bounded memory); whatever
    window size, the tokens are those of the whole text split at once."""
    whole = csslex._TEXTS.findall(text)
    assert "".join(whole) == text
    for window in range(1, len(text) + 2):
        assert list(csslex.texts(text, window)) == whole, window


@pytest.mark.parametrize(
    "value, function, ident",
    [
        ("a(", True, False),
        ("url(", True, False),
        ("(", False, False),
        ("a\\(", False, True),
        ("a\\\\(", True, False),
        ("@a(", False, False),
        ("--x", False, True),
        ("-->", False, False),
        ("1px", False, False),
        ("-", False, False),
    ],
)
def test_css_function_and_name_tokens(value, function, ident):
    assert (csslex.is_function(value), csslex.is_ident(value)) == (function, ident)


@pytest.mark.parametrize(
    "text, value, error",
    [
        ("'a' b", "'a'", False),
        ("'a\nb", "'a", True),
        ("'a\\'", "'a\\'", True),
        ("url(a)", "url(a)", False),
        ("url(a b)", "url(a b)", True),
        ("url( 'a')", "url(", False),  # the function before a quoted url
        ("url(", "url(", True),
    ],
)
def test_css_errors(text, value, error):
    assert text.startswith(value)
    assert csslex.is_error(value, text, len(value)) == error
