"""The publish lock under races: taking over a stale lock is a compare-and-swap, so two
publishes never both hold it; a holder whose lock was taken stops before anything live."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from assetpub.publish import publish
from assetpub.publish.lock import LOCK_KEY, Lock, LockedError, LockLost
from assetpub.publish.record import CURRENT_KEY
from assetpub.publish.rollback import deploys
from assetpub.publish.state import Headers
from tests.publish.conftest import record_json

from .conftest import build_site

STALE = {"owner": "gone-host:1:dead", "purpose": "publish", "created": "2020-01-01T00:00:00Z", "expires": "2020-01-01T00:00:01Z"}
JSON = Headers("application/json", "no-store")


class Interleaved:
    """A real target whose first read of the lock, in each thread, waits until every
    thread has read it: all of them see the same stale lock before any acts on it. An
    unconditional removal of the lock by a later thread then waits until another has
    taken the lock (the interleaving that made two publishes both hold it)."""

    def __init__(self, inner, barrier: threading.Barrier, shared: dict):
        self.inner, self.barrier, self.seen, self.shared = inner, barrier, threading.local(), shared

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _meet(self, key):
        if key == LOCK_KEY and not getattr(self.seen, "done", False):
            self.seen.done = True
            try:
                self.barrier.wait(20)
            except threading.BrokenBarrierError:
                pass

    def create_exclusive(self, key, data):
        made = self.inner.create_exclusive(key, data)
        if made and key == LOCK_KEY:
            self.shared["created"].set()
        return made

    def delete(self, key):
        if key == LOCK_KEY:
            with self.shared["mutex"]:
                self.shared["deletes"] += 1
                later = self.shared["deletes"] > 1
            if later:
                self.shared["created"].wait(10)
        self.inner.delete(key)

    def get(self, key):
        data = self.inner.get(key)
        self._meet(key)
        return data

    def read_versioned(self, key):
        found = self.inner.read_versioned(key)
        self._meet(key)
        return found


def _second_build(site, tmp_path, n):
    (site / "index.html").write_text((site / "index.html").read_text() + f"<p>build {n}</p>\n")
    out = tmp_path / f"build{n}"
    build_site(site, out)
    return out


def test_two_publishes_finding_one_stale_lock_never_both_hold_it(backend, site, built, tmp_path):
    publish(built, target=backend.target())
    builds = [_second_build(site, tmp_path, n) for n in (1, 2)]
    backend.target().put_bytes(LOCK_KEY, json.dumps(STALE).encode(), JSON)
    barrier = threading.Barrier(2)
    shared = {"created": threading.Event(), "mutex": threading.Lock(), "deletes": 0}
    outcomes: dict[int, object] = {}

    def run(n):
        try:
            outcomes[n] = publish(builds[n], target=Interleaved(backend.target(), barrier, shared), retention=None).plan.record.id
        except LockedError as e:
            outcomes[n] = e

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [v for v in outcomes.values() if isinstance(v, str)]
    lost = [v for v in outcomes.values() if isinstance(v, LockedError)]
    assert len(won) == 1 and len(lost) == 1, outcomes  # exactly one publish held the lock
    live = record_json(backend.read(CURRENT_KEY))
    assert live["id"] == won[0]
    listed = deploys(backend.target())
    assert [d["id"] for d in listed if d["live"]] == won
    history = {h["id"] for h in live["history"]}
    assert {d["id"] for d in listed} - {live["id"]} <= history  # every stored record is in the history
    assert backend.read(LOCK_KEY) is None


def test_a_holder_whose_lock_was_taken_over_stops_before_anything_live(backend, site, built, tmp_path):
    publish(built, target=backend.target())
    before = {k: backend.read(k) for k in backend.keys() if not k.startswith("_assetpub/")}
    new = _second_build(site, tmp_path, 1)
    target = backend.target()

    class TakenOverAfterStep1:
        """After the first fingerprinted upload, another publish takes the lock over (as if
        this one had stalled past its expiry)."""

        def __init__(self, inner):
            self.inner, self.done = inner, False

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def upload(self, obj, key=None):
            self.inner.upload(obj, key=key)
            if not self.done:
                self.done = True
                data, version = self.inner.read_versioned(LOCK_KEY)
                assert self.inner.replace_if(LOCK_KEY, json.dumps({**STALE, "owner": "thief:2:x"}).encode(), version)

    with pytest.raises(LockLost, match="lost its lock \\(now held by thief:2:x.*stopped before changing anything live"):
        publish(new, target=TakenOverAfterStep1(target), workers=1)
    after = {k: backend.read(k) for k in backend.keys() if not k.startswith("_assetpub/")}
    assert {k: v for k, v in after.items() if k in before} == before  # no live file changed
    assert json.loads(backend.read(LOCK_KEY))["owner"] == "thief:2:x"  # the other one's lock is left alone


def test_lock_operations_are_compare_and_swap(backend):
    target = backend.target()
    lock = Lock(target, ttl=timedelta(0))
    lock.acquire()
    assert target.create_exclusive(LOCK_KEY, b"{}") is None
    data, version = target.read_versioned(LOCK_KEY)
    assert json.loads(data)["owner"] == lock.owner
    assert target.replace_if(LOCK_KEY, b"{}", "not-the-version") is None
    assert target.delete_if(LOCK_KEY, "not-the-version") is False
    assert target.read_versioned(LOCK_KEY) == (data, version)
    lock.refresh()  # ttl 0: rewrites, conditionally, and keeps it
    lock.check()
    # taken over: refresh notices, release leaves the other one's lock alone
    _, version = target.read_versioned(LOCK_KEY)
    assert target.replace_if(LOCK_KEY, b'{"owner": "other:1:x"}', version)
    with pytest.raises(LockLost):
        lock.refresh()
    lock.release()
    assert json.loads(target.get(LOCK_KEY)) == {"owner": "other:1:x"}
    assert target.replace_if(LOCK_KEY, b"x", target.read_versioned(LOCK_KEY)[1])
    assert target.delete_if(LOCK_KEY, target.read_versioned(LOCK_KEY)[1]) is True
    assert target.read_versioned(LOCK_KEY) is None
    assert target.replace_if(LOCK_KEY, b"x", version) is None  # nothing to replace
