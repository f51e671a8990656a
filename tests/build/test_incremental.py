"""Incremental builds: work proportional to what changed; the cache is never trusted blindly."""

from __future__ import annotations

import json
import os
import time

import pytest

import assetpub
from assetpub.build_stamp import STAMP_NAME
from assetpub.errors import BuildError
from tests.conftest import read_tree, wait_for_fs_clock

SITE = {
    "css/app.css": '@import "base.css";\n.a { background: url(../img/a.png) }\n',
    "css/base.css": ".b { background: url(../img/b.png) }\n",
    "css/theme.css": '@import "base.css";\n',
    "css/lonely.css": ".l { color: red }\n",
    "img/a.png": b"a",
    "img/b.png": b"b",
    "js/main.js": 'import "./util.js";\n',
    "js/util.js": "export const u = 1;\n",
    "index.html": '<link href="css/app.css" rel="stylesheet">',
}


def outputs(out):
    return {k: v for k, v in read_tree(out).items() if not k.startswith(".assetpub/")}


def _stamps(out):
    """(inode, mtime_ns, size) of every file under OUT, .assetpub/ included."""
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
            for p in out.rglob("*") if p.is_file()}


def test_noop_rebuild_writes_no_file_at_all(make_site, build, monkeypatch):
    """A no-op rewrites none of its caches (build cache, publish hashes, manifest, history)."""
    from assetpub import hashes, output

    src = make_site(SITE)
    out = build(src).out
    wait_for_fs_clock(src)  # past the racy-stat window: the stat cache trusts the sources
    build(src)
    before = _stamps(out)
    assert {".assetpub/cache.json", ".assetpub/publish-hashes.json", "assetpub-manifest.json"} <= set(before)
    writes = []
    real = output.write_atomic
    monkeypatch.setattr(output, "write_atomic", lambda path, data: (writes.append(str(path)), real(path, data))[1])
    loads = []
    real_load = hashes._load
    monkeypatch.setattr(hashes, "_load", lambda path: (loads.append(path), real_load(path))[1])
    from assetpub import json_file

    real_chunks = json_file.write_chunks_atomic  # the caches' streamed writer
    monkeypatch.setattr(json_file, "write_chunks_atomic", lambda path, chunks, **kw: (
        writes.append(str(path)), real_chunks(path, chunks, **kw))[1])
    result = build(src)
    assert result.processed == [] and result.written == 0
    assert writes == [] and loads == []  # publish-hashes.json not even read
    assert _stamps(out) == before


def test_noop_rebuild_processes_nothing(make_site, build):
    src = make_site(SITE)
    first = build(src)
    assert len(first.processed) == len(SITE)
    second = build(src)
    assert second.processed == [] and second.written == 0
    assert second.manifest.to_json() == first.manifest.to_json()


def test_noop_rebuild_only_stats_unchanged_files(make_site, build, tmp_path):
    """An unchanged stat stands for the content: proved by a wrong hash put in the cache
    behind an unchanged stat, which the next build believes."""
    src = make_site(SITE)
    build(src)
    first = build(src)  # the output's state directory exists now: its sources are remembered
    cache_file = tmp_path / "out/.assetpub/cache.json"
    data = json.loads(cache_file.read_bytes())
    entry = data["sources"][str(src / "img/a.png")]
    entry[-1] = "0" * 64
    cache_file.write_text(json.dumps(data))
    (tmp_path / "out" / STAMP_NAME).unlink(missing_ok=True)  # the no-op proof would skip the cache
    # the build names the file from the cached hash (its content is not read to scan), and
    # catches the lie when it reads the file to produce it; the state forgets it, so the
    # next build is right
    with pytest.raises(BuildError, match=r"a\.png: changed during the build, run again"):
        build(src)
    assert build(src).manifest.path("img/a.png") == first.manifest.path("img/a.png")


def test_same_size_edit_with_the_old_mtime_put_back_is_rebuilt(make_site, build):
    """`touch -r`-style: the ctime, which no program can set, still moves."""
    src = make_site(SITE)
    path = src / "css/lonely.css"
    build(src)
    first = build(src)
    st = path.stat()
    path.write_text(".l { color: tan }\n")  # same length
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    if path.stat().st_ctime_ns == st.st_ctime_ns:
        import pytest

        pytest.skip("the file system's clock did not move between two writes")
    second = build(src)
    assert second.processed == ["css/lonely.css"]
    assert second.manifest.path("css/lonely.css") != first.manifest.path("css/lonely.css")


def test_just_written_file_is_rehashed_not_trusted(make_site, build):
    """A file modified within the clock tick of the last build is not trusted by stat alone."""
    src = make_site(SITE)
    path = src / "css/lonely.css"
    soon = time.time_ns() + 10_000_000_000  # as if written in the same tick as the build
    os.utime(path, ns=(soon, soon))
    build(src)
    st = path.stat()
    path.write_text(".l { color: tan }\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert build(src).processed == ["css/lonely.css"]


def test_edit_rebuilds_only_the_file_and_what_reaches_it(make_site, build):
    src = make_site(SITE)
    build(src)
    (src / "css/base.css").write_text(".b { background: url(../img/b.png); color: red }\n")
    result = build(src)
    assert result.processed == ["css/app.css", "css/base.css", "css/theme.css", "index.html"]


def test_edit_of_leaf_image_cascades(make_site, build):
    src = make_site(SITE)
    build(src)
    (src / "img/b.png").write_bytes(b"b2")
    assert build(src).processed == ["css/app.css", "css/base.css", "css/theme.css", "img/b.png", "index.html"]


def test_incremental_result_equals_clean_build(make_site, build, tmp_path):
    src = make_site(SITE)
    build(src)
    (src / "js/util.js").write_text("export const u = 2;\n")
    (src / "css/new.css").write_text(".n{}")
    (src / "css/lonely.css").unlink()
    incremental = build(src)
    clean = build(src, out=tmp_path / "clean")
    assert incremental.manifest.to_json() == clean.manifest.to_json()
    live = incremental.manifest.paths()
    assert {k: v for k, v in outputs(tmp_path / "out").items() if k in live} == {
        k: v for k, v in outputs(tmp_path / "clean").items() if k in live
    }


def test_corrupt_cache_is_detected_and_rebuilt(make_site, build, tmp_path):
    src = make_site(SITE)
    first = build(src)
    cache = tmp_path / "out/.assetpub/cache.json"
    cache.write_bytes(b"\x00garbage{")
    second = build(src)
    assert any("build cache unreadable" in w for w in second.warnings)
    assert len(second.processed) == len(SITE)
    assert second.manifest.to_json() == first.manifest.to_json()
    json.loads(cache.read_bytes())  # rewritten whole


def test_foreign_or_tampered_cache_entry_is_rebuilt(make_site, build, tmp_path):
    src = make_site(SITE)
    first = build(src)
    cache_path = tmp_path / "out/.assetpub/cache.json"
    cache = json.loads(cache_path.read_bytes())
    cache["products"]["css/lonely.css"]["entry"]["integrity"] = "sha384-forged"
    cache["products"]["css/lonely.css"]["digest"] = "0" * 64  # entry for another fingerprint
    cache["scans"] = {k: "not a list" for k in cache["scans"]}
    cache_path.write_text(json.dumps(cache))
    second = build(src)
    assert "css/lonely.css" in second.processed
    assert second.manifest.to_json() == first.manifest.to_json()


def test_modified_or_deleted_output_is_rebuilt(make_site, build, tmp_path):
    src = make_site(SITE)
    first = build(src)
    out = tmp_path / "out"
    (out / first.manifest.path("css/lonely.css")).write_text("tampered")
    (out / first.manifest.path("js/util.js")).unlink()
    (out / "index.html").unlink()
    second = build(src)
    assert second.processed == ["css/lonely.css", "index.html", "js/util.js"]
    assert outputs(out)[first.manifest.path("css/lonely.css")] != b"tampered"
    assert (out / "index.html").is_file()


def test_cache_is_safe_to_delete(make_site, build, tmp_path):
    src = make_site(SITE)
    build(src)
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*") if p.is_file() and ".assetpub" not in p.parts}
    (tmp_path / "out/.assetpub/cache.json").unlink()
    result = build(src)
    assert len(result.processed) == len(SITE) and result.written == 0  # same bytes: nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_header_config_change_needs_no_reprocessing(make_site, build):
    src = make_site(SITE)
    build(src)
    result = build(src, cache_control_keep_name="no-cache")
    assert result.processed == []
    assert result.manifest.entry("index.html").cache_control == "no-cache"


def test_reuse_of_published_entries_skips_work_and_matches_full_build(make_site, tmp_path):
    src = make_site(SITE)
    published = assetpub.build([src], out=tmp_path / "first").manifest
    (src / "css/base.css").write_text(".b { color: blue }\n")
    reuse = {e["digest"]: e for e in published.assets.values()}
    fresh = assetpub.build([src], out=tmp_path / "fresh", reuse=reuse)
    full = assetpub.build([src], out=tmp_path / "full")
    assert fresh.processed == ["css/app.css", "css/base.css", "css/theme.css", "index.html"]
    assert "css/lonely.css" in fresh.reused and "img/a.png" in fresh.reused
    assert not (tmp_path / "fresh" / published.path("css/lonely.css")).exists()  # not built, not written
    assert fresh.manifest.assets == full.manifest.assets


def test_scans_of_another_scanner_revision_are_not_reused(make_site, build, tmp_path):
    """A new assetpub that finds references the old one did not (compilers.REVISION) must
    scan again, even for a file whose stat and content are unchanged."""
    from assetpub.compilers import REVISION

    src = make_site(SITE)
    build(src)
    clean = build(src).manifest.to_json()
    cache_file = tmp_path / "out/.assetpub/cache.json"
    data = json.loads(cache_file.read_bytes())
    data["scanners"] = REVISION - 1
    data["scans"] = {key: [[], []] for key in data["scans"]}  # what an older scanner "found"
    cache_file.write_text(json.dumps(data))
    assert build(src).manifest.to_json() == clean


def test_fresh_checkout_with_a_kept_cache_scans_nothing_again(make_site, build, monkeypatch):
    """Every stat is new (a CI checkout restoring OUT/.assetpub from its cache, or the first
    rebuild after a cold build): contents are hashed, and what was scanned before is not
    scanned again."""
    import assetpub.builder

    src = make_site(SITE)
    first = build(src)
    for path in src.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes())  # same bytes, new stat
    scanned = []
    real_scan = assetpub.builder.scan
    monkeypatch.setattr(assetpub.builder, "scan", lambda *a, **k: scanned.append(a[0]) or real_scan(*a, **k))
    second = build(src, jobs=1)
    assert scanned == [] and second.processed == []
    assert second.manifest.to_json() == first.manifest.to_json()
    (src / "css/lonely.css").write_text(".l { color: teal }\n")  # new content is scanned
    build(src, jobs=1)
    assert scanned == [str(src / "css/lonely.css")]


def test_closure_hashes_of_the_names_that_reach_a_change_equal_a_full_pass():
    """Watch mode hashes only what reaches an edited file (graph.reaching); the result must
    be what hashing the whole graph gives, cycles included."""
    import random

    from assetpub.graph import closure_hashes, reaching

    rng = random.Random(7)
    names = [f"n{i}" for i in range(200)]
    deps = {n: sorted(rng.sample(names, rng.randint(0, 3))) for n in names}  # cycles, self-loops
    own = {n: f"sha-{n}" for n in names}
    before = closure_hashes(deps, own)
    for changed in ({"n3"}, {"n10", "n150"}, set(rng.sample(names, 20))):
        own = {**own, **{n: own[n] + "'" for n in changed}}
        full = closure_hashes(deps, own)
        only = reaching(deps, changed)
        assert only < set(names) or len(changed) == 20
        partial = {**before, **closure_hashes(deps, own, only=only, known=before)}
        assert partial == full
        assert any(full[n] != before[n] for n in changed)
        before = full
