"""The no-op proof (assetpub/build_stamp.py): once a build has stamped the tree, a build
with nothing changed reads no state; any change to a source, a page, an output or the
configuration gets the full build, whose output equals a build from scratch."""

from __future__ import annotations

import json
import os
import shutil

import pytest

import assetpub
from assetpub.build_stamp import STAMP_NAME
from tests.conftest import read_tree, wait_for_fs_clock, write_tree

SITE = {
    "css/app.css": '@import "base.css";\n.a { background: url(../img/a.png) }\n',
    "css/base.css": ".b { color: red }\n",
    "img/a.png": b"a",
    "js/main.js": 'import "./util.js";\nconsole.log(1);\n',
    "js/util.js": "export const u = 1;\n",
    "robots.txt": "User-agent: *\n",
}
PAGES = {"index.html": '<link href="{{ asset_url(\'css/app.css\') }}" rel="stylesheet">\n'}


def outputs(out):
    return {k: v for k, v in read_tree(out).items() if not k.startswith(".assetpub/")}



def settle_and_rebuild(run, out, *changed):
    """Let the file system's clock pass what changed and build (the work), let it pass the
    outputs and build again: that build finds everything settled and stamps. Its result."""
    for tree in changed:
        wait_for_fs_clock(tree)
    run()
    wait_for_fs_clock(out)
    return run()


def assert_full_build(stamped, tmp_path, change):
    """After `change`, the build's manifest and outputs are a build from scratch's."""
    src, pages, out, run = stamped
    change(src, pages, out)
    result = run()
    expected, expected_files = from_scratch(tmp_path, src, pages)
    assert result.manifest.to_json() == expected.manifest.to_json()
    assert {k: v for k, v in outputs(out).items() if k in expected_files} == expected_files


def from_scratch(tmp_path, src, pages, **options):
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    result = assetpub.build([src], out=fresh, pages=pages, **options)
    return result, outputs(fresh)


def test_a_stamped_no_op_reads_no_state(stamped):
    src, pages, out, run = stamped
    before = outputs(out)
    slow = json.loads((out / STAMP_NAME).read_text())["summary"]
    (out / ".assetpub/cache.json").write_text("{ not json")  # read, it would be a warning
    result = run()
    assert result.warnings == [] and result.processed == [] and result.written == 0
    assert (result.files, result.bytes) == (slow["files"], slow["bytes"])
    assert result.manifest.paths() == assetpub.Manifest.load(out).paths()
    assert outputs(out) == before
    assert (out / ".assetpub/cache.json").read_text() == "{ not json"


def _edit_source(src, pages, out):
    path = src / "css/base.css"
    path.write_text(path.read_text().replace("red", "tan"))  # same size


def _add_source(src, pages, out):
    (src / "css/new.css").write_text(".n{}")


def _delete_source(src, pages, out):
    (src / "js/util.js").unlink()
    (src / "js/main.js").write_text("console.log(1);\n")


def _touch_source(src, pages, out):
    os.utime(src / "css/base.css")


def _edit_page(src, pages, out):
    (pages / "index.html").write_text("<p>changed</p>\n")


def _edit_output(src, pages, out):
    manifest = assetpub.Manifest.load(out)
    path = out / manifest.path("css/base.css")
    path.write_bytes(b"x" * path.stat().st_size)  # same size


def _delete_variant(src, pages, out):
    manifest = assetpub.Manifest.load(out)
    (out / (manifest.path("js/main.js") + ".br")).unlink()


def _delete_manifest(src, pages, out):
    (out / "assetpub-manifest.json").unlink()


@pytest.mark.parametrize("change", [
    _edit_source, _add_source, _delete_source, _touch_source, _edit_page, _edit_output, _delete_variant,
    _delete_manifest,
])
def test_any_change_gets_the_full_build(stamped, tmp_path, change):
    assert_full_build(stamped, tmp_path, change)


def test_another_setting_gets_the_full_build(stamped, tmp_path):
    src, pages, out, run = stamped
    result = run(base_url="/static/")
    assert result.manifest.base_url == "/static/"
    assert result.manifest.to_json() == from_scratch(tmp_path, src, pages, base_url="/static/")[0].manifest.to_json()


def test_the_stamped_no_op_repeats_the_warnings_and_notes(tmp_path):
    src = write_tree(tmp_path / "src", {"css/a.css": ".a{background:url(missing.png)}\n",
                                        "js/m.js": "//# sourceMappingURL=gone.map\nlet a=1\n"})
    out = tmp_path / "out"
    first = assetpub.build([src], out=out)
    wait_for_fs_clock(src)
    wait_for_fs_clock(out)
    slow = assetpub.build([src], out=out)
    assert (out / STAMP_NAME).is_file()
    fast = assetpub.build([src], out=out)
    assert first.warnings and slow.warnings == first.warnings
    assert (fast.warnings, fast.notes) == (slow.warnings, slow.notes)
    assert {k: v for k, v in fast.summary().items() if k != "seconds"} == \
        {k: v for k, v in slow.summary().items() if k != "seconds"}


def test_a_source_newer_than_the_build_gets_no_stamp(tmp_path):
    """A source stamped in the future (or in the file system clock's current tick) could
    be written again without its stat moving: no stamp may stand for it."""
    src = write_tree(tmp_path / "src", SITE)
    out = tmp_path / "out"
    assetpub.build([src], out=out)
    future = (src / "css/base.css").stat().st_mtime + 3600
    os.utime(src / "css/base.css", (future, future))
    wait_for_fs_clock(out)
    assetpub.build([src], out=out)
    assert not (out / STAMP_NAME).exists()


def test_a_failed_build_leaves_no_stamp(stamped, tmp_path):
    src, pages, out, run = stamped
    (src / "css/base.css").write_bytes(b".b { color: \xff }\n")  # not UTF-8: the build fails
    with pytest.raises(assetpub.BuildError):
        run()
    assert not (out / STAMP_NAME).exists()
    (src / "css/base.css").write_text(".b { color: red }\n")
    assert run().manifest.to_json() == from_scratch(tmp_path, src, pages)[0].manifest.to_json()


def test_a_watch_or_deploy_build_neither_uses_nor_writes_a_stamp(stamped):
    src, pages, out, run = stamped
    (out / STAMP_NAME).unlink()
    assetpub.build([src], out=out, pages=pages, record_hashes=False)
    assert not (out / STAMP_NAME).exists()
