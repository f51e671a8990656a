"""S3 specifics, counted at the HTTP level by the proxy between boto3 and moto."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import TargetError, open_target, publish
from assetpub.publish.errors import PublishUsageError
from assetpub.publish.record import CURRENT_KEY
from tests import processes

from .conftest import build_site, free_port


def target(proxy, bucket, **kw):
    return open_target(f"s3://{bucket}/site", endpoint_url=proxy.url, **kw)


def file_puts(proxy):
    """Writes of new bytes to published objects (not assetpub's own records): uploads, and
    copies of the rollback stash this publish uploaded (a changed page, the manifest); not
    header changes (a copy onto itself)."""
    return [
        r
        for r in proxy.requests
        if r.method == "PUT"
        and "/_assetpub/" not in r.path
        and "/_assetpub/objects/" in r.headers.get("x-amz-copy-source", "/_assetpub/objects/")
    ]


def noop_requests(proxy):
    """GET current.json and a one-level LIST of _assetpub/ (a journal or lock left behind?)."""
    return sorted((r.method, r.path.split("?")[0].rsplit("/site/", 1)[-1] if "/site/" in r.path else "LIST") for r in proxy.requests)


NOOP = [("GET", "LIST"), ("GET", "_assetpub/current.json")]


def test_noop_publish_costs_two_requests_sent_together(proxy, bucket, built):
    publish(built, target=target(proxy, bucket))
    proxy.reset()
    result = publish(built, target=target(proxy, bucket))
    assert result.applied.uploaded == 0
    assert noop_requests(proxy) == NOOP


def test_noop_publish_command_imports_neither_boto3_nor_s3transfer(proxy, bucket, built):
    """The no-op's time budget (docs/performance.md): botocore only; boto3 and s3transfer
    are imported for multipart uploads alone."""
    publish(built, target=target(proxy, bucket))
    code = (
        "import sys\n"
        "from assetpub.cli import main\n"
        f"try:\n    main(['publish', {str(built)!r}, '--to', 's3://{bucket}/site', '--endpoint-url', {proxy.url!r}, '-q'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print(sorted(m for m in ('boto3', 's3transfer', 'botocore') if m in sys.modules))\n"
    )
    proxy.reset()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=os.environ)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "['botocore']"
    assert noop_requests(proxy) == NOOP


def test_touch_everything_and_rebuild_sends_no_object(proxy, bucket, site, built, tmp_path):
    publish(built, target=target(proxy, bucket))
    for path in site.rglob("*"):
        os.utime(path, (1, 1))
    out = tmp_path / "fresh"
    build_site(site, out)
    proxy.reset()
    publish(out, target=target(proxy, bucket))
    assert proxy.writes() == []
    assert len(proxy.requests) <= 2


def test_one_edited_css_sends_only_it_its_variants_what_references_it_and_the_records(proxy, bucket, site, built):
    publish(built, target=target(proxy, bucket))
    (site / "css/base.css").write_text((site / "css/base.css").read_text() + ".z{top:0}\n")
    build_site(site, built)
    proxy.reset()
    publish(built, target=target(proxy, bucket))
    m = Manifest.load(built)
    expected = {"assetpub-manifest.json"}
    for name in ("css/base.css", "css/app.css", "index.html"):
        expected.add(m.entry(name).path)
        expected.update(v.path for v in m.entry(name).encodings.values())
    sent = {r.path.split("/site/", 1)[1] for r in file_puts(proxy)}
    assert sent == expected
    own = [(r.method, r.path.split("/site/", 1)[1].split("?")[0]) for r in proxy.writes() if "/_assetpub/" in r.path]
    stashed = [key for method, key in own if key.startswith("_assetpub/objects/")]
    assert len(stashed) == len({k for k in expected if k.startswith(("index.html", "assetpub-manifest"))})
    rest = sorted(
        (m, k if not k.startswith("_assetpub/deploys/") else "_assetpub/deploys/ID") for m, k in own if k not in stashed
    )
    assert rest == [
        ("DELETE", "_assetpub/journal.json"),
        ("DELETE", "_assetpub/lock.json"),
        ("PUT", "_assetpub/current.json"),
        ("PUT", "_assetpub/deploys/ID"),
        ("PUT", "_assetpub/journal.json"),
        ("PUT", "_assetpub/lock.json"),
    ]


def test_header_change_uses_copy_object_without_resending_bytes(proxy, bucket, s3, site, built):
    publish(built, target=target(proxy, bucket))
    logo = Manifest.load(built).entry("img/logo.png").path
    before = s3.head_object(Bucket=bucket, Key=f"site/{logo}")
    build_site(site, built, cache_control="public, max-age=60")
    proxy.reset()
    publish(built, target=target(proxy, bucket))
    copies = [r for r in proxy.requests if "x-amz-copy-source" in r.headers]
    assert copies and all(r.headers.get("x-amz-metadata-directive") == "REPLACE" for r in copies)
    assert all(int(r.headers.get("content-length", 0)) == 0 for r in copies)
    assert {r.path.split("/site/", 1)[1] for r in file_puts(proxy)} == {"assetpub-manifest.json"}
    after = s3.head_object(Bucket=bucket, Key=f"site/{logo}")
    assert after["CacheControl"] == "public, max-age=60"
    assert after["Metadata"] == before["Metadata"]  # the content hash survives the copy
    assert after["ContentType"] == "image/png"


def test_objects_carry_their_hash_in_metadata_and_no_acl_by_default(proxy, bucket, s3, built):
    publish(built, target=target(proxy, bucket))
    assert file_puts(proxy) and not [r for r in proxy.requests if "x-amz-acl" in r.headers]
    import hashlib

    for key in Manifest.load(built).paths():
        meta = s3.head_object(Bucket=bucket, Key=f"site/{key}")["Metadata"]
        assert meta["sha256"] == hashlib.sha256((built / key).read_bytes()).hexdigest()
    grants = s3.get_object_acl(Bucket=bucket, Key="site/robots.txt")["Grants"]
    assert not [g for g in grants if "AllUsers" in str(g.get("Grantee", {}).get("URI", ""))]


def test_acl_only_when_asked(proxy, bucket, built):
    publish(built, target=target(proxy, bucket, acl="public-read"))
    puts = file_puts(proxy)
    assert puts and all(r.headers.get("x-amz-acl") == "public-read" for r in puts)
    assert not [r for r in proxy.requests if "/_assetpub/" in r.path and "x-amz-acl" in r.headers]


def test_large_file_streams_in_multipart_and_keeps_its_hash(proxy, bucket, s3, tmp_path):
    src = tmp_path / "big"
    (src / "media").mkdir(parents=True)
    blob = os.urandom(9 * 1024 * 1024)
    (src / "media/video.mp4").write_bytes(blob)
    out = tmp_path / "out"
    build_site(src, out)
    publish(out, target=target(proxy, bucket))
    assert [r for r in proxy.requests if r.method == "POST" and "uploads" in r.path]  # multipart
    key = Manifest.load(out).entry("media/video.mp4").path
    head = s3.head_object(Bucket=bucket, Key=f"site/{key}")
    assert "-" in head["ETag"]  # a multipart ETag is no MD5: that is why we store sha256
    import hashlib

    assert head["Metadata"]["sha256"] == hashlib.sha256(blob).hexdigest()
    proxy.reset()
    assert publish(out, target=target(proxy, bucket)).applied.uploaded == 0


def test_slowdown_is_retried(proxy, bucket, built):
    proxy.fail_once(3, status=503, code="SlowDown")
    result = publish(built, target=target(proxy, bucket), workers=1)
    assert [r.status for r in proxy.requests].count(503) == 1
    assert result.applied.uploaded == len(Manifest.load(built).paths()) + 1


def test_permanent_failure_mid_publish_then_rerun_finishes(proxy, bucket, s3, site, built):
    publish(built, target=target(proxy, bucket))
    old_record = s3.get_object(Bucket=bucket, Key=f"site/{CURRENT_KEY}")["Body"].read()
    (site / "css/base.css").write_text("body{color:black}\n" * 20)
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    build_site(site, built)
    proxy.reset()
    proxy.fail_from(5, status=403, code="AccessDenied")
    with pytest.raises(TargetError, match="access denied"):
        publish(built, target=target(proxy, bucket), workers=2)
    assert s3.get_object(Bucket=bucket, Key=f"site/{CURRENT_KEY}")["Body"].read() == old_record
    sent_before = {r.path for r in file_puts(proxy) if r.status == 200}
    proxy.reset()
    result = publish(built, target=target(proxy, bucket))
    resent = {r.path for r in file_puts(proxy)}
    assert not (resent & sent_before)  # nothing uploaded twice
    assert result.applied.uploaded == len(resent)
    assert (
        s3.get_object(Bucket=bucket, Key="site/assetpub-manifest.json")["Body"].read()
        == (built / "assetpub-manifest.json").read_bytes()
    )


# -- permanent errors: one line, no traceback ------------------------------------------------
def test_missing_bucket(proxy, built):
    with pytest.raises(TargetError, match="bucket 'no-such-bucket-here' does not exist"):
        publish(built, target=open_target("s3://no-such-bucket-here/x", endpoint_url=proxy.url))


def test_unreachable_endpoint(built):
    with pytest.raises(TargetError, match="cannot reach the S3 endpoint"):
        publish(built, target=open_target("s3://some-bucket/x", endpoint_url=f"http://127.0.0.1:{free_port()}"))


def test_no_credentials(monkeypatch, proxy, bucket, built):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance metadata service
    with pytest.raises(TargetError, match="no AWS credentials found"):
        publish(built, target=target(proxy, bucket))
    assert proxy.requests == []


@pytest.fixture
def moto_with_auth():
    """A second moto server that checks credentials (INITIAL_NO_AUTH_ACTION_COUNT=0)."""
    import threading

    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    proc = processes.spawn(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()

    def watch():  # werkzeug announces "Running on http://..." once it listens
        for line in proc.stderr:
            if "Running on" in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(30):
        pytest.fail("moto server with auth did not start")
    yield f"http://127.0.0.1:{port}"
    processes.stop(proc)


def test_wrong_credentials(moto_with_auth, built):
    with pytest.raises(TargetError, match="rejected the credentials"):
        publish(built, target=open_target("s3://some-bucket/x", endpoint_url=moto_with_auth))


def test_endpoint_from_botocore_environment(monkeypatch, proxy, bucket, built):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    publish(built, target=open_target(f"s3://{bucket}/site"))
    assert file_puts(proxy)


def test_bad_endpoint_from_the_environment_or_bad_region_is_named(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not a url")
    with pytest.raises(PublishUsageError, match="invalid S3 endpoint URL 'not a url' .*from AWS_ENDPOINT_URL") as raised:
        open_target("s3://some-bucket")
    assert raised.value.exit_status == 2  # a usage mistake, wherever it was made
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    with pytest.raises(PublishUsageError, match=r"invalid region 'x y' .*\(from --region or the config's 'region'\)"):
        open_target("s3://some-bucket", region="x y")


def test_unknown_profile(monkeypatch):
    with pytest.raises(PublishUsageError, match=r"profile 'no-such-profile' not found \(from --profile"):
        open_target("s3://some-bucket", profile="no-such-profile")


def test_unknown_profile_from_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-env-profile")
    with pytest.raises(PublishUsageError, match=r"profile 'no-such-env-profile' not found \(from AWS_PROFILE\)"):
        open_target("s3://some-bucket")


def test_a_bug_in_our_own_code_keeps_its_traceback_and_s3_errors_stay_one_line(proxy, bucket):
    """Issue 17: S3Target catches what botocore can raise (BotoCoreError, ClientError; OSError
    while reading a body) and maps it to a TargetError; anything else is a bug in assetpub
    and is not dressed up as a one-line "user error". The bug is injected through botocore's
    own event hooks (as network.py installs its retry rules), on a real client."""
    from assetpub.publish.state import Headers

    t = target(proxy, bucket)

    def bug(**_):
        raise RuntimeError("a bug in an assetpub hook")

    t.client.meta.events.register("before-call.s3", bug)
    headers = Headers("text/plain", "no-store")
    calls = {
        "get": lambda: t.get("a.txt"),
        "head": lambda: t.head("a.txt"),
        "put_bytes": lambda: t.put_bytes("a.txt", b"a", headers),
        "copy": lambda: t.copy("a.txt", "a.txt", headers, "0" * 64),
        "delete": lambda: t.delete("a.txt"),
        "delete_many": lambda: t.delete_many(["a.txt"]),
        "listing": lambda: list(t.listing()),
        "entries": lambda: t.entries("_assetpub/"),
        "create_exclusive": lambda: t.create_exclusive("_assetpub/lock.json", b"{}"),
        "read_versioned": lambda: t.read_versioned("_assetpub/lock.json"),
    }
    for name, call in calls.items():
        with pytest.raises(RuntimeError, match="a bug in an assetpub hook"):
            call()
            pytest.fail(f"{name}: no error")
    t.client.meta.events.unregister("before-call.s3", bug)
    missing = open_target("s3://no-such-bucket-assetpub/site", endpoint_url=proxy.url)
    with pytest.raises(TargetError, match="bucket 'no-such-bucket-assetpub' does not exist"):
        missing.put_bytes("a.txt", b"a", headers)
