"""Which live-reload event a rebuild sends: restyle for stylesheets alone, else reload."""

from __future__ import annotations

import json

import assetpub
from assetpub.devserver.livereload import RELOAD, message
from tests.conftest import write_tree

CSS = ".a { color: red; }\n"


def builds(tmp_path, before: dict, after: dict, remove: tuple = ()):
    src = write_tree(tmp_path / "src", before)
    old = assetpub.build([src], out=tmp_path / "out").manifest
    write_tree(src, after)
    for name in remove:
        (src / name).unlink()
    return old, assetpub.build([src], out=tmp_path / "out").manifest


def test_stylesheets_alone_restyle(tmp_path):
    old, new = builds(tmp_path, {"css/base.css": CSS, "css/app.css": '@import "base.css";', "img/a.png": b"png"},
                      {"css/base.css": ".a { color: blue; }\n"})
    event, data = message(old, new, "/assets/")
    assert event == "restyle"
    moved = json.loads(data)
    assert moved == {
        f"/assets/{old.path(n)}": [f"/assets/{new.path(n)}", new.integrity(n)] for n in ("css/app.css", "css/base.css")
    }


def test_anything_else_reloads(tmp_path):
    old, new = builds(tmp_path, {"css/app.css": CSS, "js/app.js": "export const a = 1;\n"},
                      {"js/app.js": "export const a = 2;\n"})
    assert message(old, new, "/assets/") == RELOAD
    old, new = builds(tmp_path / "2", {"css/app.css": CSS}, {"css/new.css": CSS})  # a new file
    assert message(old, new, "/assets/") == RELOAD
    old, new = builds(tmp_path / "3", {"css/app.css": CSS, "css/old.css": CSS}, {}, remove=("css/old.css",))
    assert message(old, new, "/assets/") == RELOAD
    # an image edit changes the stylesheet that uses it too: not stylesheets alone
    old, new = builds(tmp_path / "4", {"css/app.css": ".a { background: url(../img/a.png) }", "img/a.png": b"1"},
                      {"img/a.png": b"2"})
    assert message(old, new, "/assets/") == RELOAD
    assert message(None, new, "/assets/") == RELOAD


def test_no_change_sends_nothing(tmp_path):
    old, new = builds(tmp_path, {"css/app.css": CSS}, {"css/app.css": CSS})
    assert message(old, new, "/assets/") is None


def test_paths_are_url_paths_under_the_prefix(tmp_path):
    old, new = builds(tmp_path, {"css/a b✓.css": CSS}, {"css/a b✓.css": ".b{}"})
    event, data = message(old, new, "/static/")
    assert event == "restyle" and all(k.startswith("/static/css/a%20b%E2%9C%93.") for k in json.loads(data))
