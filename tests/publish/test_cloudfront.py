"""CloudFront invalidation of changed keep-name paths, against moto's CloudFront
(moto reports status COMPLETED; the real service says Completed: we never wait on it)."""

from __future__ import annotations

import uuid

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import open_target, publish
from assetpub.publish.cdn import MAX_EXACT, invalidation_paths
from assetpub.publish.rollback import rollback

from .conftest import build_site


@pytest.mark.parametrize(
    "keys, prefix, expected",
    [
        (["index.html"], "", ["/", "/index.html"]),
        (["docs/index.html", "robots.txt"], "site", ["/site/docs/", "/site/docs/index.html", "/site/robots.txt"]),
        (["a b.html"], "", ["/a%20b.html"]),
        ([f"blog/p{i}.html" for i in range(MAX_EXACT + 1)] + ["index.html"], "", ["/", "/blog/*", "/index.html"]),
        ([f"d{i}/p.html" for i in range(MAX_EXACT + 1)], "s", ["/s/*"]),  # more than 15 wildcards
    ],
)
def test_invalidation_paths(keys, prefix, expected):
    assert invalidation_paths(keys, prefix=prefix) == expected


@pytest.fixture
def distribution(moto_url, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)  # botocore's own variable
    cf = boto3.client("cloudfront", region_name="us-east-1")
    r = cf.create_distribution(
        DistributionConfig={
            "CallerReference": f"assetpub-test-{uuid.uuid4().hex}",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "origin.example.com",
                        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "allow-all",
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
                "MinTTL": 0,
            },
        }
    )
    return cf, r["Distribution"]["Id"]


def invalidated(cf, dist_id):
    items = cf.list_invalidations(DistributionId=dist_id)["InvalidationList"].get("Items", [])
    out = []
    for item in items:
        batch = cf.get_invalidation(DistributionId=dist_id, Id=item["Id"])["Invalidation"]["InvalidationBatch"]
        out.append(sorted(batch["Paths"].get("Items", [])))
    return out


def test_publish_invalidates_exactly_the_changed_keep_name_files(distribution, proxy, bucket, site, built):
    cf, dist_id = distribution

    def target():
        return open_target(f"s3://{bucket}/site", endpoint_url=proxy.url)

    publish(built, target=target(), cloudfront_distribution=dist_id)
    (site / "css/base.css").write_text((site / "css/base.css").read_text() + ".x{top:0}\n")
    build_site(site, built)
    result = publish(built, target=target(), cloudfront_distribution=dist_id)
    m = Manifest.load(built)
    page = ["index.html"] + [v.path for v in m.entry("index.html").encodings.values()]
    expected = sorted({"/site/", "/site/assetpub-manifest.json"} | {f"/site/{k}" for k in page})
    assert result.invalidation["paths"] == expected
    batch = cf.get_invalidation(DistributionId=dist_id, Id=result.invalidation["id"])["Invalidation"]
    assert sorted(batch["InvalidationBatch"]["Paths"]["Items"]) == expected
    assert "/site/robots.txt" not in expected and not [p for p in expected if ".css" in p]
    # nothing changed: no invalidation at all
    publish(built, target=target(), cloudfront_distribution=dist_id)
    assert len(invalidated(cf, dist_id)) == 2


def test_missing_distribution_is_a_clear_error_after_publishing(distribution, built, tmp_path):
    from assetpub.publish import PublishError

    with pytest.raises(PublishError, match="published deploy .* CloudFront distribution 'NOPE' does not exist"):
        publish(built, target=open_target(str(tmp_path / "o")), cloudfront_distribution="NOPE")


def test_rollback_invalidates_the_restored_pages(distribution, site, built, tmp_path):
    cf, dist_id = distribution
    origin = str(tmp_path / "origin")
    publish(built, target=open_target(origin))
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /x\n")
    build_site(site, built)
    publish(built, target=open_target(origin))
    result = rollback(open_target(origin), cloudfront_distribution=dist_id)
    # the page and its variants (every text file has them, docs/fingerprints.md)
    assert result.invalidation["paths"] == ["/assetpub-manifest.json", "/robots.txt", "/robots.txt.br", "/robots.txt.gz"]


def test_failed_invalidation_after_rollback_says_the_rollback_happened(distribution, site, built, tmp_path):
    from assetpub.publish import PublishError
    from assetpub.publish.rollback import deploys

    origin = str(tmp_path / "origin")
    publish(built, target=open_target(origin))
    first = (tmp_path / "origin" / "robots.txt").read_bytes()
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /x\n")
    build_site(site, built)
    publish(built, target=open_target(origin))
    with pytest.raises(PublishError, match=r"rolled back .* to deploy \S+ \(new deploy \S+\), but .*'NOPE' does not exist"):
        rollback(open_target(origin), cloudfront_distribution="NOPE")
    assert (tmp_path / "origin" / "robots.txt").read_bytes() == first
    assert len(deploys(open_target(origin))) == 3
