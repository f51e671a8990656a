"""Adversarial input for the three reference scanners (and the minifier's check): nesting,
long runs and unterminated tokens cost time linear in their length, never recursion.

Cost is counted, not timed: every Python and C call the scanner makes (each regex match,
each string search) is an operation, via sys.setprofile. Each family of crafted text is
scanned at two sizes; four times the text may cost at most five times the operations
(plus half an operation per character of the larger text). Work inside one regex call
(backtracking) is invisible to this count: the patterns are written so that they cannot
backtrack more than linearly (unrolled loops, no retry over a run of white space), and
benchmarks/bench_adversarial.py times every family below at 64 KB (it caught a findall
that retried at each trailing space of a run: 20 s for `import` + 16,000 spaces)."""

from __future__ import annotations

import sys

import pytest

import assetpub
from assetpub.compilers import css, html, js, jslex
from assetpub.minify_check import css_difference, js_difference


def operations(fn, text: str) -> int:
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += 1

    sys.setprofile(profile)
    try:
        fn(text)
    except jslex.LexError:
        pass
    finally:
        sys.setprofile(None)
    return count


def lex_js(text):
    jslex.lex(text)


JS = {
    "import + spaces": lambda n: "import" + " " * n,
    "import { + spaces": lambda n: "import {" + " " * n,
    "export { repeated": lambda n: "export {" * (n // 8),
    "import a, repeated": lambda n: "import a," * (n // 9),
    "import( repeated": lambda n: "import(" * (n // 7),
    "new URL( repeated": lambda n: "new URL(" * (n // 8),
    "nested templates": lambda n: "`${" * (n // 60) + "x" + "}`" * (n // 60),  # under the nesting limit
    "nested parens": lambda n: "(" * (n // 60),
    "unterminated templates": lambda n: "`" + "${`" * (n // 3),
    "unterminated strings": lambda n: "'x\n" * (n // 3),
    "unterminated regex classes": lambda n: "x=/[" * (n // 4),
    "regex or division": lambda n: "a/b/" * (n // 4),
    "slashes after parens": lambda n: "if(a)/" * (n // 6),
    "unterminated comment": lambda n: "/*" + "*" * n,
    "line comments": lambda n: "//\n" * (n // 3),
    "backslashes": lambda n: "\\" * n,
    "identifier escapes": lambda n: "\\u0041" * (n // 6),
    "template dollars": lambda n: "`" + "$" * n + "`",
    "closing braces": lambda n: "}" * n,
}

CSS = {
    "url( + spaces": lambda n: "a{b:url(" + " " * n,
    "url( + spaces + x": lambda n: "a{b:url(" + " " * n + "x" + " " * n,
    "url( repeated": lambda n: "url(" * (n // 4),
    "url(' repeated": lambda n: "url('" * (n // 5),
    "nested image-set": lambda n: "a{b:" + "image-set(" * (n // 120) + ")" * (n // 120) + "}",
    "image-set( unclosed, repeated": lambda n: "image-set('a' " * (n // 14),
    "@import repeated": lambda n: "@import " * (n // 8),
    "unterminated strings": lambda n: '"\n' * (n // 2),
    "unterminated comment": lambda n: "/*" + "/" * n,
    "escapes": lambda n: "\\" * n,
    "numbers and idents": lambda n: "-1e" * (n // 3),
}

HTML = {
    '"<a " repeated': lambda n: '"<a ' * (n // 4),
    "<a repeated": lambda n: "<a" * (n // 2),
    "<a b= repeated": lambda n: "<a b=" * (n // 5),
    "<style> unclosed, repeated": lambda n: "<style>" * (n // 7),
    "<script> unclosed, repeated": lambda n: "<script>" * (n // 8),
    "<!-- unclosed, repeated": lambda n: "<!--" * (n // 4),
    "srcset spaces": lambda n: '<img srcset="' + " " * n + '">',
    "srcset commas": lambda n: '<img srcset="' + "a 1x," * (n // 5) + '">',
    "style attribute url(": lambda n: '<p style="url(' + " " * n + '">',
    "unquoted values": lambda n: "<a href=" + "x" * n,
}


def _assert_linear(fn, make):
    small, large = make(4_000), make(16_000)
    cost_small, cost_large = operations(fn, small), operations(fn, large)
    assert cost_large <= 5 * cost_small + len(large) // 2, (len(small), cost_small, len(large), cost_large)


@pytest.mark.parametrize("family", sorted(JS))
def test_js_scanner_and_lexer_are_linear(family):
    _assert_linear(js.references, JS[family])
    _assert_linear(lex_js, JS[family])


@pytest.mark.parametrize("family", sorted(CSS))
def test_css_scanner_is_linear(family):
    _assert_linear(css.references, CSS[family])


@pytest.mark.parametrize("family", sorted(HTML))
def test_html_scanner_is_linear(family):
    _assert_linear(html.references, HTML[family])


@pytest.mark.parametrize("family", ["unterminated strings", "regex or division", "nested templates", "line comments"])
def test_js_minify_check_is_linear(family):
    _assert_linear(lambda text: js_difference(text, text), JS[family])


@pytest.mark.parametrize("family", ["url( + spaces", "nested image-set", "unterminated strings"])
def test_css_minify_check_is_linear(family):
    _assert_linear(lambda text: css_difference(text, text), CSS[family])


def test_deep_nesting_is_scanned_without_recursion():
    """800 nested template literals and 900 nested image-set( are fine (no recursion);
    nesting beyond the limit is one clear error, not a RecursionError."""
    deep_js = "export const x = " + "`${" * 800 + 'import("./a.js")' + "}`" * 800 + ";\n"
    refs, _ = js.references(deep_js)
    assert [r.url for r in refs] == ["./a.js"]
    deep_css = "a { b: " + "image-set(" * 900 + "'a.png' 1x" + ")" * 900 + " }"
    assert [r.url for r in css.references(deep_css)[0]] == ["a.png"]


@pytest.mark.parametrize(
    "name, text, line",
    [
        ("js/deep.js", "import './a.js';\nconst b = " + "f(" * 1200 + "\n", 2),
        ("js/deep.js", "x = " + "`${" * 1200 + "import('./a.js')", 1),
        ("css/deep.css", "a {}\n\nb { c: " + "image-set(" * 1200, 3),
        ("deep.html", "<p>\n<style>a {\n\n b: url(a.png) " + "calc(" * 1200 + "</style>", 4),
    ],
)
def test_nesting_beyond_the_limit_is_a_clear_error_naming_file_and_line(tmp_path, name, text, line):
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(assetpub.BuildError) as e:
        assetpub.build([tmp_path / "src"], out=tmp_path / "out")
    message = str(e.value)
    assert f"{name}:{line}:" in message and "nested more than 1000 levels deep" in message, message
    assert not (tmp_path / "out" / "assetpub-manifest.json").exists()


def test_cache_keeps_no_scan_of_a_file_with_huge_numbers_of_references(tmp_path, monkeypatch):
    """A generated stylesheet with more url() than MAX_SCAN_REFS is scanned again on the
    next build rather than bloating OUT/.assetpub/cache.json; the output stays right."""
    import json

    from assetpub import cache

    monkeypatch.setattr(cache, "MAX_SCAN_REFS", 50)
    src = tmp_path / "src"
    (src / "img").mkdir(parents=True)
    (src / "img/a.png").write_bytes(b"\x89PNG")
    (src / "many.css").write_text("".join(f".c{i}{{background:url(img/a.png)}}\n" for i in range(51)))
    (src / "few.css").write_text(".c{background:url(img/a.png)}\n")
    for _ in range(2):
        result = assetpub.build([src], out=tmp_path / "out")
        built = (tmp_path / "out" / result.manifest.path("many.css")).read_text()
        assert built.count(result.manifest.path("img/a.png").rsplit("/", 1)[1]) == 51
    scans = json.loads((tmp_path / "out/.assetpub/cache.json").read_text())["scans"]
    assert len(scans) == 1 and len(next(iter(scans.values()))[0]) == 1  # few.css only


def test_a_huge_stylesheet_is_tokenized_a_window_at_a_time(monkeypatch):
    """Bounded memory for huge generated stylesheets: the scanner and the minifier's check
    never hold the tokens of the whole text at once (csslex splits a window at a time),
    and a url written 100,000 times is one string in the references."""
    from assetpub.compilers import csslex

    batches = []
    real = csslex._TEXTS

    class Counting:
        def findall(self, *args):
            found = real.findall(*args)
            batches.append(len(found))
            return found

    monkeypatch.setattr(csslex, "_TEXTS", Counting())
    text = ".c{background:url(img/a.png)}\n" * 100_000  # 3.1 MB, 800,000 tokens
    refs, _ = css.references(text)
    assert len(refs) == 100_000 and len({id(r.url) for r in refs}) == 1
    assert not hasattr(refs[0], "__dict__")  # slots: a reference costs its fields only
    assert css_difference(text, text.replace("\n", "")) is None
    assert len(batches) > 100 and max(batches) <= csslex.WINDOW
