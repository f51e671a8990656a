"""--verify repairs what it can and never gives circular advice."""

from __future__ import annotations

import hashlib

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import ImmutableConflict, publish
from assetpub.publish.actions import Kind, Reason
from assetpub.publish.state import Headers

from .conftest import S3Backend


def a_fingerprinted_key(built):
    return Manifest.load(built).entry("css/app.css").path


def test_a_wrong_stored_hash_is_repaired_by_verify(proxy, bucket, s3, built):
    backend = S3Backend(s3, bucket, proxy.url)
    publish(built, target=backend.target())
    key = a_fingerprinted_key(built)
    headers = backend.headers(key)
    s3.copy_object(  # the bytes are right, their x-amz-meta-sha256 is not
        Bucket=bucket, Key=f"site/{key}", CopySource={"Bucket": bucket, "Key": f"site/{key}"},
        MetadataDirective="REPLACE", Metadata={"sha256": "0" * 64},
        ContentType=headers["content_type"], CacheControl=headers["cache_control"],
    )
    result = publish(built, target=backend.target(), verify=True)  # refused "...check with --verify" before
    assert [(a.key, a.why) for a in result.plan.files if a.kind is Kind.OVERWRITE] == [(key, Reason.WRONG_HASH)]
    stored = s3.head_object(Bucket=bucket, Key=f"site/{key}")["Metadata"]["sha256"]
    assert stored == hashlib.sha256((built / key).read_bytes()).hexdigest()
    assert backend.headers(key) == headers
    assert not publish(built, target=backend.target(), verify=True).plan.has_work


def test_other_bytes_under_a_fingerprinted_name_are_refused_with_a_way_out(backend, built):
    publish(built, target=backend.target())
    key = a_fingerprinted_key(built)
    corrupt = b"/* corrupt */"
    backend.target().put_bytes(key, corrupt, Headers("text/css; charset=utf-8", "x"))
    if backend.name == "s3":  # as a foreign upload that stored the hash of its own bytes
        backend.client.put_object(
            Bucket=backend.bucket, Key=f"site/{key}", Body=corrupt, Metadata={"sha256": hashlib.sha256(corrupt).hexdigest()}
        )
    with pytest.raises(ImmutableConflict) as refused:
        publish(built, target=backend.target(), verify=True)
    message = str(refused.value)
    assert "check with --verify" not in message  # the advice is not to do what was just done
    assert f"delete {backend.url}/{key} and publish again with --verify" in message
    assert backend.read(key) == corrupt  # never overwritten
    backend.target().delete(key)  # as advised
    result = publish(built, target=backend.target(), verify=True)
    assert key in {a.key for a in result.plan.files if a.kind == "upload"}
    assert backend.read(key) == (built / key).read_bytes()
