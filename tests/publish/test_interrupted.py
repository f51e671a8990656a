"""What a failed or killed publish leaves, and how the next publish finishes or repairs it
(both targets: S3 through the proxy, and a directory)."""

from __future__ import annotations

import json

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import PublishError, publish
from assetpub.publish.actions import Kind
from assetpub.publish.lock import LOCK_KEY
from assetpub.publish.record import CURRENT_KEY, JOURNAL_KEY
from assetpub.publish.rollback import deploys, rollback
from assetpub.publish.state import Headers
from tests.publish.conftest import record_json

from .conftest import build_site

STALE = {"owner": "gone-host:1:dead", "purpose": "publish", "created": "2020-01-01T00:00:00Z", "expires": "2020-01-01T00:00:01Z"}


class FailAt:
    """A real target whose n-th call of `method` (on any key matching `when`) raises: a
    publish that fails there, as a kill would stop it (nothing after it runs)."""

    def __init__(self, inner, method: str, n: int = 1, when=lambda key: True):
        self.inner, self.method, self.n, self.when, self.calls = inner, method, n, when, 0

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name != self.method:
            return attr

        def wrapped(*args, **kw):
            key = args[0] if isinstance(args[0], str) else args[0].key
            if self.when(key):
                self.calls += 1
                if self.calls >= self.n:
                    raise PublishError(f"injected failure at {name} {key}")
            return attr(*args, **kw)

        return wrapped


def fingerprinted_keys(build):
    m = Manifest.load(build)
    out = set()
    for entry in m.assets.values():
        if entry["fingerprinted"]:
            out.add(entry["path"])
            out.update(v["path"] for v in entry.get("encodings", {}).values())
    return out


def assert_clean(backend, build):
    """The target serves `build` exactly as its live record says, and nothing is left over."""
    assert backend.read(JOURNAL_KEY) is None and backend.read(LOCK_KEY) is None
    record = record_json(backend.read(CURRENT_KEY))
    for key, entry in record["objects"].items():
        assert backend.read(key) == (build / key).read_bytes(), key
        headers = {k: entry[k] for k in ("content_type", "cache_control", "content_encoding") if k in entry}
        assert backend.headers(key) == headers, key


def test_header_updates_of_live_fingerprinted_files_are_not_in_step_1(backend, site, built):
    publish(built, target=backend.target())
    build_site(site, built, cache_control="public, max-age=600")
    the_plan = publish(built, target=backend.target(), dry_run=True).plan
    updates = [a for a in the_plan.files if a.kind is Kind.UPDATE_HEADERS]
    assert {a.key for a in updates} == fingerprinted_keys(built)
    assert {a.step for a in updates} == {2}  # step 1 writes new names only: nothing live changes
    assert the_plan.invalidations == ["assetpub-manifest.json"]  # fingerprinted files never need one


def test_a_failed_header_change_is_repaired_by_republishing_the_live_build(backend, site, built, tmp_path):
    publish(built, target=backend.target())
    v2 = tmp_path / "v2"
    build_site(site, v2, cache_control="public, max-age=600")
    with pytest.raises(PublishError, match="injected"):
        publish(v2, target=FailAt(backend.target(), "update_headers", n=3), workers=1)
    changed = [k for k in fingerprinted_keys(built) if backend.headers(k)["cache_control"] == "public, max-age=600"]
    if backend.name == "s3":  # (a directory's headers sidecar is saved once per step)
        assert changed  # some live objects have the new headers, the record says the old ones
    assert backend.read(JOURNAL_KEY) is not None
    result = publish(built, target=backend.target())  # the live build again: must repair, not "nothing to do"
    assert {a.key for a in result.plan.files if a.kind is Kind.UPDATE_HEADERS} == set(changed)
    assert_clean(backend, built)


def test_a_stale_lock_and_journal_are_removed_even_when_nothing_changed(backend, built):
    publish(built, target=backend.target())
    live = backend.read(CURRENT_KEY)
    target = backend.target()
    target.put_bytes(LOCK_KEY, json.dumps(STALE).encode(), Headers("application/json", "no-store"))
    target.put_bytes(JOURNAL_KEY, json.dumps({"deploy": "20991231T000000000Z-abcdef", "keys": ["robots.txt"]}).encode(), Headers("application/json", "no-store"))
    result = publish(built, target=backend.target())
    assert not result.plan.has_work
    assert backend.read(LOCK_KEY) is None and backend.read(JOURNAL_KEY) is None
    assert backend.read(CURRENT_KEY) == live


def test_a_live_lock_is_left_to_its_publish_by_a_noop(backend, built):
    publish(built, target=backend.target())
    holder = {**STALE, "owner": "other-host:1:x", "expires": "2999-01-01T00:00:00Z"}
    target = backend.target()
    target.put_bytes(LOCK_KEY, json.dumps(holder).encode(), Headers("application/json", "no-store"))
    target.put_bytes(JOURNAL_KEY, b'{"deploy": "x", "keys": []}', Headers("application/json", "no-store"))
    assert not publish(built, target=backend.target()).plan.has_work
    assert json.loads(backend.read(LOCK_KEY)) == holder and backend.read(JOURNAL_KEY) is not None


def test_a_record_written_just_before_a_kill_is_in_no_history_and_the_rerun_removes_it(backend, site, built, tmp_path):
    publish(built, target=backend.target())
    first = record_json(backend.read(CURRENT_KEY))["id"]
    v2 = tmp_path / "v2"
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    build_site(site, v2)
    with pytest.raises(PublishError, match="injected"):  # killed between deploys/<id>.json and current.json
        publish(v2, target=FailAt(backend.target(), "put_bytes", when=lambda key: key == CURRENT_KEY))
    listed = deploys(backend.target())
    assert [d["id"] for d in listed] == [first]  # the record that never went live is not a deploy
    with pytest.raises(PublishError, match="no earlier deploy"):
        rollback(backend.target(), dry_run=True)
    result = publish(v2, target=backend.target())
    stored = sorted(k for k in backend.keys() if k.startswith("_assetpub/deploys/"))
    assert stored == sorted(f"_assetpub/deploys/{i}.json" for i in (first, result.plan.record.id))
    assert [d["id"] for d in deploys(backend.target())] == [result.plan.record.id, first]
    assert rollback(backend.target(), dry_run=True).restored_from == first
    assert_clean(backend, v2)
