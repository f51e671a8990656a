"""Watch mode against a real watchdog observer on a temporary tree."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from assetpub.config import load_config
from assetpub.errors import ConfigError
from assetpub.manifest import Manifest
from assetpub.watch import Change, Rebuild, Watcher, describe, watch_config

CSS = ".a { color: red; }\n" * 20


def manifest(session) -> Manifest:
    return Manifest.load(session.out)


def served_bytes(session, name: str) -> bytes:
    m = manifest(session)
    return (session.out / m.path(name)).read_bytes()


def save(path, text: str) -> None:
    """Replace a file in one step, as editors do: no build can see it half-written."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def names(rebuild: Rebuild) -> set[str]:
    return {c.name for c in rebuild.changes} | {c.dest for c in rebuild.changes if c.dest}


def test_first_build_then_edit_rebuilds_with_cascading_fingerprints(watch_session):
    s = watch_session({"css/base.css": CSS, "css/app.css": '@import "base.css";\n.b { color: blue; }\n',
                       "css/other.css": '@import "base.css";\n'})
    first = s.watcher.last
    assert first.number == 0 and first.ok and first.result.files == 4
    before = manifest(s)

    save(s.src / "css/base.css", CSS + ".c { color: green; }\n")
    rebuild = s.rebuilds.wait(lambda r: "css/base.css" in names(r))

    assert rebuild.ok and rebuild.status == "ok"
    after = manifest(s)
    for name in ("css/base.css", "css/app.css", "css/other.css"):  # the edit and both importers
        assert after.path(name) != before.path(name)
    assert after.path("marker.txt") == before.path("marker.txt")
    assert b".c{color:green}" in served_bytes(s, "css/base.css")
    new_base = after.path("css/base.css").removeprefix("css/")
    assert f'@import "{new_base}"' in served_bytes(s, "css/app.css").decode()
    line = rebuild.line()
    assert line.startswith("css/base.css") and "rebuilt" in line and line.endswith("s")


def test_create_and_delete_a_file(watch_session):
    s = watch_session({"css/app.css": CSS})
    (s.src / "img").mkdir()
    save(s.src / "img/new.svg", "<svg/>")
    created = s.rebuilds.wait(lambda r: "img/new.svg" in manifest(s))
    assert created.ok and "img/new.svg" in names(created)
    assert (s.out / manifest(s).path("img/new.svg")).read_text() == "<svg/>"

    (s.src / "img/new.svg").unlink()
    deleted = s.rebuilds.wait(lambda r: "img/new.svg" not in manifest(s), after=created.number)
    assert Change("deleted", "img/new.svg") in deleted.changes or "img/new.svg" in names(deleted)
    assert "css/app.css" in manifest(s)


def test_rename_a_file(watch_session):
    s = watch_session({"css/app.css": CSS})
    os.rename(s.src / "css/app.css", s.src / "css/main.css")
    rebuild = s.rebuilds.wait(lambda r: "css/main.css" in names(r))
    assert Change("moved", "css/app.css", "css/main.css") in rebuild.changes
    m = manifest(s)
    assert "css/app.css" not in m and "css/main.css" in m
    assert "css/app.css -> css/main.css" in rebuild.line()


def test_atomic_save_temp_file_renamed_over_the_original(watch_session):
    s = watch_session({"css/app.css": CSS})
    tmp = s.src / "css/.app.css.tmp1234"  # what many editors and formatters write first
    tmp.write_text(".saved { color: teal; }\n")
    os.replace(tmp, s.src / "css/app.css")
    rebuild = s.rebuilds.wait(lambda r: "css/app.css" in names(r))
    assert rebuild.ok
    assert rebuild.changes == (Change("modified", "css/app.css"),)  # the temp name never shows
    assert served_bytes(s, "css/app.css") == b".saved{color:teal}"


def test_atomic_save_with_backup_rename_then_new_file(watch_session):
    """vim's default: rename the original to a backup, write a new file, delete the backup."""
    s = watch_session({"css/app.css": CSS})
    os.rename(s.src / "css/app.css", s.src / "css/app.css~")
    (s.src / "css/app.css").write_text(".vim { color: navy; }\n")
    (s.src / "css/app.css~").unlink()
    s.marker()  # every event of the save has been handled
    assert all(r.ok or r.status == "superseded" for r in s.rebuilds.items)
    assert served_bytes(s, "css/app.css") == b".vim{color:navy}"
    assert "css/app.css~" not in manifest(s)


def test_directories_created_renamed_and_deleted(watch_session):
    s = watch_session({"css/app.css": CSS})
    (s.src / "img/icons").mkdir(parents=True)
    for i in range(5):
        save(s.src / f"img/icons/i{i}.svg", f"<svg id='{i}'/>")
    s.rebuilds.wait(lambda r: all(f"img/icons/i{i}.svg" in manifest(s) for i in range(5)))

    os.rename(s.src / "img", s.src / "images")
    moved = s.rebuilds.wait(lambda r: "images/icons/i4.svg" in manifest(s))
    assert not any(n.startswith("img/") for n in manifest(s))
    assert moved.ok

    shutil.rmtree(s.src / "images")
    s.rebuilds.wait(lambda r: not any(n.startswith("images/") for n in manifest(s)), after=moved.number)
    assert set(manifest(s)) == {"css/app.css", "marker.txt"}


def test_burst_of_100_edits_is_one_rebuild_with_the_final_state(watch_session):
    s = watch_session({f"data/f{i}.txt": "v0\n" for i in range(10)}, debounce=0.5)
    for round_ in range(1, 11):  # 100 writes: every file ten times
        for i in range(10):
            (s.src / f"data/f{i}.txt").write_text(f"file {i} version {round_}\n")

    burst = s.rebuilds.wait()
    marker = s.marker()
    assert burst.number == 1 and burst.ok
    assert {f"data/f{i}.txt" for i in range(10)} <= names(burst)
    assert marker.number == 2 and names(marker) == {"marker.txt"}  # nothing rebuilt in between
    for i in range(10):
        assert served_bytes(s, f"data/f{i}.txt") == f"file {i} version 10\n".encode()


def test_error_reported_once_last_good_build_kept_then_fixed(watch_session):
    s = watch_session({"css/app.css": CSS}, strict=True)
    good = (s.out / "assetpub-manifest.json").read_bytes()

    save(s.src / "css/bad.css", '.x { color: red; }\n\n@import "missing.css";\n')
    failed = s.rebuilds.wait(lambda r: "css/bad.css" in names(r))
    assert failed.status == "failed" and not failed.ok
    assert "bad.css:3" in failed.error and "missing.css" in failed.error
    assert failed.line() == f"error: {failed.error} (the last good build stays in place)"
    assert (s.out / "assetpub-manifest.json").read_bytes() == good  # last good build untouched

    save(s.src / "css/bad.css", '.x { color: blue; }\n\n@import "missing.css";\n')
    again = s.rebuilds.wait(after=failed.number)
    assert again.status == "failed-again" and again.line() is None  # reported once
    assert (s.out / "assetpub-manifest.json").read_bytes() == good

    save(s.src / "css/bad.css", '.x { color: blue; }\n')
    fixed = s.rebuilds.wait(lambda r: r.ok, after=again.number)
    assert fixed.recovered and "(fixed)" in fixed.line()
    assert served_bytes(s, "css/bad.css") == b".x{color:blue}"


def test_unreadable_text_reports_file_and_line(watch_session):
    s = watch_session({"css/app.css": CSS})
    (s.src / "css/app.css").write_bytes(b".a{}\n.b{}\n.c{content:'\xff'}\n")
    failed = s.rebuilds.wait(lambda r: not r.ok)
    assert "app.css:3" in failed.error and "UTF-8" in failed.error
    (s.src / "css/app.css").write_text(".c{content:'ok'}\n")
    assert s.rebuilds.wait(lambda r: r.ok, after=failed.number).recovered


def test_a_permission_change_alone_rebuilds(watch_session):
    """Fixing an unreadable file is a chmod, with no write: it must still bring a rebuild."""
    s = watch_session({"css/app.css": CSS})
    os.chmod(s.src / "css/app.css", 0o600)
    rebuild = s.rebuilds.wait(lambda r: "css/app.css" in names(r))
    assert rebuild.ok and rebuild.changes == (Change("modified", "css/app.css"),)


def test_a_failing_first_build_keeps_watching(tmp_path, watch_session):
    s = watch_session({"css/app.css": '@import "gone.css";\n'}, strict=True)
    assert s.watcher.last.number == 0 and s.watcher.last.status == "failed"
    assert not (s.out / "assetpub-manifest.json").exists()
    (s.src / "css/app.css").write_text(".ok{}\n")
    assert s.rebuilds.wait(lambda r: r.ok).recovered
    assert "css/app.css" in manifest(s)


def test_ignored_files_do_not_trigger_rebuilds(watch_session):
    s = watch_session({"css/app.css": CSS, "drafts/keep.txt": "x"}, exclude=["drafts/**"])
    (s.src / ".hidden").write_text("dotfile")
    (s.src / "css/app.css.swp").write_text("vim swap")
    (s.src / "css/app.css~").write_text("backup")
    (s.src / ".git").mkdir()
    (s.src / ".git/HEAD").write_text("ref")
    (s.src / "drafts/new.txt").write_text("excluded")
    marker = s.marker()
    assert marker.number == 1 and names(marker) == {"marker.txt"}


def test_output_directory_inside_the_source_root_is_ignored(watch_session, tmp_path):
    s = watch_session({"css/app.css": CSS}, out=tmp_path / "src" / "build")
    # in one step: a plain write_text can be seen truncated by a first rebuild on a loaded machine
    save(s.src / "css/app.css", ".edited{}\n")
    edit = s.rebuilds.wait(lambda r: "css/app.css" in names(r))
    marker = s.marker()  # the edit's own output writes must not have caused a rebuild
    assert marker.number == edit.number + 1 and names(marker) == {"marker.txt"}
    assert not any(n.startswith("build/") for n in manifest(s))


def test_stop_waits_for_the_build_and_joins_the_observer(watch_session):
    s = watch_session({"css/app.css": CSS})
    s.watcher.stop()
    assert s.watcher._observer is None and not s.watcher._thread.is_alive()
    s.watcher.stop()  # idempotent


def test_missing_source_root_is_a_clear_error(tmp_path):
    config = load_config(None, discover=False, sources=(tmp_path / "nope",), out=tmp_path / "out")
    with pytest.raises(ConfigError, match="nope"):
        Watcher(config).start()


def test_watch_config_lowers_brotli_quality_only():
    config = load_config(None, discover=False, sources=("src",), out="out")
    assert watch_config(config, brotli_quality=5).brotli_quality == 5
    assert watch_config(config.replace(brotli_quality=3), brotli_quality=5).brotli_quality == 3
    assert watch_config(config, brotli_quality=None) is config


@pytest.mark.parametrize(
    "changes, text",
    [
        ((), "no file"),
        ((Change("modified", "a.css"),), "a.css"),
        ((Change("created", "a"), Change("deleted", "b"), Change("moved", "c", "d")), "+a, -b, c -> d"),
        (tuple(Change("modified", f"f{i}") for i in range(5)), "f0, f1, f2 and 2 more"),
    ],
)
def test_describe(changes, text):
    assert describe(changes) == text


@pytest.mark.parametrize(
    "rel, name",
    [
        ("css/a.css", "css/a.css"),
        (".well-known/security.txt", ".well-known/security.txt"),
        (".well-known/.x", None),
        ("css/.well-known/x", None),
        (".git/HEAD", None),
        ("css/.a.css.swp", None),
        ("css/a.css~", None),
        ("4913", None),
        ("drafts/x.txt", None),
        ("build/css/a.0123456789ab.css", None),
    ],
)
def test_filter_names_what_the_build_reads(tmp_path, rel, name):
    from assetpub.watch import _Filter

    config = load_config(None, discover=False, sources=(tmp_path / "src",), out=tmp_path / "src/build",
                         exclude=["drafts/**"])
    path = os.path.join(tmp_path, "src", *rel.split("/"))
    assert _Filter(config).name(path) == name
    assert _Filter(config).name(str(tmp_path / "elsewhere" / "a.css")) is None


def test_pages_directory_outside_the_sources_is_watched(watch_session, tmp_path):
    from tests.conftest import write_tree

    pages = write_tree(tmp_path / "templates", {
        "index.html": '{% include "_nav.html" %}<link href="{{ asset_url("css/app.css") }}">one\n',
        "_nav.html": "<nav>a</nav>",
    })
    s = watch_session({"css/app.css": CSS}, pages=pages)
    assert (s.out / "index.html").read_text().endswith("one\n")

    save(pages / "index.html", '{% include "_nav.html" %}two\n')
    edited = s.rebuilds.wait(lambda r: "templates/index.html" in names(r))
    assert edited.ok and (s.out / "index.html").read_text() == "<nav>a</nav>two\n"

    save(pages / "_nav.html", "<nav>b</nav>")  # a partial: not a page, but it counts
    partial = s.rebuilds.wait(lambda r: "templates/_nav.html" in names(r), after=edited.number)
    assert partial.ok and (s.out / "index.html").read_text() == "<nav>b</nav>two\n"

    (pages / ".index.html.swp").write_text("swap")
    assert names(s.marker()) == {"marker.txt"}


def test_an_edit_costs_what_it_changed(watch_session, tmp_path):
    """After an edit the build neither walks nor stat()s the unchanged sources nor their
    products (builder.BuildMemo), defers the build-cache save, and its output is exactly
    that of a cold build of the same tree; a new file makes it walk again."""
    import assetpub

    files = {f"css/s{i}.css": f".s{i} {{ color: #{i:06x} }}\n" for i in range(30)}
    s = watch_session({**files, "css/app.css": '@import "s1.css";\n.app { color: red }\n'})
    s.watcher._memo.save_every = 3600.0  # no timed save within this test
    cache = s.out / ".assetpub" / "cache.json"
    cache_before = (cache.stat().st_ino, cache.stat().st_mtime_ns)
    total = s.watcher.last.result.files

    with open(s.src / "css/s1.css", "a") as f:  # modified in place: a 'modified' event only
        f.write(".edited { color: blue }\n")
    s.rebuilds.wait(lambda r: r.ok and "css/s1.css" in names(r))
    stats = s.watcher._memo.stats
    assert stats["trusted_sources"] == total - 1  # only the edited file was stat()ed and read
    assert stats["trusted_products"] == total - 2  # s1.css and app.css (its importer) rebuilt
    assert (cache.stat().st_ino, cache.stat().st_mtime_ns) == cache_before  # save deferred
    cold = assetpub.build([s.src], out=tmp_path / "cold", brotli_quality=s.watcher.config.brotli_quality)
    assert (s.out / "assetpub-manifest.json").read_bytes() == (cold.out / "assetpub-manifest.json").read_bytes()

    save(s.src / "css/new.css", ".n { color: green }\n")
    s.rebuilds.wait(lambda r: r.ok and "css/new.css" in names(r))
    assert s.watcher._memo.stats["trusted_sources"] == 0  # created: walked and stat()ed again
    assert "css/new.css" in manifest(s).assets
    s.watcher.stop()
    assert (cache.stat().st_ino, cache.stat().st_mtime_ns) != cache_before  # flushed on stop
    assert "css/new.css" in json.loads(cache.read_text())["products"]
