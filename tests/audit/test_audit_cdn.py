"""`assetpub audit` against the CDN shape: nginx proxy_cache in front of a moto S3 bucket."""

from __future__ import annotations

import assetpub
from tests.audit.conftest import PREFIX, run_audit, upload


def by_check(report, name):
    return {a["name"]: next(c for c in a["checks"] if c["name"] == name) for a in report["assets"]}


def asset(report, name):
    return next(a for a in report["assets"] if a["name"] == name)


def test_caching_proxy_in_front_of_s3(origin, moto_s3, caching_proxy, tmp_path):
    endpoint, client = moto_s3
    upload(client, origin)
    proxy = caching_proxy(endpoint)
    url = proxy.base + "/" + PREFIX

    code, first = run_audit(url, "--manifest", url + "assetpub-manifest.json", "--json", "--concurrency", "4")
    m = assetpub.Manifest.load(origin)
    assert {a["name"] for a in first["assets"]} == set(m.assets)

    # headers stored per object come back verbatim through the cache
    for check in ("status", "content-type", "integrity", "cache-control", "identity", "validators"):
        results = {n: c["result"] for n, c in by_check(first, check).items()}
        assert set(results.values()) <= {"pass", "skip"}, (check, results)
    # a finding about this CDN shape: nginx does not cache max-age=0 responses and strips the
    # validators from what it forwards when proxy_cache is on, so keep-name files never get a 304
    conditional = by_check(first, "conditional")
    for name, entry in m.assets.items():
        assert conditional[name]["result"] == ("pass" if entry["fingerprinted"] else "fail"), name
    assert conditional["index.html"]["seen"] == "200" and "If-None-Match" in conditional["index.html"]["note"]
    # S3 does no content negotiation and this proxy has no edge function: the audit says so
    compression = by_check(first, "compression")["css/app.css"]
    assert compression["result"] == "fail" and compression["seen"] == "identity" and compression["expected"] == "br"
    assert code == 1

    # X-Cache-Status is reported per request: the first fetch of a fingerprinted file is a MISS,
    # the requests after it are served from the cache
    css = asset(first, "css/app.css")
    statuses = [r["cache_status"] for r in css["requests"]]
    assert statuses[0] == "MISS" and "HIT" in statuses[1:], statuses
    # keep-name files revalidate (max-age=0): never served from cache unchecked
    assert all(r["cache_status"] != "HIT" for r in asset(first, "index.html")["requests"])

    (tmp_path / "first.json").write_text(__import__("json").dumps(first))
    _, second = run_audit(url, "--manifest", str(origin), "--json", "--previous", str(tmp_path / "first.json"))
    assert asset(second, "css/app.css")["requests"][0]["cache_status"] == "HIT"
    stable = asset(second, "js/app.js")["last_modified_stable"]
    assert stable["stable"] is True and stable["current"] == asset(first, "js/app.js")["last_modified"]


def test_gzip_only_object_is_flagged_by_the_identity_check(origin, moto_s3, caching_proxy):
    endpoint, client = moto_s3
    upload(client, origin, gzip_only=("js/app.js",))
    proxy = caching_proxy(endpoint)
    code, report = run_audit(proxy.base + "/" + PREFIX, "--manifest", str(origin), "--json")
    assert code == 1
    identity = by_check(report, "identity")
    assert identity["js/app.js"]["result"] == "fail"
    assert identity["js/app.js"]["seen"] == "gzip"
    assert "client that accepts none" in identity["js/app.js"]["note"]
    assert identity["css/app.css"]["result"] == "pass"
    # to a client that accepts gzip the bytes are right: only the identity check can catch it
    assert by_check(report, "integrity")["js/app.js"]["result"] == "pass"
    assert by_check(report, "compression")["js/app.js"]["seen"] == "gzip"
