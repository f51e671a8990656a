"""load_path: which files of the source roots become logical names, table-tested directly."""

from __future__ import annotations

import os

import pytest

from assetpub.errors import ConfigError
from assetpub.load_path import discover, is_ignored_basename
from tests.conftest import write_tree


@pytest.mark.parametrize(
    "basename, ignored",
    [
        ("app.css", False), (".env", True), (".DS_Store", True), ("app.css~", True), (".app.css.swp", True),
        ("#app.css#", True), ("4913", True), ("notes.tmp", True), ("app.bak", True), ("~app.css", False),
        ("app.SWP", False), ("49130", False), ("notes.tmpl", False), ("a#", False), ("x.swp\n", False),
        ("a\nb.swp", True),
    ],
)
def test_ignored_basenames(basename, ignored):
    assert is_ignored_basename(basename) is ignored


def test_first_root_wins_and_names_are_posix_and_sorted(tmp_path):
    a = write_tree(tmp_path / "a", {"css/app.css": "a", "only-a.txt": "a"})
    b = write_tree(tmp_path / "b", {"css/app.css": "b", "img/x.png": "b"})
    found, warnings = discover([a, b])
    assert list(found) == ["css/app.css", "img/x.png", "only-a.txt"]
    assert found["css/app.css"].path == a / "css/app.css" and found["img/x.png"].root == b
    assert warnings == []


def test_dotfiles_are_left_out_but_well_known_is_kept(tmp_path):
    root = write_tree(tmp_path / "src", {".env": "secret", ".git/config": "x", "css/.hidden.css": "x",
                                         ".well-known/security.txt": "x", "sub/.well-known/x": "x"})
    found, _ = discover([root])
    assert list(found) == [".well-known/security.txt"]


def test_exclude_uses_the_glob_rules(tmp_path):
    root = write_tree(tmp_path / "src", {"a.c": "", "a.h": "", "a.css": "", "drafts/x.css": "", "drafts/keep.css": ""})
    found, _ = discover([root], exclude=["*.[ch]", "drafts/"])
    assert list(found) == ["a.css"]


def test_symlinks_out_of_the_root_are_skipped_with_a_warning(tmp_path):
    root = write_tree(tmp_path / "src", {"in.css": "a"})
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", root / "leak.txt")
    os.symlink(root / "in.css", root / "alias.css")  # inside the root: fine
    found, warnings = discover([root])
    assert "leak.txt" not in found and "alias.css" in found
    assert any("leak.txt" in w for w in warnings)


def test_a_missing_root_is_a_usage_mistake(tmp_path):
    with pytest.raises(ConfigError, match="does not exist or is not a directory"):
        discover([tmp_path / "nope"])


def test_the_output_directory_inside_a_root_is_skipped(tmp_path):
    root = write_tree(tmp_path / "src", {"a.css": "a", "build/a.0123456789ab.css": "a"})
    found, _ = discover([root], skip=[root / "build"])
    assert list(found) == ["a.css"]
