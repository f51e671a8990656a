from __future__ import annotations

from pathlib import Path

import pytest

import assetpub
from assetpub.build_stamp import STAMP_NAME
from tests.conftest import wait_for_fs_clock, write_tree


@pytest.fixture
def make_site(tmp_path):
    """make_site({"css/a.css": "..."}) -> source root Path."""

    def make(files, root: str = "src") -> Path:
        return write_tree(tmp_path / root, files)

    return make


@pytest.fixture
def build(tmp_path):
    """build(src, **options) -> BuildResult, output in tmp_path/out unless out= is given."""

    def run(*sources: Path, out: Path | None = None, **options):
        return assetpub.build(list(sources), out=out or tmp_path / "out", **options)

    return run


def output_text(result, name: str) -> str:
    return (result.out / result.manifest.path(name)).read_text(encoding="utf-8")

@pytest.fixture
def stamped(tmp_path):
    """A built tree whose stamp is written: sources, pages and outputs settled."""
    from tests.build.test_build_stamp import PAGES, SITE

    src = write_tree(tmp_path / "src", SITE)
    pages = write_tree(tmp_path / "pages", PAGES)
    out = tmp_path / "out"

    def run(**options):
        return assetpub.build([src], out=out, pages=pages, **options)

    run()
    for tree in (src, pages, out):
        wait_for_fs_clock(tree)
    run()  # nothing to do, everything settled: this one stamps
    assert (out / STAMP_NAME).is_file()
    return src, pages, out, run
