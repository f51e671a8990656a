"""Issue 13, item 3: build state that heals. Whatever happened before (an interrupted
build, OUT/.assetpub deleted, an output edited by hand), one build leaves the
incremental state describing the disk, so the build after it processes nothing."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import read_tree

SITE = {
    "css/app.css": '@import "base.css";\n.a { background: url(../img/a.png) }\n',
    "css/base.css": ".b { color: red }\n",
    "img/a.png": b"a",
    "js/main.js": 'import "./util.js";\n',
    "js/util.js": "export const u = 1;\n",
    "index.html": '<link href="css/app.css" rel="stylesheet">',
    "robots.txt": "User-agent: *\n",
}


def outputs(out):
    return {k: v for k, v in read_tree(out).items() if not k.startswith(".assetpub/")}


def interrupt_after(count):
    """A progress callback that stops the build (as Ctrl-C would) after `count` produced files."""

    def progress(phase, done, total):
        if phase == "build" and done >= count:
            raise KeyboardInterrupt

    return progress


def test_after_an_interrupted_first_build(make_site, build, tmp_path):
    src = make_site(SITE)
    with pytest.raises(KeyboardInterrupt):
        build(src, progress=interrupt_after(3))
    assert any((tmp_path / "out").rglob("*.css"))  # some outputs were written, no state saved
    healing = build(src)
    assert len(healing.processed) == len(SITE)
    assert build(src).summary()["processed"] == 0


def test_after_the_state_directory_is_deleted(make_site, build, tmp_path):
    src = make_site(SITE)
    build(src)
    shutil.rmtree(tmp_path / "out/.assetpub")
    healing = build(src)
    assert len(healing.processed) == len(SITE) and healing.written == 0
    assert build(src).summary()["processed"] == 0


def test_after_an_output_is_edited_by_hand(make_site, build, tmp_path):
    src = make_site(SITE)
    first = build(src)
    out = tmp_path / "out"
    clean = outputs(out)
    shutil.rmtree(out / ".assetpub")  # the state cannot tell the edit either
    (out / first.manifest.path("css/base.css")).write_text("tampered")
    (out / "robots.txt").write_text("tampered")
    healing = build(src)
    assert healing.written == 2  # rewritten, not trusted
    assert outputs(out) == clean
    assert build(src).summary()["processed"] == 0
