"""Issue 15, item 9: a source that would land under the reserved `_assetpub/` prefix (or be
overwritten by the manifest) is a clear error, never a page that points at a missing file."""

from __future__ import annotations

import pytest

import assetpub
from assetpub.errors import BuildError
from tests.conftest import write_tree


@pytest.mark.parametrize("name", ["_assetpub/logo.png", "_assetpub/deploys/x.json", "assetpub-manifest.json"])
def test_a_source_under_the_reserved_prefix_is_an_error(tmp_path, name):
    src = write_tree(tmp_path / "src", {name: b"x", "index.html": f'<img src="{name}">\n'})
    with pytest.raises(BuildError, match=rf"{name}: '[^']+' is reserved"):
        assetpub.build([src], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_similar_name_is_fine(tmp_path):
    src = write_tree(tmp_path / "src", {"_assetpubs/logo.png": b"x", "assetpub/a.css": ".a{}\n"})
    result = assetpub.build([src], out=tmp_path / "out")
    assert "_assetpubs/logo.png" in result.manifest and "assetpub/a.css" in result.manifest


def test_a_file_name_with_a_control_character_is_skipped_with_a_warning(tmp_path):
    src = write_tree(tmp_path / "src", {"a\nb.css": ".a{}\n", "ok.css": ".b{}\n"})
    result = assetpub.build([src], out=tmp_path / "out")
    assert list(result.manifest) == ["ok.css"]
    assert any("skipped: file name contains a control character" in w for w in result.warnings)
