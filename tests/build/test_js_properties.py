"""Property tests: generated modules mixing strings, nested templates, regexes, comments,
divisions and ASI-sensitive line breaks, with planted references. The scanner finds
exactly the planted references (in the source and in the minified output); a minified
output has the source's tokens; and what the module computes under node is the same
before and after minification."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from assetpub.compilers import js, jslex  # noqa: E402
from assetpub.minify import minify  # noqa: E402

NODE = shutil.which("node")
DECOY = ["import('./no.js')", 'import "./no.js"', "//", "/*", "*/", "`", "${", "}", "'", '"', "\\", "/", " ", "  ", "a", "export * from 'x'"]


@st.composite
def string_literal(draw):
    text = "".join(draw(st.lists(st.sampled_from(DECOY), max_size=5)))
    quote = draw(st.sampled_from(["'", '"']))
    body = json.dumps(text)[1:-1]
    if quote == "'":
        body = body.replace('\\"', '"').replace("'", "\\'")
    return quote + body + quote


@st.composite
def regex_literal(draw):
    atoms = draw(st.lists(st.sampled_from(["a", " ", "b", "\\/", "[/]", "[`]", "`", "'", '"', "x*", "\\d", "(c|d)", "  "]), min_size=1, max_size=5))
    flags = draw(st.sampled_from(["", "g", "i", "gu"]))
    return "/" + "".join(atoms) + "/" + flags


def template_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


class Module:
    """Pieces of a module, and the references planted in it, in order."""

    def __init__(self):
        self.planted: list[tuple[str, str]] = []

    def plant(self, kind: str) -> str:
        n = len(self.planted)
        if kind == "url":
            self.planted.append(("url", f"./p{n}.png"))
            return f'new URL("./p{n}.png", import.meta.url).href.slice(-7)'
        self.planted.append(("module", f"./p{n}.js"))
        return f'typeof (() => import("./p{n}.js"))'


def expression(draw, module: Module, depth: int) -> str:
    choices = ["number", "string", "regex", "division", "plant_url", "plant_module"]
    if depth < 4:
        choices += ["template", "template", "tagged", "paren", "arrow", "ternary", "array"]
    kind = draw(st.sampled_from(choices))
    if kind == "number":
        return draw(st.sampled_from(["1", "2", "1_000", ".5", "0x1f", "3n"]))
    if kind == "string":
        return draw(string_literal())
    if kind == "regex":
        return "(" + draw(regex_literal()) + ").source"
    if kind == "division":
        return f"(6 / {draw(st.sampled_from(['2', '3', '(1 + 1)', 'x']))} / 2)"
    if kind == "plant_url":
        return module.plant("url")
    if kind == "plant_module":
        return module.plant("module")
    if kind in ("template", "tagged"):
        parts = []
        for _ in range(draw(st.integers(0, 3))):
            parts.append(template_text("".join(draw(st.lists(st.sampled_from(DECOY), max_size=3)))))
            parts.append("${" + expression(draw, module, depth + 1) + "}")
        parts.append(template_text("".join(draw(st.lists(st.sampled_from(DECOY), max_size=3)))))
        return ("String.raw" if kind == "tagged" else "") + "`" + "".join(parts) + "`"
    if kind == "paren":
        return "(" + expression(draw, module, depth + 1) + ")"
    if kind == "arrow":
        return "((x) => " + expression(draw, module, depth + 1) + ")(2)"
    if kind == "ternary":
        return f"(x > 1 ? {expression(draw, module, depth + 1)} : {expression(draw, module, depth + 1)})"
    return "[" + ", ".join(expression(draw, module, depth + 1) for _ in range(draw(st.integers(0, 3)))) + "]"


@st.composite
def modules(draw, static_imports: bool = True):
    module = Module()
    lines = []
    if static_imports and draw(st.booleans()):
        n = len(module.planted)
        module.planted.append(("module", f"./p{n}.js"))
        lines.append(draw(st.sampled_from([f'import a{n} from "./p{n}.js"', f'import {{ b{n} as c{n} }} from "./p{n}.js";',
                                           f'export * from "./p{n}.js"', f'import "./p{n}.js"'])))
    lines.append("const x = 2")
    names = []
    for i in range(draw(st.integers(1, 6))):
        decor = draw(st.sampled_from(["", "// import('./no.js')\n", "/* import './no.js' */ ", "/*\n*/"]))
        end = draw(st.sampled_from(["", ";"]))  # ASI or not
        lines.append(f"{decor}const v{i} = {expression(draw, module, 0)}{end}")
        names.append(f"v{i}")
    lines.append(f"export const result = [{', '.join(names)}].map(String)")
    return "\n".join(lines) + "\n", module.planted


def found(text: str) -> list[tuple[str, str]]:
    return [(r.kind, r.url) for r in sorted(js.references(text)[0], key=lambda r: r.start)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_scanner_finds_exactly_the_planted_references(case):
    text, planted = case
    assert found(text) == planted
    out, note = minify(text, "js")
    assert found(out) == planted
    if note is None:
        assert jslex.lex(out).values == jslex.lex(text).values
    else:
        assert out == text


@pytest.mark.usefixtures("node")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(static_imports=False))
def test_minified_modules_compute_what_their_sources_compute(case):
    text, _ = case
    out, _ = minify(text, "js")

    def run(code):
        program = code + "\nconsole.log(JSON.stringify(result))\n"
        return subprocess.run([NODE, "--input-type=module"], input=program, capture_output=True, text=True, timeout=60)

    expected, got = run(text), run(out)
    assert expected.returncode == 0, (text, expected.stderr)
    assert got.returncode == 0 and got.stdout == expected.stdout, (text, out, got.stderr)
