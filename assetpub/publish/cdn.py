"""CloudFront invalidation of the files that keep their names (fingerprinted files never
need one: a new version is a new URL).

Limits (CloudFront developer guide, "Invalidation limits"): at most 3,000 paths in
progress per distribution, at most 15 wildcard paths in progress, `*` only at the end of
a path; the first 1,000 paths a month are free, then each path is paid (a wildcard
counts as one). So: exact paths when there are at most MAX_EXACT of them, else one
wildcard per top-level directory (files at the root stay exact), else `/<prefix>/*`.
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import quote

from .errors import TargetError

MAX_EXACT = 100
MAX_WILDCARDS = 15


def invalidation_paths(keys: Iterable[str], *, prefix: str = "") -> list[str]:
    """URL paths to invalidate for changed keep-name keys (relative to the target prefix)."""
    base = "/" + (prefix.strip("/") + "/" if prefix.strip("/") else "")
    paths: set[str] = set()
    for key in keys:
        paths.add(base + quote(key, safe="/!$&'()*+,;=:@-._~"))
        directory, _, name = key.rpartition("/")
        if name in ("index.html", "index.htm"):
            paths.add(base + (quote(directory) + "/" if directory else ""))  # `/` and `/docs/` serve index.html
    if len(paths) <= MAX_EXACT:
        return sorted(paths)
    exact: set[str] = set()
    wildcards: set[str] = set()
    for path in paths:
        rel = path[len(base) :]
        if "/" in rel:
            wildcards.add(base + rel.split("/", 1)[0] + "/*")
        else:
            exact.add(path)  # a file at the root, or the root itself
    if len(wildcards) <= MAX_WILDCARDS and len(exact) + len(wildcards) <= MAX_EXACT:
        return sorted(exact | wildcards)
    return [base + "*"]


def invalidate(
    distribution_id: str,
    paths: list[str],
    *,
    caller_reference: str,
    profile: str | None = None,
    region: str | None = None,
) -> str:
    """Create one invalidation; returns its id. The endpoint may come from botocore's
    AWS_ENDPOINT_URL_CLOUDFRONT / AWS_ENDPOINT_URL."""
    import boto3
    import botocore.config
    import botocore.exceptions as bx

    try:
        session = boto3.session.Session(profile_name=profile, region_name=region or "us-east-1")
        client = session.client(
            "cloudfront", config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5})
        )
        r = client.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": caller_reference},
        )
        return r["Invalidation"]["Id"]
    except bx.NoCredentialsError:
        raise TargetError("no AWS credentials found for the CloudFront invalidation") from None
    except bx.ProfileNotFound:
        raise TargetError(f"AWS profile {profile!r} not found") from None
    except bx.ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code == "NoSuchDistribution":
            raise TargetError(f"CloudFront distribution {distribution_id!r} does not exist") from None
        raise TargetError(f"CloudFront invalidation of {distribution_id}: {code}: {' '.join(str(e).split())}") from None
    except bx.BotoCoreError as e:
        raise TargetError(f"CloudFront invalidation of {distribution_id}: {' '.join(str(e).split())}") from None
