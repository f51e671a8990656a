"""The publish hash cache (BUILD/.assetpub/publish-hashes.json): a file is hashed again
whenever its size, mtime, ctime or inode changed, and never trusted when it changed
within RACY_NS of being hashed."""

from __future__ import annotations

import json
import os
import time

import pytest

from assetpub.publish import hashes
from assetpub.publish.hashes import NAME, sha256_file
from assetpub.publish.state import load_local

KEY = "robots.txt"  # keeps its name: one file, no variants


@pytest.fixture
def later(monkeypatch):
    """A clock one second ahead: the build's files are old enough to be remembered."""
    monkeypatch.setattr(hashes, "clock_ns", lambda: time.time_ns() + 1_000_000_000)


def _cache(built) -> dict:
    path = built / NAME
    return json.loads(path.read_bytes())["files"] if path.exists() else {}


def _poison(built, key: str, **change) -> None:
    """Put a wrong hash in the cache for key; `change` alters the recorded stat."""
    data = json.loads((built / NAME).read_bytes())
    entry = data["files"][key]
    for i, field in enumerate(("size", "mtime", "ctime", "inode")):
        entry[i] += change.get(field, 0)
    entry[4] = "0" * 64
    (built / NAME).write_text(json.dumps(data))


def _sha(built, key: str, **kw) -> str:
    return load_local(built, **kw).by_key[key].sha256


def test_files_changed_just_before_hashing_are_not_remembered(built, monkeypatch):
    st = (built / KEY).stat()
    monkeypatch.setattr(hashes, "clock_ns", lambda: max(st.st_mtime_ns, st.st_ctime_ns) + hashes.RACY_NS // 2)
    load_local(built)
    assert KEY not in _cache(built)  # a write in the same clock tick would go unseen
    monkeypatch.setattr(hashes, "clock_ns", lambda: max(st.st_mtime_ns, st.st_ctime_ns) + hashes.RACY_NS * 2)
    load_local(built)
    assert KEY in _cache(built)


def test_unchanged_files_are_not_read_again(built, later):
    local = load_local(built)
    cached = _cache(built)
    assert set(cached) == {o.key for o in local.objects if o.file}
    _poison(built, KEY)
    assert _sha(built, KEY) == "0" * 64  # the cache was believed: the file was not read
    assert _sha(built, KEY, cached=False) == sha256_file(built / KEY)


@pytest.mark.parametrize("field", ["size", "mtime", "ctime", "inode"])
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
    for junk in (b"{not json", b'{"format": 99, "files": {}}', b"[]", b'{"format": 1, "files": {"robots.txt": 5}}'):
        (built / NAME).write_bytes(junk)
        assert _sha(built, KEY) == expected
    assert _cache(built)[KEY][4] == expected  # and rewritten whole


def test_a_cache_that_cannot_be_written_is_not_an_error(built, later):
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
