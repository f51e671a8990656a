"""The publish hash cache (BUILD/.assetpub/publish-hashes.json): a file is hashed again
whenever its size, mtime, ctime, inode or device changed, and a hash is remembered only
for a file that had settled before hashing began (assetpub/stamps.py)."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from assetpub import stamps
from assetpub.hashes import NAME, sha256_file
from assetpub.publish.state import load_local

KEY = "robots.txt"  # keeps its name: one file, no variants


@pytest.fixture
def later(monkeypatch):
    """Every file counts as settled (the build's files may share a clock tick with the
    publish that follows it at once; the rule itself is tested below)."""
    monkeypatch.setattr(stamps.Reference, "settled", lambda self, st: True)


def _cache(built) -> dict:
    path = built / NAME
    return json.loads(path.read_bytes())["files"] if path.exists() else {}


def _poison(built, key: str, **change) -> None:
    """Put a wrong hash in the cache for key; `change` alters the recorded stat."""
    data = json.loads((built / NAME).read_bytes())
    entry = data["files"][key]
    for i, field in enumerate(("size", "mtime", "ctime", "inode", "device")):
        entry[i] += change.get(field, 0)
    entry[5] = "0" * 64
    (built / NAME).write_text(json.dumps(data))


def _sha(built, key: str, **kw) -> str:
    return load_local(built, **kw).by_key[key].sha256


def test_files_that_had_not_settled_are_hashed_but_not_remembered(built, monkeypatch):
    (built / NAME).unlink()  # what the build recorded: this is about files publish reads
    path = built / KEY
    st = path.stat()
    newest = max(st.st_mtime_ns, st.st_ctime_ns)
    monkeypatch.setattr(stamps.Reference, "settled", lambda self, s: max(s.st_mtime_ns, s.st_ctime_ns) < newest)
    assert _sha(built, KEY) == sha256_file(path)
    assert KEY not in _cache(built)  # changed in the reference's tick: a second write would go unseen
    monkeypatch.setattr(stamps.Reference, "settled", lambda self, s: True)
    load_local(built)
    assert KEY in _cache(built)


def _stat(newest_ns: int, device: int = 1):
    return SimpleNamespace(st_mtime_ns=newest_ns - 5, st_ctime_ns=newest_ns, st_dev=device)


def test_settled_means_older_than_the_marker_in_the_file_systems_own_granularity(tmp_path, monkeypatch):
    """On a file system with whole-second timestamps, a file written at 10.05 s and read at
    10.30 s shows 10 s, and so does the marker touched at 10.30 s: not settled, since a
    second write at 10.60 s would show 10 s again. The clock is no judge: by it, 250 ms
    have passed."""
    ref = stamps.Reference(tmp_path)
    second = 10**9
    ref.marker_ns, ref.device, ref.now_ns = 10 * second, 1, 10 * second + 300_000_000
    assert not ref.settled(_stat(10 * second))
    assert ref.settled(_stat(9 * second))
    assert not ref.settled(_stat(9 * second, device=2))  # another file system: only the clock, with a margin
    ref.now_ns = 9 * second + stamps.SETTLE_NS + 1
    assert ref.settled(_stat(9 * second, device=2))


def test_the_reference_comes_from_the_file_system_and_leaves_no_file(built, tmp_path):
    before = sorted(p.name for p in (built / ".assetpub").iterdir())
    ref = stamps.Reference(built / ".assetpub")
    assert sorted(p.name for p in (built / ".assetpub").iterdir()) == before
    assert ref.device == built.stat().st_dev
    assert abs(ref.marker_ns - ref.now_ns) < 10 * 10**9  # the same clock, in the file system's granularity


def test_without_a_marker_the_clock_decides_with_a_margin(tmp_path):
    ref = stamps.Reference(tmp_path / "missing")  # cannot be written: no marker
    assert ref.marker_ns is None
    assert not ref.settled(_stat(ref.now_ns - 1_000_000_000))
    assert ref.settled(_stat(ref.now_ns - stamps.SETTLE_NS - 1))


def test_unchanged_files_are_not_read_again(built, later):
    local = load_local(built)
    cached = _cache(built)
    assert set(cached) == {o.key for o in local.objects if o.file}
    _poison(built, KEY)
    assert _sha(built, KEY) == "0" * 64  # the cache was believed: the file was not read
    assert _sha(built, KEY, cached=False) == sha256_file(built / KEY)


@pytest.mark.parametrize("field", ["size", "mtime", "ctime", "inode", "device"])
def test_any_stat_change_means_hashing_again(built, later, field):
    load_local(built)
    _poison(built, KEY, **{field: 1})
    assert _sha(built, KEY) == sha256_file(built / KEY)


def test_a_same_size_edit_with_the_old_mtime_is_seen(built, later):
    """`touch -r`-style: same size, mtime put back. The ctime (which nobody can set) still moves."""
    path = built / KEY
    load_local(built)
    st = path.stat()
    recorded = _cache(built)[KEY]
    data = path.read_bytes()
    path.write_bytes(data.upper() if data.upper() != data else data.lower())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    now = path.stat()
    assert (now.st_size, now.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    if now.st_ctime_ns == recorded[2]:
        pytest.skip("the file system's clock did not move between two writes")
    assert _sha(built, KEY) == sha256_file(path)


def test_a_corrupt_or_foreign_cache_is_ignored(built, later):
    expected = sha256_file(built / KEY)
    real_stamp = stamps.stamp((built / KEY).stat())
    not_a_hash = json.dumps({"format": 2, "files": {KEY: [*real_stamp, "not a hash"]}}).encode()
    for junk in (b"{not json", b'{"format": 99, "files": {}}', b"[]", b'{"format": 2, "files": {"robots.txt": 5}}',
                 not_a_hash):
        (built / NAME).write_bytes(junk)
        assert _sha(built, KEY) == expected
    assert _cache(built)[KEY][5] == expected  # and rewritten whole


def test_a_cache_that_cannot_be_written_is_not_an_error(built, later):
    (built / NAME).unlink()
    (built / NAME).mkdir(parents=True)  # unreadable and unwritable, even for root
    assert _sha(built, KEY) == sha256_file(built / KEY)
    assert (built / NAME).is_dir()


def test_publish_after_a_cached_no_op_still_uploads_an_edit(site, built, later, tmp_path):
    from assetpub.publish import open_target
    from assetpub.publish.publisher import publish
    from tests.publish.conftest import build_site

    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)))
    assert not publish(built, target=open_target(str(origin))).plan.has_work
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /x\n")
    build_site(site, built)
    result = publish(built, target=open_target(str(origin)))
    assert "robots.txt" in {a.key for a in result.plan.files if a.kind != "skip"}
    assert (origin / "robots.txt").read_text() == "User-agent: *\nDisallow: /x\n"


def test_verify_reads_every_file_and_rewrites_the_cache(built, later, tmp_path):
    """--verify trusts nothing local either, and leaves a cache that is right again."""
    from assetpub.publish import open_target
    from assetpub.publish.publisher import publish

    load_local(built)
    _poison(built, KEY)
    assert _sha(built, KEY) == "0" * 64
    publish(built, target=open_target(str(tmp_path / "origin")), verify=True)
    assert _cache(built)[KEY][5] == sha256_file(built / KEY)
    assert (tmp_path / "origin" / KEY).read_bytes() == (built / KEY).read_bytes()


def test_a_marker_left_by_a_killed_process_is_swept(tmp_path):
    old = tmp_path / f"{stamps.MARKER_PREFIX}left"
    old.write_text("")
    os.utime(old, ns=(0, 0))
    fresh = tmp_path / f"{stamps.MARKER_PREFIX}other-process"
    fresh.write_text("")  # another process's, being used right now
    stamps.Reference(tmp_path)
    assert not old.exists() and fresh.exists()


def test_the_build_records_what_it_wrote_so_a_fresh_build_is_not_read_again(built):
    """No `later` fixture: the files were written a moment ago, and still need no reading,
    because the build knows the bytes it wrote."""
    local = load_local(built)
    assert {k for k, e in _cache(built).items()} == {o.key for o in local.objects if o.file}
    assert all(o.sha256 == sha256_file(o.file) for o in local.objects if o.file)
    _poison(built, KEY)
    assert _sha(built, KEY) == "0" * 64  # believed: the file was not read


def test_a_build_without_recorded_hashes_leaves_the_cache_alone(site, tmp_path):
    from tests.publish.conftest import build_site

    out = tmp_path / "quiet"
    build_site(site, out, record_hashes=False)
    assert not (out / NAME).exists()
