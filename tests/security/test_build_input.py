"""Issue 15, item 4: a source edited during a build is never written under its old
fingerprint, and the cache never keeps an output that does not match it."""

from __future__ import annotations

import pytest

import assetpub
from assetpub.errors import AssetpubError, BuildError
from tests.conftest import write_tree

FILES = {
    "css/app.css": ".a{background:url(../img/a.png)}\n.b{color:blue}\n",
    "img/a.png": b"\x89PNG\r\n\x1a\n" + bytes(range(40)),
}


def editing_after_scan(path, data):
    """A progress callback that rewrites `path` once the scan phase is done, before producing."""
    done = []

    def progress(phase, n, total):
        if phase == "scan" and n == total and not done:
            path.write_bytes(data)
            done.append(True)

    return progress


@pytest.mark.parametrize(
    "edit", [b"/* zz */ .zzzzzzzzzzzzzzzzz{background:url(../img/a.png)}\n", b".a{content:'\xff\xfe'}\n"]
)
def test_a_source_edited_during_the_build_fails_and_the_next_build_is_right(tmp_path, edit):
    src = write_tree(tmp_path / "src", FILES)
    out = tmp_path / "out"
    css = src / "css/app.css"
    original = css.read_bytes()
    with pytest.raises(BuildError, match=r"app\.css: changed during the build, run again"):
        assetpub.build([src], out=out, progress=editing_after_scan(css, edit))
    css.write_bytes(original)  # the edit is undone: the next build must be exactly a clean one
    result = assetpub.build([src], out=out)
    clean = assetpub.build([src], out=tmp_path / "clean")
    built = (out / result.manifest.path("css/app.css")).read_bytes()
    assert built == (tmp_path / "clean" / clean.manifest.path("css/app.css")).read_bytes()
    assert b"zzzz" not in built and b"img/a." in built
    # and with the edit kept, a fresh build takes it under a new fingerprint
    css.write_bytes(edit)
    if b"\xff" in edit:
        with pytest.raises(BuildError, match=r"app\.css:1: not valid UTF-8"):
            assetpub.build([src], out=out)
    else:
        again = assetpub.build([src], out=out)
        assert again.manifest.path("css/app.css") != result.manifest.path("css/app.css")


def test_a_symlinked_directory_in_the_output_never_takes_a_write_outside(tmp_path):
    src = write_tree(tmp_path / "src", {**FILES, "robots.txt": "User-agent: *\n", "sub/page.txt": "hi\n"})
    out = tmp_path / "out"
    elsewhere = write_tree(tmp_path / "elsewhere", {"keep.txt": "mine\n"})
    out.mkdir()
    for name in ("css", "sub"):
        (out / name).symlink_to(elsewhere)
    with pytest.raises(AssetpubError, match="resolves outside"):
        assetpub.build([src], out=out)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]
