"""A small site with one file of every class the edge must handle, shared by edge and audit tests."""

from __future__ import annotations

import random
from pathlib import Path

from tests.conftest import write_tree


def _noise(n: int, seed: int) -> bytes:
    # incompressible bytes, deterministic (fonts and images are already compressed)
    return random.Random(seed).randbytes(n)


def site_files() -> dict[str, str | bytes]:
    rules = "".join(f".c{i} {{ color: #{i:06x}; margin: {i}px }}\n" for i in range(120))
    return {
        "css/app.css": "@font-face { font-family: a; src: url(../fonts/a.woff2) }\n"
        "body { background: url(../img/logo.png) }\n" + rules,
        "js/app.js": "import { x } from './util.mjs';\n" + "console.log(x);\n" * 60,
        "js/util.mjs": "export const x = 1;\n" + "export const y = 'lorem ipsum dolor sit amet';\n" * 20,
        "fonts/a.woff2": _noise(600, 1),
        "img/logo.png": b"\x89PNG\r\n\x1a\n" + _noise(400, 2),
        "wasm/mod.wasm": b"\0asm\x01\0\0\0" + bytes(300),
        "site.webmanifest": '{"name": "assetpub test", "icons": []}\n',
        "index.html": "<!doctype html><link rel=stylesheet href=css/app.css>\n" + "<p>hello</p>\n" * 40,
        "robots.txt": "User-agent: *\nDisallow:\n",
        "tiny.css": "a{}",
    }


def make_site(root: Path) -> Path:
    return write_tree(root, site_files())
