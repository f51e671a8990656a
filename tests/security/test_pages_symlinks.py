"""Issue 15, item 5: pages/ obeys the source roots' symlink rule, includes included."""

from __future__ import annotations

import pytest

import assetpub
from assetpub.errors import BuildError
from tests.conftest import write_tree

SECRET = "root:x:0:0:secret-outside-the-tree\n"


@pytest.fixture
def tree(tmp_path):
    write_tree(tmp_path, {"secret.txt": SECRET, "secret-dir/leak.html": SECRET})
    src = write_tree(tmp_path / "src", {"css/a.css": ".a{color:red}\n"})
    pages = write_tree(tmp_path / "pages", {"index.html": "<p>home</p>\n"})
    return tmp_path, src, pages


def test_a_page_symlinked_out_of_the_pages_directory_is_skipped_with_a_warning(tree):
    tmp_path, src, pages = tree
    (pages / "leak.html").symlink_to(tmp_path / "secret.txt")
    (pages / "more").symlink_to(tmp_path / "secret-dir")
    result = assetpub.build([src], out=tmp_path / "out", pages=str(pages))
    assert "leak.html" not in result.manifest and "more/leak.html" not in result.manifest
    assert not (tmp_path / "out/leak.html").exists() and not (tmp_path / "out/more").exists()
    assert any("leak.html: skipped: symlink points outside" in w for w in result.warnings)
    assert any("more: skipped: symlink points outside" in w for w in result.warnings)
    assert "index.html" in result.manifest


def test_an_include_symlinked_out_of_the_pages_directory_is_an_error(tree):
    tmp_path, src, pages = tree
    (pages / "_part.html").symlink_to(tmp_path / "secret.txt")
    (pages / "index.html").write_text('<p>home</p>{% include "_part.html" %}\n')
    with pytest.raises(BuildError, match=r"_part\.html: symlink points outside the pages directory"):
        assetpub.build([src], out=tmp_path / "out", pages=str(pages))
    assert not any(SECRET.encode() in p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())


def test_a_symlink_inside_the_pages_directory_still_works(tree):
    tmp_path, src, pages = tree
    write_tree(pages, {"_layouts/base.html": "<main>{% block body %}{% endblock %}</main>\n"})
    (pages / "_base.html").symlink_to(pages / "_layouts/base.html")
    (pages / "about.html").write_text('{% extends "_base.html" %}{% block body %}about{% endblock %}\n')
    assetpub.build([src], out=tmp_path / "out", pages=str(pages))
    assert (tmp_path / "out/about.html").read_text() == "<main>about</main>\n"
