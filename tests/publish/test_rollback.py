"""Rollback's server-side copies run concurrently, the manifest last."""

from __future__ import annotations

import threading

from assetpub.publish import publish
from assetpub.publish.rollback import rollback

from .conftest import S3Backend, build_site


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
