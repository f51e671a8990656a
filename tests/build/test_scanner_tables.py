"""Each reference scanner, table-tested in the style of Propshaft's compiler tests: text
in, references out (as `kind url`), one line per case."""

from __future__ import annotations

import pytest

from assetpub.compilers import css, html, js


def found(scanner, text: str) -> list[str]:
    refs, _ = scanner(text)
    for r in refs:  # every span is exactly the url as written
        assert text[r.start : r.end] == r.url
    return [f"{r.kind} {r.url}" for r in sorted(refs, key=lambda r: r.start)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('import a from "./a.js";', ["module ./a.js"]),
        ("import './side.js'", ["module ./side.js"]),
        ('import * as ns from "./ns.js"', ["module ./ns.js"]),
        ('import d, { a, b as c } from "./m.js"', ["module ./m.js"]),
        ('import d, * as ns from "./m.js"', ["module ./m.js"]),
        ('import {\n  a,\n  b,\n} from "./m.js"', ["module ./m.js"]),
        ('import { "a-b" as ab } from "./m.js"', ["module ./m.js"]),
        ('import from from "./from.js"', ["module ./from.js"]),
        ('import data from "./d.json" with { type: "json" }', ["module ./d.json"]),
        ('export * from "./all.js"', ["module ./all.js"]),
        ('export * as ns from "./ns.js"', ["module ./ns.js"]),
        ('export { a, b as default } from "./m.js"', ["module ./m.js"]),
        ("export { a, b }; const x = 1", []),
        ("export const a = 1, b = import('./lazy.js')", ["module ./lazy.js"]),
        ('await import("./b.js")', ["module ./b.js"]),
        ('import("./b.js", { with: { type: "json" } })', ["module ./b.js"]),
        ("import(`./tpl.js`)", ["module ./tpl.js"]),
        ("import(`./${name}.js`)", []),
        ("import(name)", []),
        ("import.meta.url", []),
        ("x.import('./no.js')", []),
        ('new URL("./a.png", import.meta.url)', ["url ./a.png"]),
        ("new URL(\n  '../a.png',\n  import.meta.url,\n)", ["url ../a.png"]),
        ("new URL(`./a.svg`, import.meta.url)", ["url ./a.svg"]),
        ('new URL("./a.png", location.href)', []),
        ('URL("./a.png", import.meta.url)', []),
        ('new URL("./a.png")', []),
        # never inside comments, strings, template text or regexes
        ('// import "./no.js"\n/* import "./no.js" */', []),
        ("const s = 'import \"./no.js\"'", []),
        ("const t = `import \"./no.js\"`", []),
        ("const r = /import \"\\.\\/no.js\"/", []),
        # but inside ${…}
        ('html`<img src=${new URL("./a.png", import.meta.url)}>`', ["url ./a.png"]),
        ("`${await import('./in-tpl.js')}`", ["module ./in-tpl.js"]),
        ("`${`${import('./deep.js')}`}`", ["module ./deep.js"]),
        # the constructs the issue saw lose the scanner's place
        ('`${"x/y".replace(/\\//g, "-")}`\nawait import("./b.js")', ["module ./b.js"]),
        ("const isImage = (t) => /^image\\//.test(t);\nimport('./after-arrow.js')", ["module ./after-arrow.js"]),
        ("const a = `${/`/.source}`;\nconst u = `https://x`;\nimport('./after.js')", ["module ./after.js"]),
        ("const c = `rgb(${r}${a === 1 ? \")\" : `, ${a})`}`;\nimport('./n.js')", ["module ./n.js"]),
        ("function* g() { yield / a /.source }\nimport('./g.js')", ["module ./g.js"]),
        ("x = a / b; import('./div.js') / 2", ["module ./div.js"]),
        ("if (a) /'/.test(b); import('./if.js')", ["module ./if.js"]),
        ("x = {} / 2; y = '/'; import('./obj.js')", ["module ./obj.js"]),
        ("class A { #x = null\n#y = '`' }\nimport('./p.js')", ["module ./p.js"]),
        ("#!/usr/bin/env node\nimport './h.js'", ["module ./h.js"]),
        # source maps
        ("x()\n//# sourceMappingURL=a.js.map", ["sourcemap a.js.map"]),
        ("x()\n/*# sourceMappingURL=a.js.map */\n", ["sourcemap a.js.map"]),
        ("/*# sourceMappingURL=a.js.map */ x()", []),
        ("const s = '//# sourceMappingURL=no.map'", []),
    ],
)
def test_js_references(text, expected):
    assert found(js.references, text) == expected


def test_js_computed_import_is_a_note():
    refs, notes = js.references("import(`./${name}.js`)")
    assert not refs and len(notes) == 1 and "computed template literal `./${" in notes[0].message


@pytest.mark.parametrize(
    "text, expected",
    [
        (".a { background: url(a.png) }", ["url a.png"]),
        (".a { background: url( a.png ) }", ["url a.png"]),
        (".a { background: URL('a.png') }", ["url a.png"]),
        ('.a { background: url( "b c.png" ) }', ["url b c.png"]),
        ("@import 'x.css';", ["import x.css"]),
        ('@import "x.css" screen;', ["import x.css"]),
        ("@import url(x.css);", ["url x.css"]),
        ("@import url('x.css') layer(a);", ["url x.css"]),
        ("a { b: image-set('a.png' 1x, \"b.png\" 2x) }", ["url a.png", "url b.png"]),
        ("a { b: -webkit-image-set(url(a.png) 1x) }", ["url a.png"]),
        ("a { b: image-set('a.avif' type('image/avif'), 'b.png' type(\"image/png\")) }", ["url a.avif", "url b.png"]),
        ("a { b: image-set(url('a.png') 1x) }", ["url a.png"]),
        ("/* url(no.png) */ a { content: 'url(no.png)' }", []),
        ("a { content: \"image-set('no.png')\" }", []),
        ("a { b: my-url(no.png) }", []),
        ("a { b: url(data:image/png;base64,AAA=) }", ["url data:image/png;base64,AAA="]),
        ("a { b: url(a\\).png) }", ["url a\\).png"]),
        ("a { b: url(a b.png) }", []),  # a bad url(): browsers drop it too
        ("a { b: url(", []),
        ("a{}\n/*# sourceMappingURL=a.css.map */", ["sourcemap a.css.map"]),
        ("/*# sourceMappingURL=a.css.map */ a{}", []),
        ("a { mask: url(#m) }", ["url #m"]),
    ],
)
def test_css_references(text, expected):
    assert found(css.references, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ('<img src="a.png">', ["url a.png"]),
        ("<img src='a.png' alt='see src=x.png'>", ["url a.png"]),
        ("<img src=a.png>", ["url a.png"]),
        ('<IMG SRC = "a.png">', ["url a.png"]),
        ('<img srcset="a.png 1x, b.png 2x">', ["url a.png", "url b.png"]),
        ('<img srcset="a.png,b.png 2x">', ["url a.png", "url b.png"]),
        ('<video poster="p.jpg"></video>', ["url p.jpg"]),
        ('<a href="page.html">', ["navigation page.html"]),
        ('<area href="page.html">', ["navigation page.html"]),
        ('<link href="a.css">', ["url a.css"]),
        ('<svg><use xlink:href="s.svg#i"/></svg>', ["url s.svg#i"]),
        ('<div style="background: url(a.png)">', ["url a.png"]),
        ('<div style="background: url(&quot;a.png&quot;)">', []),
        ("<style>a { b: url(s.png) }</style>", ["url s.png"]),
        ("<STYLE media=x>a { b: url(s.png) }</Style >", ["url s.png"]),
        ('<script src="a.js"></script>', ["url a.js"]),
        ('<script>const s = "<img src=no.png>"</script><img src="y.png">', ["url y.png"]),
        ('<!-- <img src="no.png"> --><img src="y.png">', ["url y.png"]),
        ('<img :src="no.png" v-bind:src="no.png">', []),
        ('<img src="{{ x }}"><img src="${y}"><img src="<%= z %>">', []),
        ('<img data-src="no.png">', []),
        ('<img src="a.png"', ["url a.png"]),
        ('<img alt="unterminated src="no.png">', []),
        ("<p>a < b and src=no.png</p>", []),
        ('<script>never closed <img src="no.png">', []),
    ],
)
def test_html_references(text, expected):
    assert found(html.references, text) == expected
