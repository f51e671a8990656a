"""plan() is pure: table tests over plain data, no I/O."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from assetpub.manifest import Manifest
from assetpub.publish.actions import Action, Cause, Kind, Problem, Reason, Step
from assetpub.publish.plan import Plan, PlanOptions, diff, plan
from assetpub.publish.record import CURRENT_KEY, JOURNAL_KEY, DeployRecord, deploy_key
from assetpub.publish.state import Headers, LocalObject, LocalState, RemoteObject, RemoteState

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
IMM = Headers("text/css; charset=utf-8", "public, max-age=31536000, immutable")
IMM_BR = Headers("text/css; charset=utf-8", "public, max-age=31536000, immutable", "br")
REV = Headers("text/html; charset=utf-8", "public, max-age=0, must-revalidate")


def obj(key, sha="a" * 64, headers=IMM, fingerprinted=True, step=None, file=True):
    return LocalObject(
        key=key,
        file=Path("/build") / key if file else None,
        sha256=sha if file else None,
        size=10,
        headers=headers,
        fingerprinted=fingerprinted,
        step=step or (1 if fingerprinted else 2),
    )


def remote(sha="a" * 64, headers=IMM):
    return RemoteObject(sha, 10, headers)


def local(*objects):
    return LocalState(Path("/build"), Manifest(base_url="/", assets={}), tuple(objects))


def options(previous=None, pending=()):
    return PlanOptions(deploy_id="D1", now=NOW, tool="assetpub test", previous=previous, pending=pending)


def record_of(state: LocalState) -> DeployRecord:
    return DeployRecord("D0", "2026-01-01T00:00:00Z", "t", {}, {o.key: o.record_entry() for o in state.objects})


@pytest.mark.parametrize(
    "local_obj, remote_obj, kind, reason",
    [
        (obj("a.1.css"), None, "upload", "not on target"),
        (obj("a.1.css"), remote(), "skip", "unchanged"),
        (obj("index.html", "b" * 64, REV, False), remote("c" * 64, REV), "overwrite", "content changed"),
        (obj("index.html", "b" * 64, REV, False), remote(None, REV), "overwrite", "no assetpub hash on target"),
        (obj("a.1.css", headers=IMM), remote(headers=REV), "update-headers", "headers changed"),
        (obj("a.1.css.br", headers=IMM_BR), remote(headers=IMM), "update-headers", "content-encoding None -> 'br'"),
        (obj("a.1.css", file=False), remote(), "skip", "already published"),
        (obj("a.1.css", file=False), remote(headers=REV), "update-headers", "cache-control"),
    ],
)
def test_each_action_with_its_reason(local_obj, remote_obj, kind, reason):
    state = local(local_obj)
    r = RemoteState({local_obj.key: remote_obj} if remote_obj else {})
    p = plan(state, r, options())
    (action,) = [a for a in p.files]
    assert action.kind == kind
    assert reason in action.reason


HTML = Headers("text/html; charset=utf-8", "public, max-age=0, must-revalidate")
PAGE = dict(sha="b" * 64, headers=HTML, fingerprinted=False)  # a keep-name file
U, W, H, S = Kind.UPLOAD, Kind.OVERWRITE, Kind.UPDATE_HEADERS, Kind.SKIP


@pytest.mark.parametrize(
    "local_objs, remote_objs, repairs, want",
    [  # one line per case, like Hugo's TestFindDiffs: what diff() decides for each key, and why
        pytest.param([], {}, (), [], id="empty"),
        pytest.param([obj("a.1.css")], {}, (), [("a.1.css", U, Reason.NOT_ON_TARGET, 1)], id="new"),
        pytest.param([obj("a.1.css")], {"a.1.css": remote()}, (), [("a.1.css", S, Reason.UNCHANGED, 1)], id="same"),
        pytest.param([obj("p.html", **PAGE)], {"p.html": remote("c" * 64, HTML)}, (), [("p.html", W, Reason.CONTENT_CHANGED, 2)], id="page-edited"),
        pytest.param([obj("p.html", **PAGE)], {"p.html": remote(None, HTML)}, (), [("p.html", W, Reason.NO_HASH, 2)], id="no-hash"),
        pytest.param([obj("a.1.css", "b" * 64)], {"a.1.css": remote("c" * 64)}, (), [("a.1.css", Problem.CONFLICT)], id="conflict"),
        pytest.param([obj("a.1.css", "b" * 64)], {"a.1.css": remote("c" * 64)}, ("a.1.css",), [("a.1.css", W, Reason.WRONG_HASH, 1)], id="verify-repair"),
        pytest.param([obj("a.1.css", "b" * 64)], {"a.1.css": remote(None)}, (), [("a.1.css", W, Reason.NO_HASH, 1)], id="fingerprinted-no-hash"),
        pytest.param([obj("a.1.css")], {"a.1.css": remote(headers=REV)}, (), [("a.1.css", H, Reason.HEADERS_CHANGED, 2)], id="headers-go-live-in-step-2"),
        pytest.param([obj("p.html", **PAGE)], {"p.html": remote("b" * 64, IMM)}, (), [("p.html", H, Reason.HEADERS_CHANGED, 2)], id="page-headers"),
        pytest.param([obj("a.1.css", file=False)], {"a.1.css": remote()}, (), [("a.1.css", S, Reason.REUSED, 1)], id="reused"),
        pytest.param([obj("a.1.css", file=False)], {}, (), [("a.1.css", Problem.MISSING)], id="reused-but-gone"),
        pytest.param([obj("b.1.css"), obj("a.1.css")], {"b.1.css": remote()}, (), [("a.1.css", U, Reason.NOT_ON_TARGET, 1), ("b.1.css", S, Reason.UNCHANGED, 1)], id="two"),
        pytest.param([obj("a.1.css")], {"a.1.css": remote(), "old.0.css": remote()}, (), [("a.1.css", S, Reason.UNCHANGED, 1)], id="remote-only-is-no-action"),
    ],
)
def test_diff(local_objs, remote_objs, repairs, want):
    found = diff(local(*sorted(local_objs, key=lambda o: o.key)), RemoteState(remote_objs), frozenset(repairs))
    got = [(a.key, a.kind, a.why, a.step) for a in found.actions]
    got += [(k, Problem.CONFLICT) for k in found.conflicts] + [(k, Problem.MISSING) for k in found.missing]
    assert sorted(got, key=str) == sorted(want, key=str)


def test_reasons_read_as_before_in_json():
    """Scripts read `action` and `reason` of `--json`: the enums' values are the old strings."""
    action = plan(local(obj("a.1.css", headers=IMM_BR)), RemoteState({"a.1.css.br": remote()}), options()).files[0]
    assert action.to_dict() == {"action": "upload", "key": "a.1.css", "reason": "not on target", "step": 1, "bytes": 10}
    update = diff(local(obj("a.1.css", headers=IMM_BR)), RemoteState({"a.1.css": remote()})).actions[0]
    assert update.to_dict()["reason"] == "headers changed: content-encoding None -> 'br'"
    journal = plan(local(obj("a.1.css")), RemoteState(), options()).actions[0]
    assert journal.reason == "1 keys about to be written" and journal.why is Reason.JOURNAL
    stash = plan(local(obj("index.html", "b" * 64, REV, False)), RemoteState(), options()).actions[1]
    assert (stash.kind, stash.reason) == (Kind.STASH, "bytes of index.html, for rollback")
    retired = Action(Kind.DELETE, "a.0.css", Cause.RETIRED, Step.PRUNE, detail="3 deploys since 2026-01-01T00:00:00Z")
    assert retired.reason == "unreferenced by the last 3 deploys since 2026-01-01T00:00:00Z"
    assert [k.value for k in Kind] == ["upload", "overwrite", "update-headers", "skip", "restore", "put", "stash", "delete"]


def test_an_action_without_what_it_needs_is_refused_when_made():
    with pytest.raises(ValueError, match="needs the object"):
        Action(Kind.UPLOAD, "a.css", Reason.NOT_ON_TARGET, Step.NEW_FILES)
    with pytest.raises(ValueError, match="no file to send"):
        Action(Kind.UPLOAD, "a.css", Reason.NOT_ON_TARGET, Step.NEW_FILES, obj("a.css", file=False))


def test_fingerprinted_key_with_different_bytes_is_a_conflict_not_an_overwrite():
    p = plan(local(obj("a.1.css", "b" * 64)), RemoteState({"a.1.css": remote("c" * 64)}), options())
    assert p.conflicts == ("a.1.css",)
    assert not [a for a in p.files if a.key == "a.1.css"]


def test_reused_object_missing_on_target_is_reported_missing():
    p = plan(local(obj("a.1.css", file=False)), RemoteState(), options())
    assert p.missing == ("a.1.css",)


def test_nothing_to_do_has_no_record_and_no_writes():
    state = local(obj("a.1.css"), obj("index.html", "b" * 64, REV, False))
    previous = record_of(state)
    p = plan(state, previous.remote_state(), options(previous))
    assert not p.has_work
    assert list(p.steps()) == []
    assert p.counts() == {
        "upload": 0, "overwrite": 0, "update-headers": 0, "skip": 2, "restore": 0, "delete": 0, "delete-records": 0
    }


def test_steps_order_fingerprinted_then_keep_name_then_manifest_then_records():
    state = local(
        obj("index.html", "b" * 64, REV, False),
        obj("a.1.css"),
        obj("a.1.css.br", headers=IMM_BR),
        obj("assetpub-manifest.json", "d" * 64, REV, False, step=3),
    )
    p = plan(state, RemoteState(), options())
    order = [(step, [a.key for a in actions]) for step, actions in p.steps()]
    assert order == [
        (0, [JOURNAL_KEY]),
        (1, ["_assetpub/objects/" + "b" * 64, "_assetpub/objects/" + "d" * 64, "a.1.css", "a.1.css.br"]),
        (2, ["index.html"]),
        (3, ["assetpub-manifest.json", deploy_key("D1"), CURRENT_KEY]),
        (4, [JOURNAL_KEY]),
    ]


def test_record_lists_every_object_and_carries_history():
    state = local(obj("a.1.css"), obj("index.html", "b" * 64, REV, False))
    previous = record_of(local(obj("a.0.css")))
    p = plan(state, previous.remote_state(), options(previous))
    assert set(p.record.objects) == {"a.1.css", "index.html"}
    assert p.record.objects["a.1.css"].sha256 == "a" * 64
    assert p.record.history[0].id == "D0"
    assert p.record.time == "2026-01-02T03:04:05Z"


def test_reused_object_takes_its_hash_from_the_target():
    p = plan(local(obj("a.1.css", file=False), obj("b.1.css")), RemoteState({"a.1.css": remote("e" * 64)}), options())
    assert p.record.objects["a.1.css"].sha256 == "e" * 64


def test_journal_lists_writes_and_keys_of_an_interrupted_publish():
    state = local(obj("a.1.css"), obj("b.1.css"), obj("c.1.css"))
    r = RemoteState({"b.1.css": remote(), "c.1.css": remote()})
    p = plan(state, r, options(pending=("b.1.css", "gone.css")))
    journal = [a for a in p.actions if a.key == JOURNAL_KEY and a.kind is Kind.PUT][0]
    assert b'"a.1.css"' in journal.data and b'"b.1.css"' in journal.data
    assert b"c.1.css" not in journal.data and b"gone.css" not in journal.data


def test_verify_reports_unknown_objects():
    state = local(obj("a.1.css"))
    previous = record_of(local(obj("a.1.css"), obj("old.0.css")))
    listed = RemoteState({"a.1.css": remote(), "old.0.css": remote(), "stray.txt": remote()}, complete=True)
    p = plan(state, listed, options(previous))
    assert p.unknown == ("stray.txt",)


def test_plan_is_deterministic():
    state = local(obj("b.1.css"), obj("a.1.css"))
    assert plan(state, RemoteState(), options()) == plan(state, RemoteState(), options())


def test_apply_deletes_in_batches_of_at_most_1000():
    """Real S3 rejects DeleteObjects with more than 1,000 keys (moto accepts them: do not rely on it)."""
    from assetpub.publish.apply import apply

    class Recorder:
        def __init__(self):
            self.batches = []

        def delete_many(self, keys):
            self.batches.append(list(keys))

        def end_step(self, step):
            pass

    keys = [f"old/{i:05d}.css" for i in range(2500)] + ["_assetpub/deploys/D0.json"]
    the_plan = Plan(tuple(Action(Kind.DELETE, k, Cause.RETIRED, Step.PRUNE) for k in keys), None)
    target = Recorder()
    result = apply(the_plan, target)
    assert [len(b) for b in target.batches] == [1000, 1000, 500, 1]  # records after their objects
    assert target.batches[-1] == ["_assetpub/deploys/D0.json"]
    assert result.deleted == 2500
