"""The diff between two builds: added, removed, changed, byte deltas, and cascades found
from the bytes of both builds."""

from __future__ import annotations

import shutil

from assetpub import build
from assetpub.report import diff, from_build_dir
from assetpub.report.snapshot import Snapshot
from tests.conftest import write_tree

SOURCES = {
    "css/app.css": "@import 'base.css';\nbody { background: url(../img/bg.png) }\n",
    "css/base.css": "h1 { color: red }\n",
    "img/bg.png": b"\x89PNG fake image",
    "js/app.js": "import { x } from './lib.js';\nconsole.log(x);\n",
    "js/lib.js": "export const x = 1;\n",
    "js/gone.js": "console.log('bye');\n",
}


def _builds(tmp_path, edits: dict, removed=()):
    src = write_tree(tmp_path / "src", SOURCES)
    build([src], out=tmp_path / "old", minify=False)
    write_tree(src, edits)
    for name in removed:
        (src / name).unlink()
    build([src], out=tmp_path / "new", minify=False)
    return from_build_dir(tmp_path / "old"), from_build_dir(tmp_path / "new")


def test_added_removed_changed_with_deltas_and_cascades(tmp_path):
    old, new = _builds(tmp_path, {"css/base.css": "h1 { color: red; margin: 0 }\n", "js/new.js": "1;\n"},
                       removed=["js/gone.js"])
    d = diff(old, new)
    by = {c["name"]: c for c in d["changes"]}
    assert set(by) == {"css/base.css", "css/app.css", "js/new.js", "js/gone.js"}
    assert by["js/new.js"]["status"] == "added" and by["js/new.js"]["delta_raw"] == by["js/new.js"]["raw"] == 3
    assert by["js/gone.js"]["status"] == "removed" and by["js/gone.js"]["delta_raw"] == -len("console.log('bye');\n")
    base = by["css/base.css"]
    assert base["status"] == "changed" and base["cause"] == "content" and base["delta_raw"] == len("; margin: 0")
    assert base["cascaded_to"] == ["css/app.css"]
    app = by["css/app.css"]
    assert app["cause"] == "references" and app["because"] == ["css/base.css"] and app["delta_raw"] == 0
    assert d["totals"] == {"added": 1, "removed": 1, "changed": 2, "cascaded": 1,
                           "delta_raw": sum(c["delta_raw"] for c in d["changes"]),
                           "delta_gz": sum(c["delta_gz"] for c in d["changes"]),
                           "delta_br": sum(c["delta_br"] for c in d["changes"])}
    # the unchanged files are not listed
    assert "js/app.js" not in by and "img/bg.png" not in by


def test_a_file_that_changed_itself_and_references_a_change_is_not_a_cascade(tmp_path):
    old, new = _builds(tmp_path, {"js/lib.js": "export const x = 2;\n",
                                  "js/app.js": "import { x } from './lib.js';\nconsole.log(x, x);\n"})
    by = {c["name"]: c for c in diff(old, new)["changes"]}
    assert by["js/app.js"]["cause"] == "content"
    assert by["js/lib.js"]["cascaded_to"] == []  # app.js changed on its own too


def test_transitive_cascades(tmp_path):
    old, new = _builds(tmp_path, {"img/bg.png": b"\x89PNG another image"})
    # bg.png <- app.css; nothing else references them
    by = {c["name"]: c for c in diff(old, new)["changes"]}
    assert by["img/bg.png"]["cause"] == "content" and by["img/bg.png"]["cascaded_to"] == ["css/app.css"]
    chain = {**SOURCES, "css/top.css": "@import 'app.css';\n"}
    shutil.rmtree(tmp_path / "src")
    src = write_tree(tmp_path / "src", chain)
    build([src], out=tmp_path / "o1", minify=False)
    (src / "css/base.css").write_text("h1 { color: blue }\n")
    build([src], out=tmp_path / "o2", minify=False)
    by = {c["name"]: c for c in diff(from_build_dir(tmp_path / "o1"), from_build_dir(tmp_path / "o2"))["changes"]}
    assert by["css/base.css"]["cascaded_to"] == ["css/app.css", "css/top.css"]
    assert by["css/top.css"]["because"] == ["css/app.css"] and by["css/top.css"]["cause"] == "references"


def test_unreadable_bytes_make_the_cause_unknown(tmp_path):
    old, new = _builds(tmp_path, {"css/base.css": "h1 { color: green }\n"})
    blind = Snapshot("old", old.assets, lambda key: None)
    by = {c["name"]: c for c in diff(blind, new)["changes"]}
    assert by["css/app.css"]["cause"] == "unknown" and by["css/base.css"]["cause"] == "unknown"
    assert by["css/base.css"]["cascaded_to"] == []


def test_identical_builds_have_no_changes(tmp_path):
    src = write_tree(tmp_path / "src", SOURCES)
    build([src], out=tmp_path / "a")
    build([src], out=tmp_path / "b")
    d = diff(from_build_dir(tmp_path / "a"), from_build_dir(tmp_path / "b"))
    assert d["changes"] == [] and d["totals"]["delta_br"] == 0


def test_build_dir_reader_stays_inside(tmp_path):
    src = write_tree(tmp_path / "src", {"a.css": "a{}"})
    (tmp_path / "secret.txt").write_text("no")
    build([src], out=tmp_path / "out")
    snap = from_build_dir(tmp_path / "out")
    assert snap.read("../secret.txt") is None
    assert snap.read(snap.assets["a.css"]["path"]) is not None
