"""Minification never changes behaviour: built (and minified, where shown safe) JavaScript
runs under node exactly like its source; a built stylesheet parses (tinycss2, not our
tokenizer) to the same rules as its source. Where the minifier would change the
program, the source ships unminified with a note naming the file and the construct."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import rjsmin

from assetpub.minify import minify
from assetpub.minify_check import css_difference, js_difference
from tests.build.conftest import output_text

NODE = shutil.which("node")
FIXTURES = Path(__file__).parent / "fixtures" / "modern"
needs_node = pytest.mark.usefixtures("node")


def node(code_or_file, cwd=None) -> subprocess.CompletedProcess:
    if isinstance(code_or_file, Path):
        return subprocess.run([NODE, code_or_file.name], cwd=code_or_file.parent, capture_output=True, text=True, timeout=60)
    return subprocess.run([NODE, "--input-type=module"], input=code_or_file, capture_output=True, text=True, timeout=60)


@needs_node
def test_modern_modules_run_identically_after_the_build(build, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(FIXTURES, src)
    result = build(src)
    out = tmp_path / "out"
    (out / "package.json").write_text('{"type": "module"}')
    original = node(src / "main.js")
    built = node(out / result.manifest.path("main.js"))
    assert original.returncode == 0, original.stderr
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout) == json.loads(original.stdout)
    # what rjsmin would break ships as written, one note per file naming the construct
    noted = {Path(n.split(":")[0]).name: n for n in result.notes}
    assert sorted(noted) == ["classes.js", "generators.js", "regexes.js", "templates.js"]
    assert "between `null` and `#queue`" in noted["classes.js"]
    assert "`/ a /` (line 8) would become `/a/`" in noted["generators.js"]
    assert "``, ${` (line 1) would become ``,${`" in noted["templates.js"]
    assert result.summary()["not_minified"] == 4
    for name in noted:
        assert output_text(result, name) == (src / name).read_text()
    for name in ("asi.js", "misc.js", "async.js"):  # the rest is minified
        assert len(output_text(result, name)) < 0.9 * len((src / name).read_text()), name
    assert "// Entry" not in output_text(result, "main.js") and "\n" not in output_text(result, "main.js")
    assert output_text(result, "misc.js").startswith("/*! misc v1 | MIT */")
    # a file naming a source map is never minified
    mapped = output_text(result, "mapped.js")
    assert mapped.startswith("export const mapped = (t) => /^image\\//.test(t);\n//# sourceMappingURL=mapped.js.")
    # and the reference after the template with a regex in it was rewritten
    assert f'import("./{result.manifest.path("after-template.js")}")' in output_text(result, "main.js")


# Each construct the issue saw broken, as a program printing what it computes.
CONSTRUCTS = [
    "const isImage = (t) => /^image\\//.test(t);\nconsole.log(isImage('image/png'), isImage('x'))",
    "class Q {\n  #current = null\n  #queue = []\n  get n() { return [this.#current, this.#queue.length] }\n}\nconsole.log(new Q().n)",
    "const a = `${/`/.source}`;\nconst u = `https://example.com/x`;\nconsole.log(a, u)",
    "const rgb = (r, a) => `rgb(${r}${a === 1 ? \")\" : `, ${a})`}`;\nconsole.log(rgb(1, 1), rgb(1, 0.5))",
    "function* g() { yield / a /.source }\nconsole.log([...g()])",
    "const k = (v) => { switch (v) { case / b /.source: return 1 } return 0 };\nconsole.log(k(' b '))",
    "console.log([.../ c /.source])",
    'const s = `${"x/y".replace(/\\//g, "-")}`;\nconsole.log(s, typeof import.meta)',
    "let a = 1\nlet b = a\n++a\nconsole.log(a, b)",
    "function f() {\n  return\n  1\n}\nconsole.log(f())",
    "const x = 4, g = 2, i = 1\nconst y = x\n/2/i\nconsole.log(y)",
    "const t = `a  ${`b  ${'c  d'}`}`\nconsole.log(t, String.raw`x\\n  ${t}`)",
]


@needs_node
@pytest.mark.parametrize("program", CONSTRUCTS)
def test_each_construct_minifies_to_the_same_behaviour_or_not_at_all(program):
    out, note = minify(program, "js")
    expected = node(program)
    assert expected.returncode == 0, expected.stderr
    got = node(out)
    assert got.returncode == 0 and got.stdout == expected.stdout, (out, got.stderr)
    if note is None:
        assert js_difference(program, out) is None
    else:
        assert out == program and note.startswith("not minified (rjsmin): ")


@needs_node
def test_the_check_refuses_what_rjsmin_breaks():
    """The fallback is needed: rjsmin's own output of these constructs runs differently."""
    broken = 0
    for program in CONSTRUCTS:
        raw = rjsmin.jsmin(program, keep_bang_comments=True)
        if node(raw).stdout != node(program).stdout:
            broken += 1
            assert js_difference(program, raw) is not None, program
    assert broken >= 5


@pytest.mark.parametrize(
    "source, minified, expected",
    [
        ("a = 1;\nb = 2;\n", "a=1;b=2;", None),
        ("a = 1\nb = 2\n", "a=1\nb=2", None),
        ("a = 1\nb = 2\n", "a=1b=2", "the line break between `1` and `b` (line 2) would be removed"),
        ("a = 1\nb = 2\n", "a=1\nb=3", "`2` (line 2) would become `3`"),
        ("a = b\n+ c", "a=b+c", None),
        ("a = b\n.c", "a=b.c", None),
        ("a = [\n1,\n2\n]", "a=[1,2]", None),
        ("a = b\n(c)", "a=b(c)", "between `b` and `(`"),
        ("a\n++b", "a++b", "between `a` and `++`"),
        ("a =\n++b", "a=++b", None),
        ("return\nx", "return x", "between `return` and `x`"),
        ("x = function () {\n  return 1\n}\n", "x=function(){return 1}", None),
        ("a = 1", "a=1\n", None),
        ("a = b", "a=\nb", "a line break would be added before `b`"),
        ("x = / a /", "x=/a/", "`/ a /` (line 1) would become `/a/`"),
        ("x = 'a  b'", "x='a b'", "`'a  b'` (line 1) would become `'a b'`"),
        ("/*! keep */ x = 1 // c", "/*! keep */x=1", None),
        ("x = 'unterminated", "x='unterminated", "is unterminated: not valid JavaScript"),
        ("x = 1; y = 2", "x=1;", "`y` (line 1) would become nothing"),
        ("x = 1", "x=1;y", "`;` would be added at the end"),
        ("a = b\n- c", "a=b-c", None),
        ("a++\n(b)", "a++(b)", "between `++` and `(`"),
    ],
)
def test_js_difference(source, minified, expected):
    found = js_difference(source, minified)
    assert found is None if expected is None else expected in found


@pytest.mark.parametrize(
    "source, minified, expected",
    [
        ("a { color : red ; }", "a{color:red}", None),
        ("a :hover { b: c }", "a:hover{b:c}", "a space"),
        ("a .b { }", "a.b{}", "a space"),
        ("a { b :hover { c: d } }", "a{b:hover{c:d}}", "a space"),
        ("a > b , c ~ d + e { }", "a>b,c~d+e{}", None),
        ("a { width: calc(1px + 2px) }", "a{width:calc(1px+2px)}", "a space (line 1) would become `+2px`"),
        ("a { width: calc(var(--a) + var(--b)) }", "a{width:calc(var(--a)+var(--b))}", "a space (line 1) would become `+`"),
        ("a { width: calc(var(--a) + var(--b)) }", "a{width:calc(var(--a)+ var(--b))}", "a space (line 1) would become `+`"),
        ("a { content: 'a  b' }", "a{content:'a b'}", "`'a  b'`"),
        ("a { b: url( x.png ) }", "a{b:url(x.png)}", "`url( x.png )`"),
        ("@media (a) and (b) { a { b: c } }", "@media (a) and (b){a{b:c}}", None),
        ("@media (a) and (b) { }", "@media (a) and(b){}", "`and`"),
        ("a { b: c;; d: e; }", "a{b:c;d:e}", None),
        ("a { b: 'x }", "a{b:'x}", "unterminated"),
    ],
)
def test_css_difference(source, minified, expected):
    found = css_difference(source, minified)
    assert found is None if expected is None else expected in found


STYLESHEET = """/*! theme | MIT */
@charset "utf-8";
@import url("base.css") layer(base);
:root { --gap : 4px; --empty:; --list: a  b; --shadow: 0 1px rgb(1 2 3 / 8%), 0 8px; --font: system-ui, "A B"; }
a :hover, a .b , a > c + d ~ e { color : red ; margin: 0 auto !important }
.card { background: url( "img/b c.png" ) no-repeat , image-set("a.png" 1x, "b.png" type("image/png")) ;
  width: calc(100% - var(--gap) * 2); content: "a  /* not a comment */  b"; grid-template-areas: "a b" "c d"; }
@media (min-width: 600px) and (prefers-color-scheme: dark) { .card { color: #fff } }
@supports (display: grid) and (not (display: inline-grid)) { .grid { display: grid } }
.nest { color: blue; & .child { color: red } .x :is(.y) { color: green } b :hover { color: pink } }
@font-face { font-family: "My Font"; src: url(font.woff2) format("woff2"); unicode-range: U+0025-00FF; }
@keyframes spin { from { transform: rotate(0deg) } to { transform: rotate(360deg) } }
"""


def _rules(css: str):
    """Rules as tinycss2 parses them: preludes and declarations, white space normalised
    only where CSS says it is insignificant (around the delimiters of a block)."""
    tinycss2 = pytest.importorskip("tinycss2")

    def text(nodes, prelude=False):
        t = " ".join(tinycss2.serialize(nodes).split()).strip()
        t = re.sub(r"\s*([,>~+])\s*" if prelude else r"\s*(,)\s*", r"\1", t)  # combinators, lists
        return re.sub(r"\s+\)", ")", re.sub(r"([(:])\s+", r"\1", t))

    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        prelude = text(rule.prelude, True) if rule.prelude is not None else None
        body = None
        if rule.content is not None:
            body = [
                (d.type, getattr(d, "name", None), text(getattr(d, "value", None) or getattr(d, "prelude", [])))
                for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            ]
        out.append((rule.type, getattr(rule, "at_keyword", None), prelude, body))
    return out


@pytest.mark.parametrize(
    "variant, note",
    [
        ("plain", None),
        # rcssmin would join `b :hover` into `b:hover`, another selector
        ("nested", "not minified (rcssmin): a space (line 10) would become `:`"),
    ],
)
def test_built_stylesheet_parses_to_the_same_rules(make_site, build, variant, note):
    """Where rcssmin's output is shown the same it is used; where not, the source ships."""
    plain = "\n".join(line for line in STYLESHEET.splitlines() if not line.startswith(".nest")) + "\n"
    css = {"plain": plain, "nested": STYLESHEET}[variant]
    src = make_site({"css/site.css": css, "css/base.css": "b{}", "css/img/b c.png": b"png", "css/a.png": b"a",
                     "css/b.png": b"b", "css/font.woff2": b"w"})
    result = build(src, minify=True, strict=True)
    built = output_text(result, "css/site.css")
    m = result.manifest

    def name(n):
        return m.path(n).rsplit("/", 1)[1]

    # the source with its references rewritten: what the built file must mean
    expected = (
        css.replace('url("base.css")', f'url("{name("css/base.css")}")')
        .replace('"img/b c.png"', f'"img/{name("css/img/b c.png")}"')
        .replace('"a.png" 1x, "b.png"', f'"{name("css/a.png")}" 1x, "{name("css/b.png")}"')
        .replace("url(font.woff2)", f"url({name('css/font.woff2')})")
    )
    if note:
        assert built == expected
        assert len(result.notes) == 1 and result.notes[0].endswith("site.css: " + note)
    else:
        assert not result.notes and len(built) < 0.9 * len(expected)
    assert _rules(built.replace("%20", " ")) == _rules(expected)
    assert built.startswith("/*! theme | MIT */")


def test_minify_js_setting(make_site, build, tmp_path):
    import assetpub
    from assetpub.config import load_config

    files = {"a.js": "const  a = 1;\n", "a.css": "a {  color: red }\n"}
    off = build(make_site(files), minify_js=False)
    assert output_text(off, "a.js") == files["a.js"] and output_text(off, "a.css") == "a{color:red}"
    on = build(make_site(files, root="src2"), minify_js="rjsmin", out=tmp_path / "o2")
    assert output_text(on, "a.js") == "const a=1;"
    with pytest.raises(assetpub.ConfigError, match="minify_js must be \"auto\", \"rjsmin\" or false .*, not string 'tdewolff'"):
        build(make_site(files, root="src3"), minify_js="tdewolff", out=tmp_path / "o3")
    config = tmp_path / "assetpub.toml"
    config.write_text('minify_js = "terser"\n')
    with pytest.raises(assetpub.ConfigError, match=r"assetpub.toml: key 'minify_js' must be \"auto\", \"rjsmin\" or false .*, not string 'terser'"):
        load_config(config)
