from __future__ import annotations

from pathlib import Path

import pytest

import assetpub
from tests.conftest import write_tree


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
