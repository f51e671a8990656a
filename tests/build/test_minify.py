"""Minification: meaning preserved (checked by running the code under node), license
comments kept, *.min.* and source-mapped files left alone."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.build.conftest import output_text

NODE = shutil.which("node")

REAL_WORLD_MODULE = r"""
/*! demo-lib v1.0 | MIT */
// a comment that goes away
import { helper } from "./helper.js";

const name = "world";
const greeting = `Hello, ${name}!  Two  spaces ${`nested ${1 + 1}`} stay`;
const re = /a\/b  [/]c/g;
const slashes = "a/b  /c".replace(re, "x");
let a = 10
let b = 2
const division = a
/ b
const arr = [1, 2, 3]
;[4, 5].forEach((n) => arr.push(n))
const obj = { get value() { return 42 }, ["computed" + "Key"]: true, async *gen() { yield 1 } };
class Counter {
  #count = 0;
  static created = 0;
  increment() { return ++this.#count; }
}
const c = new Counter();
c.increment(); c.increment();
const maybe = obj?.missing ?? "fallback";
const big = 10n ** 3n;
let i = 0
i++
++i
const neg = 5 - -3;
const plus = 5 + +"3";
function f() {
  return   (
    "returned"
  )
}
label: for (const x of [1]) { break label; }
console.log(JSON.stringify([greeting, slashes, division, arr, obj.value, obj.computedKey, c.increment(),
  maybe, String(big), i, neg, plus, f(), helper()]));
"""


@pytest.mark.usefixtures("node")
def test_minified_module_runs_identically_under_node(make_site, build, tmp_path):
    src = make_site({"js/app.js": REAL_WORLD_MODULE, "js/helper.js": "export function helper() { return 'h'; }\n"})
    result = build(src)
    minified = output_text(result, "js/app.js")
    assert len(minified) < len(REAL_WORLD_MODULE) * 0.85
    assert minified.startswith("/*! demo-lib v1.0 | MIT */")
    assert "a comment that goes away" not in minified

    def run(directory, entry):
        return subprocess.run([NODE, entry], cwd=directory, capture_output=True, text=True, timeout=60)

    # node resolves "./helper.<hash>.js" in the output tree; run as ESM
    (tmp_path / "out/js/package.json").write_text('{"type": "module"}')
    (src / "js/package.json").write_text('{"type": "module"}')
    original = run(src / "js", "app.js")
    built = run(tmp_path / "out/js", result.manifest.path("js/app.js").rsplit("/", 1)[1])
    assert original.returncode == 0, original.stderr
    assert built.returncode == 0, built.stderr
    assert built.stdout == original.stdout
    assert '"Hello, world!  Two  spaces nested 2 stay"' in built.stdout


@pytest.mark.usefixtures("node")
def test_minified_module_via_input_type_module(make_site, build):
    result = build(make_site({"js/solo.js": "const t = `a  b`;\nconst r = /x  y/;\nconsole.log(t, r.source)\n"}))
    code = output_text(result, "js/solo.js")
    proc = subprocess.run([NODE, "--input-type=module"], input=code, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "a  b x  y\n"


def test_css_minified_license_kept(make_site, build):
    css = "/*! keep me */\n/* drop me */\nbody {\n  color : red ;\n}\n"
    text = output_text(build(make_site({"a.css": css})), "a.css")
    assert text == "/*! keep me */body{color:red}"


def test_min_files_left_as_they_are(make_site, build):
    src = make_site({"v/lib.min.js": "var  a = 1 ;  // x\n", "v/lib.min.css": "a  {  color : red }\n"})
    result = build(src)
    assert output_text(result, "v/lib.min.js") == "var  a = 1 ;  // x\n"
    assert output_text(result, "v/lib.min.css") == "a  {  color : red }\n"


def test_no_minify(make_site, build):
    css = "body {\n  color : red ;\n}\n"
    assert output_text(build(make_site({"a.css": css}), minify=False), "a.css") == css


def test_files_with_a_source_map_are_not_minified(make_site, build):
    js = "var  a = 1;\n//# sourceMappingURL=a.js.map\n"
    result = build(make_site({"a.js": js, "a.js.map": "{}"}))
    assert output_text(result, "a.js").startswith("var  a = 1;\n//# sourceMappingURL=a.js.")


def test_minification_happens_before_fingerprint_and_sri(make_site, build, tmp_path):
    import base64
    import hashlib

    result = build(make_site({"a.css": "body {  color: red  }\n"}))
    entry = result.manifest.entry("a.css")
    served = (tmp_path / "out" / entry.path).read_bytes()
    assert served == b"body{color:red}"
    assert entry.integrity == "sha384-" + base64.b64encode(hashlib.sha384(served).digest()).decode()
    unminified = build(make_site({"a.css": "body {  color: red  }\n"}, root="src2"), minify=False, out=tmp_path / "o2")
    assert unminified.manifest.path("a.css") != entry.path  # options are part of the fingerprint
