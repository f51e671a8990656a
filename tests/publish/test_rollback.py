"""Rollback is a plan like a publish: its server-side copies run concurrently, the
manifest last; --dry-run --json shows the plan; a killed rollback is finished by the
next publish."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from assetpub.publish import PublishError, publish
from assetpub.publish.actions import Kind
from assetpub.publish.record import CURRENT_KEY
from assetpub.publish.rollback import rollback

from .conftest import DirBackend, S3Backend, build_site, record_json
from .test_interrupted import FailAt


def test_rollback_copies_concurrently_and_the_manifest_last(proxy, bucket, s3, site, built):
    backend = S3Backend(s3, bucket, proxy.url)
    publish(built, target=backend.target())
    old = {k: backend.read(k) for k in ("index.html", "robots.txt", "assetpub-manifest.json")}
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v2\n")
    build_site(site, built)
    publish(built, target=backend.target())
    proxy.reset()

    def is_copy(r):  # of a published file (current.json is a copy of the new deploy's record too)
        return r.method == "PUT" and "x-amz-copy-source" in r.headers and "/_assetpub/" not in r.path

    second = threading.Event()
    copies, overlapped = [], []

    def fault(i, r):  # the first copy is answered only once a second one has arrived
        if is_copy(r):
            copies.append(r.path)
            if len(copies) == 1:
                overlapped.append(second.wait(20))  # False: the copies ran one at a time
            else:
                second.set()
        return None

    proxy.fault = fault
    result = rollback(backend.target())
    assert overlapped == [True]
    assert copies[-1].endswith("/site/assetpub-manifest.json")  # alone, after all the others
    assert len(copies) == len(result.restored) >= 3
    assert {k: backend.read(k) for k in old} == old


@pytest.fixture(params=["s3", "directory"])
def target_of(request, tmp_path):
    """A directory origin, and S3 on moto (through the proxy)."""
    if request.param == "s3":
        proxy = request.getfixturevalue("proxy")
        return S3Backend(request.getfixturevalue("s3"), request.getfixturevalue("bucket"), proxy.url)
    return DirBackend(tmp_path / "origin")


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "assetpub.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_rollback_dry_run_json_is_a_publish_plan_and_changes_nothing(target_of, site, built):
    backend = target_of
    publish(built, target=backend.target())
    v1 = record_json(backend.read(CURRENT_KEY))
    old = {k: backend.read(k) for k in ("index.html", "robots.txt", "assetpub-manifest.json")}
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v2\n")
    build_site(site, built)
    publish(built, target=backend.target())
    before = {k: backend.read(k) for k in backend.keys()}

    dry = cli("rollback", *backend.cli_args(), "--dry-run", "--json")
    assert {k: backend.read(k) for k in backend.keys()} == before  # a dry run changes nothing
    published = cli("publish", built, *backend.cli_args(), "--dry-run", "--json")
    assert set(published) < set(dry) and set(published["plan"]) == set(dry["plan"])  # publish's shape, and more
    assert set(published["plan"]["counts"]) == set(dry["plan"]["counts"])
    assert (dry["dry_run"], dry["result"], dry["deploy"], dry["restored_from"]) == (True, None, None, v1["id"])
    restores = [a for a in dry["plan"]["actions"] if a["action"] == "restore"]
    assert [a["key"] for a in restores] == dry["restored"] and dry["plan"]["counts"]["restore"] == len(restores)
    assert {"index.html", "robots.txt", "assetpub-manifest.json"} <= set(dry["restored"])
    assert {a["reason"] for a in restores} == {f"as in the deploy rolled back to: {v1['id']}"}
    assert restores[-1]["key"] == "assetpub-manifest.json" and restores[-1]["step"] == 3  # last, with the records
    steps = [a["step"] for a in dry["plan"]["actions"]]
    assert steps == sorted(steps) and dry["plan"]["actions"][0]["key"] == "_assetpub/journal.json"
    assert "robots.txt" in dry["plan"]["invalidate"] and dry["plan"]["deploy"] not in (None, v1["id"])

    done = cli("rollback", *backend.cli_args(), "--json")
    assert done["dry_run"] is False and done["restored"] == dry["restored"]
    assert done["result"]["restored"] == len(done["restored"]) and done["result"]["uploaded"] == 0
    assert record_json(backend.read(CURRENT_KEY))["id"] == done["deploy"] == done["plan"]["deploy"]
    assert {k: backend.read(k) for k in old} == old
    assert backend.read("_assetpub/journal.json") is None and backend.read("_assetpub/lock.json") is None


def test_a_killed_rollback_is_finished_by_the_next_publish(target_of, site, built, tmp_path):
    """The rollback writes the publish's journal first: a rollback that dies after putting
    back a page, before the record, leaves a journal; the next publish checks the pages it
    lists instead of trusting the record (which still says the newer page is live)."""
    backend = target_of
    publish(built, target=backend.target())
    v2 = tmp_path / "v2"
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    build_site(site, v2)
    publish(v2, target=backend.target())
    new_page = backend.read("index.html")
    with pytest.raises(PublishError, match="injected"):
        rollback(FailAt(backend.target(), "put_bytes", when=lambda key: key.startswith("_assetpub/deploys/")))
    assert backend.read("index.html") != new_page  # the old page went back; the record still says v2
    assert backend.read("_assetpub/journal.json") is not None
    again = publish(v2, target=backend.target())
    assert "index.html" in {a.key for a in again.plan.files if a.kind is Kind.OVERWRITE}
    assert backend.read("index.html") == new_page and backend.read("_assetpub/journal.json") is None


def test_plan_rollback_is_pure_and_restores_only_what_differs():
    """plan_rollback over plain records: changed keep-name files in step 2 from the stash, a
    fingerprinted file whose headers differ in step 2 onto itself, the manifest in step 3,
    the records after it; unchanged keys and files of the newer deploy are left alone; a
    key whose source is not on the target is `missing`."""
    from datetime import datetime, timezone

    from assetpub.publish.actions import Reason, Step
    from assetpub.publish.plan import PlanOptions
    from assetpub.publish.prune import stash_key
    from assetpub.publish.record import JOURNAL_KEY, DeployRecord, deploy_key
    from assetpub.publish.rollback import plan_rollback

    def entry(sha, fingerprinted, cache="no-cache"):
        return {"sha256": sha * 64, "size": 1, "content_type": "text/plain", "cache_control": cache,
                "fingerprinted": fingerprinted}

    old = DeployRecord("D1", "2026-01-01T00:00:00Z", "t", {}, {
        "a.1.css": entry("a", True, "immutable"), "index.html": entry("b", False), "robots.txt": entry("c", False),
        "assetpub-manifest.json": entry("d", False)})
    live = DeployRecord("D2", "2026-01-02T00:00:00Z", "t", {}, {
        "a.1.css": entry("a", True), "a.2.css": entry("e", True), "index.html": entry("f", False),
        "robots.txt": entry("c", False), "assetpub-manifest.json": entry("9", False)})
    options = PlanOptions(deploy_id="D3", now=datetime(2026, 1, 3, tzinfo=timezone.utc), tool="t", previous=live)
    present = {"a.1.css", stash_key("b" * 64), stash_key("c" * 64), stash_key("d" * 64)}
    p = plan_rollback(old, present, options)
    got = [(a.kind.value, a.key, a.source, int(a.step)) for a in p.actions if a.kind is Kind.RESTORE]
    assert got == [
        ("restore", "a.1.css", "a.1.css", 2),  # its headers differ: copied onto itself
        ("restore", "index.html", stash_key("b" * 64), 2),
        ("restore", "assetpub-manifest.json", stash_key("d" * 64), 3),
    ]
    assert [a.key for a in p.actions if a.step == Step.RECORDS] == ["assetpub-manifest.json", deploy_key("D3"),
                                                                     "_assetpub/current.json"]
    assert p.actions[0].key == p.actions[-1].key == JOURNAL_KEY and p.missing == ()
    assert {a.why for a in p.actions if a.kind is Kind.RESTORE} == {Reason.ROLLED_BACK}
    assert p.record.objects == old.objects and p.record.history[0].id == "D2"
    assert plan_rollback(old, present - {stash_key("c" * 64)}, options).missing == ("robots.txt",)
    assert plan_rollback(old, present, options) == p  # deterministic
