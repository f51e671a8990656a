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
    logo = origin / Manifest.load(built).entry("img/logo.png")["path"]
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
