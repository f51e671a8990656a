"""Adversarial review of the no-op proof (assetpub/build_stamp.py): inputs and orders of
events the first version's digests did not cover, each fixed. Each test states what a
correct build does (the attacks that held are in test_build_stamp_review_held.py)."""

from __future__ import annotations

import json
import os

import pytest

import assetpub
from assetpub import builder as builder_module
from assetpub.build_stamp import STAMP_NAME
from tests.build.test_build_stamp import from_scratch, outputs, settle_and_rebuild
from tests.conftest import wait_for_fs_clock


@pytest.mark.parametrize("other", [
    {"base_url": "/other/"},  # another CLI or API build
    {"memo": "watch", "record_hashes": False, "brotli_quality": 4},  # `assetpub watch` in another terminal
])
def test_a_build_that_finishes_while_another_writes_does_not_stamp_the_other_ones_output(
    stamped, tmp_path, monkeypatch, other
):
    """Two builds of the same tree into one OUT with different settings (a CI job and a
    developer, two terminals): build A writes its outputs and manifest, saves its cache;
    build B, /other/, runs to the end meanwhile; then A stamps. A's stamp is taken over
    whatever OUT holds at that moment (B's manifest), under A's key. The next build with
    A's settings, nothing changed, must give A's manifest; it returns B's, and keeps
    returning it until something changes (before the stamp, that build repaired OUT)."""
    src, pages, out, run = stamped
    (src / "css/base.css").write_text(".b { color: blue }\n")  # A must do the work
    wait_for_fs_clock(src)
    original = builder_module.Builder._stamp
    fired = []

    def stamp_after_another_build(self, before, products):
        if not fired:
            fired.append(True)
            options = {**other, **({"memo": builder_module.BuildMemo()} if "memo" in other else {})}
            assetpub.build([src], out=out, pages=pages, **options)  # build B
            wait_for_fs_clock(out)  # B finished a moment before A stamps
        return original(self, before, products)

    monkeypatch.setattr(builder_module.Builder, "_stamp", stamp_after_another_build)
    run()  # build A, default base_url
    monkeypatch.setattr(builder_module.Builder, "_stamp", original)
    result = run()  # nothing changed since A: A's output expected
    expected = from_scratch(tmp_path, src, pages)[0]
    assert (out / "assetpub-manifest.json").read_bytes() == expected.manifest.to_json()
    assert result.manifest.to_json() == expected.manifest.to_json()


def test_an_output_edited_between_the_write_and_the_stamp_is_repaired(stamped, tmp_path, monkeypatch):
    """The same hole without a second build: any write into OUT after the build wrote its
    files and before it took the outputs' digest (the build cache's save lies between,
    long at 100k files) is certified as the build's own output."""
    src, pages, out, run = stamped
    (src / "css/base.css").write_text(".b { color: blue }\n")
    wait_for_fs_clock(src)
    original = builder_module.Builder._stamp

    def edit_then_stamp(self, before, products):
        page = out / "index.html"
        page.write_text("<p>defaced</p>\n")
        wait_for_fs_clock(out)
        return original(self, before, products)

    monkeypatch.setattr(builder_module.Builder, "_stamp", edit_then_stamp)
    run()
    monkeypatch.setattr(builder_module.Builder, "_stamp", original)
    run()  # nothing changed since: the build must see that index.html is not what it wrote
    assert outputs(out)["index.html"] == from_scratch(tmp_path, src, pages)[1]["index.html"]


def test_a_no_op_result_never_gives_another_builds_manifest(stamped):
    """BuildResult.manifest is what that build produced. The no-op's is read from disk when
    first asked for, so an API user (the Django/Flask integrations, a script that builds,
    then reports or publishes) who asks after another build got the other build's manifest;
    the full build's result keeps its own. Fixed: the no-op's result remembers the
    manifest's stat and refuses to read a replaced one (it is not read whole up front: at
    100k files that is 48 MB the CLI does not need)."""
    src, pages, out, run = stamped
    result = run()
    assert result.processed == []  # the stamped no-op
    run(base_url="/static/")
    with pytest.raises(assetpub.ManifestError, match="replaced since this build"):
        _ = result.manifest
    fresh = run()
    assert fresh.manifest.base_url == "/assets/"


def test_a_stamp_with_a_bad_summary_is_rebuilt_not_a_crash(stamped, tmp_path):
    """build_stamp.load promises that an unreadable stamp means the full build; a summary
    whose numbers are not numbers (hand-edited, another writer) raises ValueError instead."""
    src, pages, out, run = stamped
    data = json.loads((out / STAMP_NAME).read_text())
    data["summary"]["files"] = "many"
    (out / STAMP_NAME).write_text(json.dumps(data))
    result = run()
    assert result.manifest.to_json() == from_scratch(tmp_path, src, pages)[0].manifest.to_json()


def test_a_jinja2_upgrade_renders_the_pages_again(stamped, monkeypatch):
    """Pages were rendered by every build before the stamp; the stamp's key names the
    minifiers' and brotli's versions but not Jinja2's (nor MarkupSafe's), which decide the
    pages' bytes: after an upgrade of the template engine the stamped no-op keeps pages
    rendered by the old one."""
    import jinja2

    src, pages, out, run = stamped
    monkeypatch.setattr(jinja2, "__version__", "99.0.0")
    result = run()
    assert "index.html" in result.processed


def test_a_stamp_that_cannot_be_removed_is_no_error(stamped, monkeypatch, tmp_path):
    """A read-only OUT/.assetpub (the docstring of build_stamp.save: 'no stamp, no harm'):
    when something changed, build_stamp.remove raises PermissionError outside the build's
    OSError handler, so the CLI shows a traceback instead of 'cannot write: ...'.
    Simulated (the tests run as root): unlinking the stamp is refused."""
    import pathlib

    src, pages, out, run = stamped
    (src / "css/base.css").write_text(".b { color: blue }\n")
    real_unlink = pathlib.Path.unlink

    def refuse(self, *args, **kwargs):
        if self.name == "stamp.json":
            raise PermissionError(13, "Permission denied", str(self))
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "unlink", refuse)
    result = run()  # fixed: the build goes on (the stale stamp cannot match what it writes)
    assert result.written > 0
    assert result.manifest.to_json() == from_scratch(tmp_path, src, pages)[0].manifest.to_json()


def test_a_partial_in_a_directory_that_cannot_be_listed_is_still_proved(stamped, tmp_path, monkeypatch):
    """build_stamp._tree gives a directory it cannot list one entry, the directory's own
    stat. A directory with search but no read permission (mode 0o311, as a non-root user)
    cannot be listed, yet its files can be opened by name: Jinja2 includes
    `_partials/head.html` (page_names never lists `_` directories), and an edit in place
    of that partial moves neither the directory's mtime nor its ctime. The no-op then
    keeps the page rendered from the old partial. The right answer for an unreadable
    directory is no stamp (the digest None). Simulated here because the tests run as root
    (root lists any directory): os.scandir refuses that one directory as the kernel would."""
    src, pages, out, run = stamped
    partials = pages / "_partials"
    partials.mkdir()
    (partials / "head.html").write_text("<title>old</title>\n")
    (pages / "index.html").write_text("{% include '_partials/head.html' %}\n")
    real_scandir = os.scandir

    def unlistable(path="."):
        if os.fspath(path) == str(partials):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", unlistable)
    settle_and_rebuild(run, out, pages)
    assert not (out / STAMP_NAME).exists()  # nothing about pages/ can be proved: no stamp
    with open(partials / "head.html", "r+") as f:  # in place: the directory's stat is unchanged
        f.write("<title>new</title>\n")
    run()
    assert "<title>new</title>" in (out / "index.html").read_text()


def test_a_dangling_symlink_in_the_pages_directory_does_not_disable_the_no_op(stamped):
    """Performance, not correctness: sources_digest gives up (None: never a stamp) when a
    pages entry cannot be stat()ed, and _tree's entries are stat()ed following symlinks.
    A dangling symlink there (Emacs keeps `.#page.html -> user@host.pid` locks; a link to a
    removed draft) is not a page and is never read, yet every build is then a full build,
    silently. discover() skips such a link in a source root with a warning instead."""
    src, pages, out, run = stamped
    (pages / ".#index.html").symlink_to("root@host.1234:1700000000")
    settle_and_rebuild(run, out, pages)
    assert (out / STAMP_NAME).exists()
