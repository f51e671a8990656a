"""Publish and rollback together: rollback plans against format-2 records, the conditional
read of current.json after a rollback (which keeps no local copy), and the CLI's JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assetpub.publish import publish
from assetpub.publish.record import CURRENT_KEY, deploy_key
from assetpub.publish.rollback import rollback
from assetpub.publish.store import LocalCopies

from .conftest import DirBackend, S3Backend, build_site, record_json


@pytest.fixture(params=["s3", "seaweedfs", "directory"])
def target_of(request, tmp_path):
    if request.param == "seaweedfs":
        from .conftest import _s3_server

        server = _s3_server(request, "seaweedfs")
        backend = S3Backend(server.client, server.bucket, server.proxy.url)
        backend.name = "s3"
        return backend
    if request.param == "s3":
        proxy = request.getfixturevalue("proxy")
        return S3Backend(request.getfixturevalue("s3"), request.getfixturevalue("bucket"), proxy.url)
    return DirBackend(tmp_path / "origin")


def cli(*args, ok=True):
    proc = subprocess.run([sys.executable, "-m", "assetpub.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return proc


def _two_builds(site, tmp_path):
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    build_site(site, v1)
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v2\n")
    (site / "css/base.css").write_text((site / "css/base.css").read_text() + ".v2{color:green}\n")
    build_site(site, v2)
    return v1, v2


def test_publish_v1_v2_rollback_publish_v2_again_is_v2(target_of, site, tmp_path):
    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    publish(v1, target=backend.target())
    r2 = publish(v2, target=backend.target())
    v2_files = {k: backend.read(k) for k in ("index.html", "robots.txt", "assetpub-manifest.json")}
    v2_objects = record_json(backend.read(CURRENT_KEY))["objects"]
    rb = rollback(backend.target())
    assert record_json(backend.read(CURRENT_KEY))["id"] == rb.deploy
    assert backend.read("index.html") != v2_files["index.html"]
    # v2's build directory still holds its copy of current.json (v2's record): stale now
    kept = LocalCopies(v2).load(backend.url if backend.name == "s3" else str(backend.root))
    assert kept is not None and record_json(kept[0])["id"] == r2.plan.record.id

    again = publish(v2, target=backend.target())
    assert again.applied is not None and again.plan.record is not None
    live = record_json(backend.read(CURRENT_KEY))
    assert live["id"] == again.plan.record.id != rb.deploy
    assert live["objects"] == v2_objects
    assert {k: backend.read(k) for k in v2_files} == v2_files
    assert record_json(backend.read(deploy_key(live["id"]))) == live
    assert [h["id"] for h in live["history"]][:1] == [rb.deploy]
    for key in live["objects"]:  # every object the record lists is there
        assert backend.read(key) is not None, key
    # and a third publish of the same build is a no-op (the copy now is right)
    third = publish(v2, target=backend.target())
    assert third.plan.record is None


def test_rollback_to_the_oldest_of_three_and_back_with_gzip_records(target_of, site, tmp_path):
    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    v3 = tmp_path / "v3"
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v3</p>\n")
    build_site(site, v3)
    ids = [publish(b, target=backend.target()).plan.record.id for b in (v1, v2, v3)]
    assert backend.read(deploy_key(ids[0]))[:2] == b"\x1f\x8b"  # format 2
    v1_index = None
    rb = rollback(backend.target(), deploy_id=ids[0])
    assert rb.restored_from == ids[0]
    live = record_json(backend.read(CURRENT_KEY))
    assert live["objects"] == record_json(backend.read(deploy_key(ids[0])))["objects"]
    v1_index = backend.read("index.html")
    back = rollback(backend.target(), deploy_id=ids[2])
    assert record_json(backend.read(CURRENT_KEY))["objects"] == record_json(backend.read(deploy_key(ids[2])))["objects"]
    assert backend.read("index.html") != v1_index
    assert back.deploy


def test_cli_deploys_and_rollback_dry_run_json_after_several_publishes(target_of, site, tmp_path):
    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    ids = [publish(b, target=backend.target()).plan.record.id for b in (v1, v2)]
    rollback(backend.target())
    ids.append(record_json(backend.read(CURRENT_KEY))["id"])
    ids.append(publish(v2, target=backend.target()).plan.record.id)
    listed = cli("deploys", *backend.cli_args(), "--json")
    rows = listed if isinstance(listed, list) else listed.get("deploys", listed)
    got = [r["id"] for r in rows]
    assert got[: len(ids)] == sorted(ids, reverse=True)[: len(got)]
    assert [r["live"] for r in rows].count(True) == 1 and rows[0]["live"]
    dry = cli("rollback", *backend.cli_args(), "--dry-run", "--json")
    assert dry["dry_run"] is True and dry["restored_from"] == ids[2]
    oldest = got[-1]  # retention keeps 3 records
    dry1 = cli("rollback", *backend.cli_args(), "--dry-run", "--json", "--deploy", oldest)
    assert dry1["restored_from"] == oldest and dry1["result"] is None


# -- S3 error paths after the blanket excepts became _REQUEST/_READING ----------------------------
def _s3(proxy, bucket, s3):
    return S3Backend(s3, bucket, proxy.url)


def test_read_if_changed_304_only_for_the_exact_version(proxy, bucket, s3, built):
    backend = _s3(proxy, bucket, s3)
    publish(built, target=backend.target())
    target = backend.target()
    data, etag = target.read_if_changed(CURRENT_KEY, None)
    assert target.read_if_changed(CURRENT_KEY, etag) == (None, etag)
    assert target.read_if_changed(CURRENT_KEY, '"0123456789abcdef0123456789abcdef"') == (data, etag)
    assert target.read_if_changed("_assetpub/nope.json", etag) is None


def test_copy_of_current_json_refused_412_falls_back_to_bytes_and_next_read_is_right(proxy, bucket, s3, site, built):
    from .conftest import Request

    backend = _s3(proxy, bucket, s3)
    publish(built, target=backend.target())
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    build_site(site, built)

    def is_current_copy(r: Request):
        return r.method == "PUT" and "x-amz-copy-source" in r.headers and r.path.split("?")[0].endswith(CURRENT_KEY)

    hit = proxy.inject((412, "PreconditionFailed"), is_current_copy)
    second = publish(built, target=backend.target())
    assert hit.is_set()
    assert record_json(backend.read(CURRENT_KEY))["id"] == second.plan.record.id
    proxy.reset()
    third = publish(built, target=backend.target())  # a no-op: the copy kept is the right one
    assert third.plan.record is None
    gets = [r.status for r in proxy.requests if r.method == "GET" and CURRENT_KEY in r.path]
    assert gets == [304]


def test_failed_invalidation_on_s3_leaves_the_next_publish_right(distribution, proxy, bucket, s3, site, built):
    from assetpub.publish import PublishError

    backend = _s3(proxy, bucket, s3)
    publish(built, target=backend.target())
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /x\n")
    build_site(site, built)
    with pytest.raises(PublishError, match="published deploy"):
        publish(built, target=backend.target(), cloudfront_distribution="NOPE")
    live = record_json(backend.read(CURRENT_KEY))
    proxy.reset()
    again = publish(built, target=backend.target())
    assert again.plan.record is None  # nothing to do: the live record is the build's
    assert record_json(backend.read(CURRENT_KEY)) == live
    proxy.reset()
    publish(built, target=backend.target())
    assert [r.status for r in proxy.requests if r.method == "GET" and CURRENT_KEY in r.path] == [304]


@pytest.fixture
def distribution(moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)  # "NOPE" is asked of moto, not AWS


def test_multipart_upload_failure_is_a_target_error_not_a_traceback(proxy, bucket, s3, tmp_path, monkeypatch):
    from assetpub.publish import PublishError

    monkeypatch.setenv("ASSETPUB_S3_LIMITS", "connect=2,read=5,give_up=10,attempts=1")
    src = tmp_path / "src"
    src.mkdir()
    import os

    (src / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))
    (src / "index.html").write_text("<p>x</p>")
    out = tmp_path / "out"
    build_site(src, out)
    backend = _s3(proxy, bucket, s3)
    proxy.inject((500, "InternalError"), lambda r: "partNumber=" in r.path, times=50)
    with pytest.raises(PublishError):
        publish(out, target=backend.target())


def _consistent(backend):
    """Every object the live record lists is on the target with the bytes it names."""
    import hashlib

    live = record_json(backend.read(CURRENT_KEY))
    for key, entry in live["objects"].items():
        data = backend.read(key)
        assert data is not None, key
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], key
    assert record_json(backend.read(deploy_key(live["id"]))) == live
    assert backend.read("_assetpub/journal.json") is None
    return live


@pytest.mark.parametrize(
    "method, key",
    [("copy", 1), ("copy", 4), ("put_bytes", CURRENT_KEY), ("delete", "_assetpub/journal.json")],
)
@pytest.mark.parametrize("then", ["publish", "rollback"])
def test_a_rollback_killed_anywhere_is_finished(target_of, site, tmp_path, method, key, then):
    from assetpub.publish import PublishError

    from .test_interrupted import FailAt

    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    publish(v1, target=backend.target())
    publish(v2, target=backend.target())
    with pytest.raises(PublishError, match="injected"):
        if method == "copy":  # copy(source, ...): the key-th restore from a stash (the manifest is last)
            failing = FailAt(backend.target(), method, n=key, when=lambda k: k.startswith("_assetpub/objects/"))
        else:
            failing = FailAt(backend.target(), method, when=lambda k: k == key)
        rollback(failing)
    if then == "publish":
        publish(v2, target=backend.target())
        live = _consistent(backend)
        assert backend.read("index.html") == (v2 / "index.html").read_bytes()
    else:
        rollback(backend.target())
        live = _consistent(backend)
    assert live["id"]


def test_rollback_dry_run_after_a_killed_rollback_shows_what_the_real_one_restores(target_of, site, tmp_path):
    """A killed rollback left its journal: the real rollback restores the keep-name keys it
    lists (pending); `rollback --dry-run` plans with pending=() and so leaves them out,
    while `publish --dry-run` reads the journal. The dry run should show the real plan."""
    from assetpub.publish import PublishError

    from .test_interrupted import FailAt

    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    v3 = tmp_path / "v3"
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v3\n")  # index.html as in v2
    build_site(site, v3)
    ids = [publish(b, target=backend.target()).plan.record.id for b in (v1, v2, v3)]
    assert (v2 / "index.html").read_bytes() == (v3 / "index.html").read_bytes()
    with pytest.raises(PublishError, match="injected"):  # every page of v1 is back, the record still says v3
        rollback(FailAt(backend.target(), "put_bytes", when=lambda k: k.startswith("_assetpub/deploys/")),
                 deploy_id=ids[0])
    assert backend.read("index.html") == (v1 / "index.html").read_bytes()

    dry = cli("rollback", *backend.cli_args(), "--deploy", ids[1], "--dry-run", "--json")
    done = cli("rollback", *backend.cli_args(), "--deploy", ids[1], "--json")
    assert backend.read("index.html") == (v2 / "index.html").read_bytes()  # the real one is right
    assert dry["restored"] == done["restored"]  # fails: index.html (pending) missing from the dry run


def test_one_target_object_for_publish_rollback_publish(target_of, site, tmp_path):
    """The API with one Target for every call: its memory of what it wrote (S3Target.written
    and _written) must not make a later run trust or copy stale objects."""
    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    target = backend.target()
    publish(v1, target=target)
    publish(v2, target=target)
    rollback(target)
    assert backend.read("index.html") == (v1 / "index.html").read_bytes()
    publish(v2, target=target)
    live = _consistent(backend)
    assert backend.read("index.html") == (v2 / "index.html").read_bytes()
    rollback(target)
    assert backend.read("index.html") == (v1 / "index.html").read_bytes()
    publish(v1, target=target)
    assert _consistent(backend)["id"] != live["id"]


class _PublishWhenLocking:
    """A target on which another publish goes live just before the rollback takes the lock."""

    def __init__(self, inner, other):
        self.inner, self.other, self.done = inner, other, False

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name != "create_exclusive" or self.done:
            return attr

        def wrapped(*args, **kw):
            self.done = True
            self.other()
            return attr(*args, **kw)

        return wrapped


def test_rollback_chooses_its_deploy_from_the_record_it_read_before_locking(target_of, site, tmp_path):
    """rollback() picks 'the one before the live one' from current.json read before the lock;
    read_live(known=live) under the lock sees that v3 went live meanwhile, but the choice is
    not made again: the rollback silently goes two deploys back (to v1), and v3's own
    predecessor (v2) is not what is restored."""
    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    v3 = tmp_path / "v3"
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v3\n")
    build_site(site, v3)
    ids = [publish(b, target=backend.target()).plan.record.id for b in (v1, v2)]
    target = _PublishWhenLocking(backend.target(), lambda: publish(v3, target=backend.target()))
    result = rollback(target)
    assert target.done
    live = record_json(backend.read(CURRENT_KEY))
    assert live["history"][0]["id"] > ids[1]  # v3 was live when the rollback ran
    assert result.restored_from == ids[1]  # fails: ids[0] (v1), chosen from the record before v3


def test_rollback_to_a_format_1_record(target_of, site, tmp_path):
    """A deploy stored before format 2 (plain JSON) is rolled back to like any other."""
    from assetpub.publish.record import decode

    backend = target_of
    v1, v2 = _two_builds(site, tmp_path)
    ids = [publish(b, target=backend.target()).plan.record.id for b in (v1, v2)]
    key = deploy_key(ids[0])
    plain = decode(backend.read(key), where="test")
    if backend.name == "s3":
        backend.client.put_object(Bucket=backend.bucket, Key=f"{backend.prefix}/{key}", Body=plain)
    else:
        (backend.root / key).write_bytes(plain)
    result = rollback(backend.target())
    assert result.restored_from == ids[0]
    assert backend.read("index.html") == (v1 / "index.html").read_bytes()
    _consistent(backend)
    publish(v2, target=backend.target())
    assert backend.read("index.html") == (v2 / "index.html").read_bytes()
    _consistent(backend)
