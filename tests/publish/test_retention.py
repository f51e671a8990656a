"""Deploy history, retention with an injected clock, max-deletes, rollback, the lock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

import assetpub
from assetpub.durations import parse_duration
from assetpub.errors import ConfigError
from assetpub.manifest import Manifest
from assetpub.publish import PublishError, publish
from assetpub.publish.lock import LOCK_KEY, LockedError
from assetpub.publish.prune import Retention, plan_prune
from assetpub.publish.record import CURRENT_KEY, DeployRecord
from assetpub.publish.rollback import deploys, rollback
from tests.conftest import write_tree
from tests.publish.conftest import record_json

from .conftest import build_site
from .test_contract import FailingTarget

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, seconds",
    [("7d", 7 * 86400), ("12h", 43200), ("1d12h", 129600), ("30m", 1800), ("0s", 0), ("2w", 1209600)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "7", "d", "7x", "-1d", "1.5h"])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigError, match="invalid duration"):
        parse_duration(text)


def rec(deploy_id: str, when: datetime, *keys: str, keep_name: tuple[str, ...] = ()) -> DeployRecord:
    objects = {k: {"sha256": "a" * 64, "fingerprinted": True} for k in keys}
    objects.update({k: {"sha256": k[0] * 64, "fingerprinted": False} for k in keep_name})
    return DeployRecord(deploy_id, when.strftime("%Y-%m-%dT%H:%M:%SZ"), "t", {}, objects)


def test_prune_table():
    r1 = rec("1", T0, "a.1.css", "shared.png")
    r2 = rec("2", T0 + timedelta(days=1), "a.2.css", "shared.png")
    r3 = rec("3", T0 + timedelta(days=2), "a.3.css", "shared.png")
    r4 = rec("4", T0 + timedelta(days=3), "a.4.css", "shared.png")
    records = [r4, r3, r2, r1]
    keep2 = Retention(keep=2, grace=timedelta(days=7))
    # a.2.css was retired by r3 (day 2), a.1.css by r2 (day 1)
    deletions, dead = plan_prune(records, retention=keep2, now=T0 + timedelta(days=8, hours=12))
    assert [d.key for d in deletions] == ["a.1.css"]
    assert dead == ["_assetpub/deploys/1.json"]
    deletions, dead = plan_prune(records, retention=keep2, now=T0 + timedelta(days=9))
    assert sorted(d.key for d in deletions) == ["a.1.css", "a.2.css"]
    assert sorted(dead) == ["_assetpub/deploys/1.json", "_assetpub/deploys/2.json"]
    deletions, _ = plan_prune(records, retention=Retention(keep=4, grace=timedelta(0)), now=T0 + timedelta(days=99))
    assert deletions == []  # all referenced by the last 4
    assert "shared.png" not in {d.key for d in plan_prune(records, retention=keep2, now=T0 + timedelta(days=99))[0]}


def test_prune_removes_stashed_bytes_with_their_deploy_and_unknown_only_when_asked():
    r1 = rec("1", T0, keep_name=("index.html",))
    r2 = rec("2", T0 + timedelta(days=1), keep_name=("jndex.html",))
    listing = {"stray.txt": T0 - timedelta(days=30), "new.txt": T0 + timedelta(days=9), "index.html": T0}
    keep1 = Retention(keep=1, grace=timedelta(days=7))
    deletions, _ = plan_prune([r2, r1], retention=keep1, now=T0 + timedelta(days=10), listing=listing)
    assert sorted(d.key for d in deletions) == ["_assetpub/objects/" + "i" * 64, "index.html"]
    unknown = Retention(keep=1, grace=timedelta(days=7), delete_unknown=True)
    deletions, _ = plan_prune([r2, r1], retention=unknown, now=T0 + timedelta(days=10), listing=listing)
    assert "stray.txt" in {d.key for d in deletions} and "new.txt" not in {d.key for d in deletions}


def edit(site, n: int) -> None:
    path = site / "css/base.css"
    path.write_text(path.read_text() + f".v{n}{{top:{n}px}}\n")
    page = site / "index.html"
    page.write_text(page.read_text() + f"<p>v{n}</p>\n")


def deploy_versions(backend, site, built, count, *, retention=None, start=T0, step=timedelta(hours=1)):
    """Publish `count` versions at T0, T0+step, ...; returns the build manifests' paths per version."""
    versions = []
    for n in range(count):
        if n:
            edit(site, n)
        build_site(site, built)
        publish(built, target=backend.target(), now=start + n * step, retention=retention or Retention())
        versions.append(Manifest.load(built).paths() | {"assetpub-manifest.json"})
    return versions


def test_prune_keeps_last_n_and_deletes_only_after_grace(backend, site, built):
    retention = Retention(keep=3, grace=timedelta(days=7))
    versions = deploy_versions(backend, site, built, 4, retention=retention)
    old_only = versions[0] - versions[1] - versions[2] - versions[3]
    assert old_only and old_only <= backend.keys()  # v1 is out of the window but within the grace
    edit(site, 99)
    build_site(site, built)
    result = publish(built, target=backend.target(), now=T0 + timedelta(days=9), retention=retention)
    keys = backend.keys()
    live = versions[2] | versions[3] | Manifest.load(built).paths()
    assert live <= keys  # everything the last 3 deploys reference
    gone = (versions[0] | versions[1]) - live
    assert gone and not (gone & keys)
    assert result.applied.deleted == len(gone)
    assert len(deploys(backend.target())) == 3  # records of pruned deploys go too


def build_wrong_folder(tmp_path):
    """The build of some other folder: what publishing the wrong directory looks like."""
    (tmp_path / "other").mkdir()
    (tmp_path / "other/readme.txt").write_text("the wrong folder\n")
    build_site(tmp_path / "other", tmp_path / "wrong")
    return tmp_path / "wrong"


def test_max_deletes_refuses_before_anything_changes(backend, site, built, tmp_path):
    deploy_versions(backend, site, built, 2, retention=Retention(keep=1, grace=timedelta(0)))
    before = {k: backend.read(k) for k in backend.keys()}
    wrong = build_wrong_folder(tmp_path)
    with pytest.raises(PublishError, match=r"would delete \d+ objects of assets no longer deployed \(first: .+\), more than --max-deletes 3"):
        publish(
            wrong,
            target=backend.target(),
            now=T0 + timedelta(days=1),
            retention=Retention(keep=1, grace=timedelta(0), max_deletes=3),
        )
    assert {k: backend.read(k) for k in backend.keys()} == before
    assert backend.read(LOCK_KEY) is None


def test_max_deletes_stops_the_wrong_folder_with_the_default_keep_and_grace(backend, site, built, tmp_path):
    """Nothing is deleted at once (the previous deploy stays in the window), but the wrong
    folder would retire every file the live site uses: refused before anything changes."""
    deploy_versions(backend, site, built, 1)
    live = Manifest.load(built).paths()
    before = {k: backend.read(k) for k in backend.keys()}
    wrong = build_wrong_folder(tmp_path)
    with pytest.raises(PublishError, match=rf"would retire {len(live)} objects .*more than --max-deletes 10;"):
        publish(wrong, target=backend.target(), now=T0 + timedelta(hours=1), retention=Retention(max_deletes=10))
    assert {k: backend.read(k) for k in backend.keys()} == before
    assert backend.read(LOCK_KEY) is None
    # new fingerprints for the same assets (an edit, new build settings, an upgrade) are no
    # wrong folder, however many files they replace
    build_site(site, built, minify=False)
    result = publish(built, target=backend.target(), now=T0 + timedelta(hours=2), retention=Retention(max_deletes=3))
    assert len(live - Manifest.load(built).paths()) > 3 and result.applied.uploaded > 3


def test_retiring_old_versions_of_every_asset_is_not_refused(backend, site, built):
    """Every fingerprint changes (new build settings, or an upgrade of assetpub's pipeline):
    the publish passes, and so does the later one whose retention deletes all the old
    versions, with a max-deletes far below their number; they are still deleted."""
    build_site(site, built)
    publish(built, target=backend.target(), now=T0)
    old = Manifest.load(built).paths() - {"index.html", "robots.txt"}
    build_site(site, built, minify=False)  # every CSS/JS fingerprint changes, and what links them
    retention = Retention(keep=1, grace=timedelta(hours=1), max_deletes=2)
    publish(built, target=backend.target(), now=T0 + timedelta(minutes=1), retention=retention)
    new = Manifest.load(built).paths()
    replaced = old - new
    assert len(replaced) > 2 and replaced <= backend.keys()  # kept for the grace
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /tmp/\n")  # pruning runs when a publish has work
    build_site(site, built, minify=False)
    result = publish(built, target=backend.target(), now=T0 + timedelta(hours=2), retention=retention)
    assert result.applied.deleted == len(replaced) and not (replaced & backend.keys())
    assert Manifest.load(built).paths() <= backend.keys()


def named(deploy_id: str, when: datetime, version: int, names: list[str]) -> DeployRecord:
    """A record whose manifest lists `names`, each at a path of this version."""
    assets = {n: {"path": f"{n}.{version}", "fingerprinted": True} for n in names}
    objects = {e["path"]: {"sha256": "a" * 64, "fingerprinted": True} for e in assets.values()}
    return DeployRecord(deploy_id, when.strftime("%Y-%m-%dT%H:%M:%SZ"), "t", {"assets": assets}, objects)


def test_replaced_versions_count_unless_this_deploy_is_what_replaces_them():
    from assetpub.publish.prune import too_many

    names = [f"a{i}.css" for i in range(10)]
    live, wrong = named("1", T0, 1, names), named("2", T0 + timedelta(minutes=1), 2, names)
    aggressive = Retention(keep=1, grace=timedelta(0), max_deletes=3)
    deletions, _ = plan_prune([wrong, live], retention=aggressive, now=T0 + timedelta(minutes=2))
    assert len(deletions) == 10 and too_many(deletions, 3)  # could be the wrong folder: refused
    later = named("3", T0 + timedelta(days=8), 2, names)  # a routine deploy after the replacing one
    deletions, _ = plan_prune([later, wrong, live], retention=aggressive, now=T0 + timedelta(days=8))
    assert len(deletions) == 10 and too_many(deletions, 3) is None


@pytest.mark.parametrize("bad", [{"keep": 0}, {"max_deletes": -1}, {"grace": timedelta(seconds=-1)}])
def test_retention_rejects_nonsense(bad):
    with pytest.raises(ConfigError):
        Retention(**bad)


def test_no_prune_after_a_failure(backend, site, built):
    versions = deploy_versions(backend, site, built, 2, retention=Retention(keep=1, grace=timedelta(0)))
    edit(site, 3)
    build_site(site, built)
    with pytest.raises(PublishError, match="injected"):
        publish(
            built,
            target=FailingTarget(backend.target(), 4),
            now=T0 + timedelta(days=1),
            workers=1,
            retention=Retention(keep=1, grace=timedelta(0)),
        )
    assert versions[1] <= backend.keys()


def test_deploys_lists_newest_first(backend, site, built):
    deploy_versions(backend, site, built, 3)
    rows = deploys(backend.target())
    assert [r["time"] for r in rows] == sorted((r["time"] for r in rows), reverse=True)
    assert [r["live"] for r in rows] == [True, False, False]
    assert all(r["objects"] > 0 and r["bytes"] > 0 for r in rows)


def test_rollback_restores_previous_pages_byte_for_byte(backend, site, built):
    build_site(site, built)
    publish(built, target=backend.target(), now=T0)
    v1 = {k: backend.read(k) for k in Manifest.load(built).paths() | {"assetpub-manifest.json"}}
    v1_record = record_json(backend.read(CURRENT_KEY))
    edit(site, 2)
    build_site(site, built)
    publish(built, target=backend.target(), now=T0 + timedelta(hours=1))
    assert backend.read("index.html") != v1["index.html"]
    result = rollback(backend.target(), now=T0 + timedelta(hours=2))
    assert result.restored_from == v1_record["id"]
    assert "index.html" in result.restored and "assetpub-manifest.json" in result.restored
    assert {k: backend.read(k) for k in v1} == v1
    live = record_json(backend.read(CURRENT_KEY))
    assert live["objects"] == v1_record["objects"] and live["id"] == result.deploy
    assert backend.headers("index.html")["content_type"].startswith("text/html")
    # and publishing the v2 build again brings v2 back, uploading only keep-name files
    again = publish(built, target=backend.target(), now=T0 + timedelta(hours=3))
    assert {a.key for a in again.plan.files if a.kind == "upload"} == set()


def test_rollback_refuses_when_a_file_is_gone(backend, site, built):
    build_site(site, built)
    publish(built, target=backend.target(), now=T0)
    gone = Manifest.load(built).entry("css/base.css").path
    edit(site, 2)
    build_site(site, built)
    publish(built, target=backend.target(), now=T0 + timedelta(hours=1))
    backend.target().delete(gone)
    before = backend.read(CURRENT_KEY)
    with pytest.raises(PublishError, match=f"{gone}.* is no longer on"):
        rollback(backend.target())
    assert backend.read(CURRENT_KEY) == before


def test_rollback_to_unknown_deploy(backend, built):
    publish(built, target=backend.target())
    with pytest.raises(PublishError, match="no earlier deploy"):
        rollback(backend.target())
    with pytest.raises(PublishError, match="deploy nope not found"):
        rollback(backend.target(), deploy_id="nope")


def test_second_publish_is_refused_while_one_holds_the_lock(backend, site, built):
    build_site(site, built)
    target = backend.target()
    holder = {
        "owner": "other-host:1234:abcd",
        "purpose": "publish",
        "created": "2026-03-01T12:00:00Z",
        "expires": (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert target.create_exclusive(LOCK_KEY, json.dumps(holder).encode())
    with pytest.raises(LockedError, match="locked by another publish \\(owner other-host:1234:abcd") as refused:
        publish(built, target=backend.target())
    assert f"if it was killed, delete {backend.url}/_assetpub/lock.json" in str(refused.value)  # how to get out
    assert backend.read(CURRENT_KEY) is None  # nothing was written
    # an expired lock is taken over
    holder["expires"] = "2020-01-01T00:00:00Z"
    target.put_bytes(LOCK_KEY, json.dumps(holder).encode(), _json())
    publish(built, target=backend.target())
    assert backend.read(CURRENT_KEY) is not None and backend.read(LOCK_KEY) is None


def _json():
    from assetpub.publish.state import Headers

    return Headers("application/json", "no-store")


def test_verify_knows_earlier_deploys_objects(backend, site, built):
    versions = deploy_versions(backend, site, built, 2)
    backend.target().put_bytes("stray.txt", b"x", _json())
    result = publish(built, target=backend.target(), verify=True)
    assert result.plan.unknown == ("stray.txt",)
    assert versions[0] - versions[1]  # the first deploy's own files are on the target, and known


def test_lock_is_refreshed_and_released_and_never_steals(tmp_path):
    from assetpub.publish import open_target
    from assetpub.publish.lock import Lock

    target = open_target(str(tmp_path / "origin"))
    lock = Lock(target, now=T0, ttl=timedelta(0))
    with lock:
        first = json.loads(target.get(LOCK_KEY))
        assert first["expires"] == "2026-03-01T12:00:00Z"
        lock.refresh()
        assert json.loads(target.get(LOCK_KEY))["expires"] > first["expires"]
    assert target.get(LOCK_KEY) is None
    foreign = {"owner": "elsewhere:1:x", "created": "2026-03-01T12:00:00Z", "expires": "2999-01-01T00:00:00Z"}
    target.put_bytes(LOCK_KEY, json.dumps(foreign).encode(), _json())
    with pytest.raises(LockedError, match="owner elsewhere:1:x"):
        Lock(target).acquire()
    assert json.loads(target.get(LOCK_KEY)) == foreign


def test_the_wrong_folder_guard_scales_with_a_small_site(backend, site, built, tmp_path):
    """With the default max_deletes, a publish may retire at most half of what the live
    deploy uses (beyond a floor of 10), whatever the site's size: a 1-asset build over the
    sample site is refused; an explicit --max-deletes is the override."""
    deploy_versions(backend, site, built, 1)
    live = {k for k in backend.keys() if not k.startswith("_assetpub/")}
    assert 11 < len(live) < 500  # well under the absolute bound: the share must refuse it
    before = {k: backend.read(k) for k in backend.keys()}
    one = write_tree(tmp_path / "one", {"robots.txt": "User-agent: *\n"})
    assetpub.build([one], out=tmp_path / "one-out")
    with pytest.raises(PublishError, match=r"would retire \d+ objects of the \d+ the live deploy uses .*more than half"):
        publish(tmp_path / "one-out", target=backend.target(), now=T0 + timedelta(hours=1))
    assert {k: backend.read(k) for k in backend.keys()} == before
    explicit = Retention(max_deletes=len(live))
    assert publish(tmp_path / "one-out", target=backend.target(), now=T0 + timedelta(hours=2), retention=explicit).plan.record


def test_retire_limit_is_half_with_a_floor_unless_given():
    from assetpub.publish.prune import retire_limit

    assert retire_limit(None, live=60) == 30
    assert retire_limit(None, live=40) == 20
    assert retire_limit(None, live=19) == 10  # small sites: a handful of renames is no wrong folder,
    assert retire_limit(None, live=4) == 3  # but retiring all of it is
    assert retire_limit(None, live=1) == 0 and retire_limit(None, live=0) == 0
    assert retire_limit(None, live=100_000) == 500  # the absolute default
    assert retire_limit(25, live=60) == 25 and retire_limit(1000, live=60) == 1000  # given: used as is
