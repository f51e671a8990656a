"""Direct table tests of the two stat-keyed caches: the build cache (cache.py) and the
publish hashes (hashes.py), and the one validity check they share (stamps.remembered)."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from assetpub.cache import CACHE_NAME, FORMAT, BuildCache
from assetpub.compilers import REVISION
from assetpub.hashes import NAME, HashCache, record_written
from assetpub.output import STATE_DIR
from assetpub.stamps import remembered, stamp

SHA = "ab" * 32
PIPELINE = "p1"


@pytest.fixture
def file(tmp_path):
    path = tmp_path / "a.css"
    path.write_bytes(b"a{}")
    return path


@pytest.mark.parametrize("entry, found", [
    (lambda st: [*stamp(st), SHA], SHA),
    (lambda st: [*stamp(st), SHA.upper()], None),  # not a SHA-256 as we write them
    (lambda st: [*stamp(st), 3], None),
    (lambda st: [*stamp(st)], None),  # too short
    (lambda st: [*stamp(st), SHA, "x"], None),  # too long
    (lambda st: [st.st_size + 1, *stamp(st)[1:], SHA], None),  # size moved
    (lambda st: [st.st_size, st.st_mtime_ns - 1, *stamp(st)[2:], SHA], None),  # mtime moved
    (lambda st: [*stamp(st)[:2], st.st_ctime_ns + 1, *stamp(st)[3:], SHA], None),  # ctime moved (touch -r)
    (lambda st: [*stamp(st)[:3], st.st_ino + 1, st.st_dev, SHA], None),  # replaced by another file
    (lambda st: {"sha": SHA}, None),
    (lambda st: None, None),
])
def test_remembered(file, entry, found):
    st = os.stat(file)
    assert remembered(entry(st), st) == found


def write_cache(out, **data):
    path = out / CACHE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    table = {"format": FORMAT, "pipeline": PIPELINE, "scanners": REVISION, "sources": {}, "scans": {}, "products": {}}
    path.write_text(json.dumps({**table, **data}) if data.get("raw") is None else data["raw"])


@pytest.mark.parametrize("data, discarded, kept", [
    ({}, None, {"sources", "scans", "products"}),
    ({"raw": "{not json"}, "unreadable (JSONDecodeError)", set()),
    ({"raw": "[]"}, "unknown format", set()),
    ({"format": FORMAT + 1}, "unknown format", set()),  # another version: rebuilt whole, never misread
    ({"scans": []}, "malformed", set()),
    ({"scanners": REVISION + 1}, None, {"sources", "products"}),  # scans of other scanners dropped
    ({"pipeline": "p2"}, None, {"sources", "scans"}),  # products of another pipeline dropped
])
def test_build_cache_load(tmp_path, data, discarded, kept):
    tables = {"sources": {"s": [1]}, "scans": {"css:x": [[], []]}, "products": {"a": {}}}
    write_cache(tmp_path, **{**tables, **data})
    cache = BuildCache(tmp_path, PIPELINE)
    assert cache.discarded == discarded
    assert {t for t in tables if getattr(cache, t)} == kept


def test_build_cache_missing_is_empty_and_not_discarded(tmp_path):
    cache = BuildCache(tmp_path, PIPELINE)
    assert (cache.discarded, cache.sources, cache.scans, cache.products) == (None, {}, {}, {})


@pytest.mark.parametrize("entry, found", [
    (lambda st: [*stamp(st), SHA], SHA),
    (lambda st: [st.st_size + 1, *stamp(st)[1:], SHA], None),
    (lambda st: [*stamp(st), "not-a-sha"], None),
])
def test_build_cache_source_sha(tmp_path, file, entry, found):
    st = os.stat(file)
    write_cache(tmp_path, sources={str(file): entry(st)})
    assert BuildCache(tmp_path, PIPELINE).source_sha(str(file), st) == found


@pytest.mark.parametrize("scan, found", [
    ([[["u", 0, 1, "url", None, None, 1]], []], True),
    ([[], []], True),
    ([[]], False),
    ({"refs": []}, False),
    ([[], "notes"], False),
])
def test_build_cache_scan(tmp_path, scan, found):
    write_cache(tmp_path, scans={"css:x": scan})
    assert (BuildCache(tmp_path, PIPELINE).scan("css:x") is not None) == found


def product_cache(out, change=lambda product: None):
    (out / "a.1.css").write_bytes(b"a{}")
    (out / "a.1.css.br").write_bytes(b"br")
    entry = {"path": "a.1.css", "integrity": "sha384-x", "size": 3, "encodings": {"br": {"path": "a.1.css.br"}}}
    cache = BuildCache(out, PIPELINE)
    cache.remember_product("a.css", "d1", entry, out)
    product = cache.products["a.css"]
    change(product)
    return cache.product("a.css", "d1", out), entry


@pytest.mark.parametrize("change, valid", [
    (lambda out, p: None, True),
    (lambda out, p: (out / "a.1.css").write_bytes(b"a{}b"), False),  # an output edited by hand
    (lambda out, p: (out / "a.1.css.br").unlink(), False),  # a variant deleted
    (lambda out, p: p.update(digest="d2"), False),  # another fingerprint
    (lambda out, p: p["files"].update({"../x": [1, 1]}), False),  # a tampered cache naming a path outside
    (lambda out, p: p["entry"].update(encodings=[]), False),
    (lambda out, p: p.update(files={}), False),
])
def test_build_cache_product(tmp_path, change, valid):
    found, entry = product_cache(tmp_path, lambda product: change(tmp_path, product))
    assert (found == entry) if valid else found is None


def test_build_cache_save_writes_nothing_when_nothing_changed(tmp_path):
    cache = BuildCache(tmp_path, PIPELINE)
    cache.save(live_sources=set(), live_scans=set(), live_names=set())
    before = (tmp_path / CACHE_NAME).stat().st_mtime_ns
    again = BuildCache(tmp_path, PIPELINE)
    again.save(live_sources=set(), live_scans=set(), live_names=set())
    assert (tmp_path / CACHE_NAME).stat().st_mtime_ns == before and again.discarded is None


def write_hashes(root, raw):
    path = root / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw)


@pytest.mark.parametrize("raw, reused", [
    (lambda st: json.dumps({"format": 2, "files": {"a.css": [*stamp(st), SHA]}}), True),
    (lambda st: json.dumps({"format": 1, "files": {"a.css": [*stamp(st), SHA]}}), False),  # another version
    (lambda st: json.dumps({"format": 2, "files": {"a.css": [st.st_size + 1, *stamp(st)[1:], SHA]}}), False),
    (lambda st: json.dumps({"format": 2, "files": []}), False),
    (lambda st: "{corrupt", False),
])
def test_hash_cache_reuses_only_a_valid_entry_of_its_version(tmp_path, file, raw, reused):
    st = os.stat(file)
    write_hashes(tmp_path, raw(st))
    found = HashCache(tmp_path).sha256_all([("a.css", str(file), st)])["a.css"]
    assert found == (SHA if reused else hashlib.sha256(b"a{}").hexdigest())


def test_hash_cache_is_not_read_when_told_so(tmp_path, file):
    st = os.stat(file)
    write_hashes(tmp_path, json.dumps({"format": 2, "files": {"a.css": [*stamp(st), SHA]}}))
    assert HashCache(tmp_path, read=False).sha256_all([("a.css", str(file), st)])["a.css"] != SHA


def test_hash_cache_lives_in_the_build_state_directory_and_record_written_adds(tmp_path, file):
    assert NAME.startswith(STATE_DIR + "/")
    st = os.stat(file)
    record_written(tmp_path, {"a.css": [*stamp(st), SHA]})
    record_written(tmp_path, {"b.css": [1, 2, 3, 4, 5, SHA]})
    files = json.loads((tmp_path / NAME).read_text())["files"]
    assert sorted(files) == ["a.css", "b.css"]
    assert HashCache(tmp_path).sha256_all([("a.css", str(file), st)]) == {"a.css": SHA}
