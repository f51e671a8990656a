"""Directory origin specifics: mtimes kept, atomic writes, the headers sidecar format."""

from __future__ import annotations

import json

from assetpub.manifest import Manifest
from assetpub.publish import open_target, publish

from .conftest import build_site


def test_unchanged_files_keep_their_mtime_and_no_temp_files_remain(site, built, tmp_path):
    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)))
    mtimes = {p: p.stat().st_mtime_ns for p in origin.rglob("*") if p.is_file() and "_assetpub" not in p.parts}
    (site / "js/util.js").write_text((site / "js/util.js").read_text() + "export const z = 1;\n")
    build_site(site, built)
    result = publish(built, target=open_target(f"file://{origin}"))
    changed = {a.key for a in result.plan.files if a.kind != "skip"}
    assert changed
    for path, mtime in mtimes.items():
        key = path.relative_to(origin).as_posix()
        if key not in changed:
            assert path.stat().st_mtime_ns == mtime, key
    assert not [p for p in origin.rglob("*") if p.name.endswith(".tmp")]


def test_headers_change_touches_only_the_sidecar(site, built, tmp_path):
    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)))
    logo = origin / Manifest.load(built).entry("img/logo.png").path
    mtime = logo.stat().st_mtime_ns
    build_site(site, built, cache_control="public, max-age=5")
    publish(built, target=open_target(str(origin)))
    assert logo.stat().st_mtime_ns == mtime
    sidecar = json.loads((origin / "_assetpub/headers.json").read_text())
    assert sidecar["objects"][logo.relative_to(origin).as_posix()]["cache_control"] == "public, max-age=5"


def test_sidecar_format(built, tmp_path):
    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)))
    sidecar = json.loads((origin / "_assetpub/headers.json").read_text())
    assert set(sidecar) == {"version", "objects"} and sidecar["version"] == 1
    m = Manifest.load(built)
    assert set(sidecar["objects"]) == m.paths() | {"assetpub-manifest.json"}
    for _name, entry in m.assets.items():
        assert sidecar["objects"][entry["path"]] == {
            "content_type": entry["content_type"],
            "cache_control": entry["cache_control"],
        }
        for enc, variant in entry["encodings"].items():
            assert sidecar["objects"][variant["path"]]["content_encoding"] == {"br": "br", "gzip": "gzip"}[enc]
    # the origin's layout is the build output's layout
    for path in m.paths():
        assert (origin / path).read_bytes() == (built / path).read_bytes()


def test_changed_file_of_the_same_size_gets_new_validators_within_the_same_second(tmp_path):
    """nginx's ETag is mtime seconds + size; Last-Modified has whole seconds. A page
    republished a moment later with the same length must still revalidate to 200."""
    from tests.conftest import write_tree

    src = write_tree(tmp_path / "src", {"index.html": "<p>one</p>"})
    origin = tmp_path / "origin"
    build_site(src, tmp_path / "b1")
    publish(tmp_path / "b1", target=open_target(str(origin)))
    first = (origin / "index.html").stat().st_mtime_ns
    (src / "index.html").write_text("<p>two</p>")
    build_site(src, tmp_path / "b2")
    publish(tmp_path / "b2", target=open_target(str(origin)))
    assert (origin / "index.html").read_text() == "<p>two</p>"
    assert (origin / "index.html").stat().st_mtime_ns // 10**9 > first // 10**9


def test_writes_are_durable_in_publish_order(site, built, tmp_path, monkeypatch):
    """Every file is fsynced before its rename, and the directories holding a step's files
    are fsynced before the next step renames anything: after a power loss the pages are
    never on disk without the fingerprinted files they reference. (The system calls are
    recorded, then passed through; a crash cannot be staged in a test.)"""
    import os

    from assetpub.publish.state import load_local

    origin = tmp_path / "origin"
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst, *args, **kwargs):
        events.append(("rename", f"{src} -> {dst}"))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    publish(built, target=open_target(str(origin)))

    renames = [(i, *path.split(" -> ")) for i, (kind, path) in enumerate(events) if kind == "rename"]
    renames = [(i, src, dst) for i, src, dst in renames if dst.startswith(str(origin))]
    assert renames
    for i, src, dst in renames:  # the bytes are on disk before the name is
        assert ("fsync", src) in events[:i], f"{dst} renamed before its bytes were synced"
    fingerprinted = {str(origin / o.key) for o in load_local(built).objects if o.fingerprinted}
    page = next(i for i, _, dst in renames if dst == str(origin / "index.html"))
    synced_before_page = {path for kind, path in events[:page] if kind == "fsync"}
    written = {dst for _, _, dst in renames} & fingerprinted
    assert written == fingerprinted  # a first publish writes them all, before the page
    for path in written:
        assert os.path.dirname(path) in synced_before_page, f"{path}'s directory not synced before the page"
    assert str(origin) in synced_before_page  # new directories are entries of the root


def test_file_systems_that_cannot_sync_a_directory_still_publish(built, tmp_path, monkeypatch):
    """vboxsf, some 9p and CIFS mounts answer EINVAL to fsync on a directory: nothing to
    do there. A real I/O error is one line, and the publish stops."""
    import errno
    import os

    from assetpub.publish import PublishError

    real_fsync = os.fsync
    answer = {"errno": errno.EINVAL}

    def fsync(fd):
        if os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(answer["errno"], os.strerror(answer["errno"]))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    publish(built, target=open_target(str(tmp_path / "a")))
    assert (tmp_path / "a/index.html").is_file()
    answer["errno"] = errno.EIO
    import pytest

    with pytest.raises(PublishError, match=r"cannot sync: Input/output error"):
        publish(built, target=open_target(str(tmp_path / "b")))


def test_a_file_left_in_place_by_a_killed_publish_is_synced_too(built, tmp_path, monkeypatch):
    """A rerun finds the file already renamed into place (maybe not yet durable) and
    skips copying it; it still syncs it before the pages that need it."""
    import os
    import shutil

    from assetpub.publish.state import load_local

    origin = tmp_path / "origin"
    first = next(o for o in load_local(built).objects if o.fingerprinted)
    (origin / first.key).parent.mkdir(parents=True)
    shutil.copyfile(built / first.key, origin / first.key)  # as a killed publish left it
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}")) or real_fsync(fd))
    publish(built, target=open_target(str(origin)))
    assert str(origin / first.key) in synced and str((origin / first.key).parent) in synced
