"""End to end with the real publisher: `assetpub publish` to a directory origin served by
nginx with the generated config, and to a moto bucket behind the caching proxy; then
`assetpub audit`."""

from __future__ import annotations

import json

from click.testing import CliRunner

import assetpub
from assetpub.cli import main
from tests.audit.conftest import BUCKET, PREFIX, run_audit
from tests.edge.sites import make_site


def publish(*args: str) -> None:
    result = CliRunner().invoke(main, ["publish", *args, "--yes", "--quiet"])
    assert result.exit_code == 0, result.output


def test_published_directory_origin_passes_and_stays_304_after_republish(tmp_path, serve):
    src = make_site(tmp_path / "src")
    assetpub.build([src], out=tmp_path / "build")
    origin = tmp_path / "origin"
    publish(str(tmp_path / "build"), "--to", str(origin))
    assert (origin / "_assetpub" / "headers.json").is_file()
    server = serve(origin)
    url = server.base + "/assets/"

    first = CliRunner().invoke(main, ["audit", url, "--manifest", url + "assetpub-manifest.json", "--json"])
    report = json.loads(first.stdout)
    assert first.exit_code == 0, [(a["name"], c) for a in report["assets"] for c in a["checks"] if c["result"] == "fail"]
    (tmp_path / "first.json").write_text(first.stdout)

    assetpub.build([src], out=tmp_path / "build")  # unchanged rebuild and re-publish
    publish(str(tmp_path / "build"), "--to", str(origin))
    code, again = run_audit(url, "--manifest", str(origin), "--json", "--previous", str(tmp_path / "first.json"))
    assert code == 0
    stable = [a["last_modified_stable"]["stable"] for a in again["assets"]]
    assert stable and all(s is True for s in stable)
    # the records publish keeps are not served
    assert CliRunner().invoke(main, ["audit", url, "--manifest", url + "_assetpub/headers.json"]).exit_code == 2


def build_and_publish_to_s3(tmp_path, endpoint: str, monkeypatch) -> None:
    """The edge test site, built into tmp_path/build and published to the moto bucket with
    `assetpub publish`; credentials from boto3's standard chain, as in production: the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    src = make_site(tmp_path / "src")
    assetpub.build([src], out=tmp_path / "build")
    publish(str(tmp_path / "build"), "--to", f"s3://{BUCKET}/{PREFIX.rstrip('/')}", "--endpoint-url", endpoint)


def test_published_to_s3_behind_a_caching_proxy(tmp_path, moto_s3, caching_proxy, monkeypatch):
    endpoint, _client = moto_s3
    build_and_publish_to_s3(tmp_path, endpoint, monkeypatch)
    proxy = caching_proxy(endpoint)
    code, report = run_audit(proxy.base + "/" + PREFIX, "--manifest", str(tmp_path / "build"), "--json")
    failures = {(a["name"], c["name"]) for a in report["assets"] for c in a["checks"] if c["result"] == "fail"}
    m = assetpub.Manifest.load(tmp_path / "build")
    # what publish stored is right (type, bytes, Cache-Control, identity at the plain key) ...
    assert not {f for f in failures if f[1] in ("status", "content-type", "integrity", "cache-control", "identity")}
    # ... and S3 + a plain proxy cannot negotiate: exactly the files with variants are flagged
    assert {n for n, c in failures if c == "compression"} == {n for n, e in m.assets.items() if e.get("encodings")}
    assert code == 1


def test_cloudfront_function_rewrites_to_objects_publish_stored_with_the_right_headers(tmp_path, moto_s3, monkeypatch):
    """The function (run under node) picks keys that exist in the bucket `assetpub publish`
    wrote, and S3 returns them with the variant's Content-Encoding and the file's type."""
    from assetpub.audit.checks import decode
    from assetpub.digest import integrity
    from tests.edge.servers import get
    from tests.edge.test_cloudfront import event, run_handler

    endpoint, _client = moto_s3
    build_and_publish_to_s3(tmp_path, endpoint, monkeypatch)
    m = assetpub.Manifest.load(tmp_path / "build")
    code = CliRunner().invoke(main, ["cloudfront-function", str(tmp_path / "build")]).output

    names = sorted(m.assets)
    for viewer, coding in (("chrome", "br"), ("gzip-only", "gzip"), ("identity", None)):
        results = run_handler(code, [event(viewer, m.url(n)) for n in names], tmp_path)
        for name, result in zip(names, results):
            entry = m.entry(name)
            want = coding if coding in entry.encodings else None
            reply = get(endpoint, f"/{BUCKET}{result['uri']}")  # CloudFront's origin request
            assert reply.status == 200, (viewer, name, result["uri"])
            assert reply.header("content-encoding") == want, (viewer, name)
            assert reply.header("content-type") == entry.content_type, (viewer, name)
            assert reply.header("cache-control") == entry.cache_control, (viewer, name)
            assert integrity(decode(reply.body, want)) == entry.integrity, (viewer, name)
