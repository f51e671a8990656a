"""Review of the no-op proof: attacks that held (each passes). After the change, the next
build's manifest and outputs are those of a build from scratch."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import shutil

import pytest

import assetpub
from assetpub.build_stamp import STAMP_NAME
from tests.build.test_build_stamp import assert_full_build, settle_and_rebuild
from tests.conftest import wait_for_fs_clock


def _swap_same_size_same_mtime(src, pages, out):
    a, b = src / "css/base.css", src / "css/swap.css"
    b.write_text(".b { color: tan }\n")  # same size as base.css
    st = a.stat()
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.rename(a, src / "tmp")
    os.rename(b, a)
    os.rename(src / "tmp", b)


def _edit_and_put_mtime_back(src, pages, out):
    p = src / "css/base.css"
    st = p.stat()
    p.write_text(".b { color: tan }\n")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))


def _replace_by_symlink(src, pages, out):
    p = src / "css/base.css"
    (src / "css/other.txt").write_text(".b { color: tan }\n")
    p.unlink()
    p.symlink_to("other.txt")


def _retarget_symlink(src, pages, out):
    (src / "css/one.css").write_text(".b { color: red }\n")
    (src / "css/two.css").write_text(".b { color: tan }\n")
    p = src / "css/base.css"
    p.unlink()
    p.symlink_to("one.css")
    settle_and_rebuild(lambda: assetpub.build([src], out=out, pages=pages), out, src)
    assert (out / STAMP_NAME).exists()
    p.unlink()
    p.symlink_to("two.css")


def _symlinked_dir_edit(src, pages, out):
    (src / "real").mkdir()
    (src / "real/x.css").write_text(".x{}")
    (src / "lib").symlink_to("real")
    settle_and_rebuild(lambda: assetpub.build([src], out=out, pages=pages), out, src)
    assert (out / STAMP_NAME).exists()
    (src / "real/x.css").write_text(".y{}")


def _edit_partial(src, pages, out):
    (pages / "_part.html").write_text("old")
    (pages / "index.html").write_text("{% include '_part.html' %}")
    settle_and_rebuild(lambda: assetpub.build([src], out=out, pages=pages), out, pages)
    assert (out / STAMP_NAME).exists()
    (pages / "_part.html").write_text("new")


def _page_symlinked_dir(src, pages, out):
    (pages / "_shared").mkdir()
    (pages / "_shared/a.html").write_text("one")
    (pages / "blog").symlink_to("_shared")
    settle_and_rebuild(lambda: assetpub.build([src], out=out, pages=pages), out, pages)
    assert (out / STAMP_NAME).exists()
    (pages / "_shared/a.html").write_text("two")


def _stamp_of_another_format(src, pages, out):
    data = json.loads((out / STAMP_NAME).read_text())
    data["format"] = 2
    (out / STAMP_NAME).write_text(json.dumps(data))
    (out / "index.html").write_text("stale")
    os.utime(out / "index.html", ns=(0, 0))


def _clean_after_history(src, pages, out):
    (src / "css/base.css").write_text(".b { color: tan }\n")
    assetpub.build([src], out=out, pages=pages)
    assetpub.clean(out, keep=1)


def _watch_build_between(src, pages, out):
    memo = assetpub.builder.BuildMemo()
    (src / "css/base.css").write_text(".b { color: tan }\n")
    assetpub.build([src], out=out, pages=pages, memo=memo, record_hashes=False, brotli_quality=4)


def _deploy_build_between(src, pages, out):
    m = assetpub.Manifest.load(out)
    reuse = {e["digest"]: e for e in m.assets.values()}  # everything published: nothing written
    (src / "css/base.css").write_text(".b { color: tan }\n")
    assetpub.build([src], out=out, pages=pages, reuse=reuse)


@pytest.mark.parametrize("change", [
    _swap_same_size_same_mtime, _edit_and_put_mtime_back, _replace_by_symlink, _retarget_symlink,
    _symlinked_dir_edit, _edit_partial, _page_symlinked_dir, _stamp_of_another_format, _clean_after_history,
    _watch_build_between, _deploy_build_between,
])
def test_held(stamped, tmp_path, change):
    assert_full_build(stamped, tmp_path, change)


def test_strict_after_lenient_is_checked(stamped):
    src, pages, out, run = stamped
    (src / "css/miss.css").write_text(".m{background:url(nope.png)}")
    settle_and_rebuild(run, out, src)
    assert (out / STAMP_NAME).exists()
    with pytest.raises(assetpub.BuildError):
        run(strict=True)


def test_a_source_root_symlink_retargeted_to_a_preserving_copy(tmp_path):
    from tests.build.test_build_stamp import PAGES, SITE
    from tests.conftest import write_tree
    v1 = write_tree(tmp_path / "v1", SITE)
    pages = write_tree(tmp_path / "pages", PAGES)
    src, out = tmp_path / "src", tmp_path / "out"
    src.symlink_to(v1)
    for _ in range(2):
        assetpub.build([src], out=out, pages=pages)
        for t in (v1, pages, out):
            wait_for_fs_clock(t)
    assetpub.build([src], out=out, pages=pages)
    assert (out / STAMP_NAME).exists()
    shutil.copytree(v1, tmp_path / "v2")  # copy2: mtimes kept
    p = tmp_path / "v2/css/base.css"
    st = p.stat()
    p.write_text(".b { color: tan }\n")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    src.unlink()
    src.symlink_to(tmp_path / "v2")
    result = assetpub.build([src], out=out, pages=pages)
    assert "css/base.css" in result.processed


def test_transient_warning_not_repeated_walk_warning_dropped(stamped):
    src, pages, out, run = stamped
    (src / "broken").symlink_to("nowhere")
    assert any("broken symlink" in w for w in run().warnings)  # the walk's, fresh each time
    (src / "broken").unlink()
    assert run().warnings == []


def test_unchanged_result_api(stamped):
    src, pages, out, run = stamped
    r = run()
    assert r.processed == []
    assert "Manifest" in repr(r)
    assert dataclasses.asdict(r)["files"] == r.files
    assert pickle.loads(pickle.dumps(r)).manifest.to_json() == r.manifest.to_json()
