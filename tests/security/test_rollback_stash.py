"""Issue 15, item 2 on both targets: rollback restores a stash object only when its bytes
have the SHA-256 that names it; a planted one changes nothing on the live site."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import PublishError, publish
from assetpub.publish.prune import stash_key
from assetpub.publish.record import CURRENT_KEY
from assetpub.publish.rollback import rollback
from tests.publish.conftest import build_site, record_json

from .conftest import T0


def put(backend, key: str, data: bytes) -> None:
    from assetpub.publish.state import Headers

    backend.target().put_bytes(key, data, Headers("application/octet-stream", "no-store"))


def test_a_tampered_stash_object_is_never_restored(backend, site, built):
    publish(built, target=backend.target(), now=T0)
    first = record_json(backend.read(CURRENT_KEY))
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    build_site(site, built)
    publish(built, target=backend.target(), now=T0 + timedelta(hours=1))
    sha = first["objects"]["index.html"]["sha256"]
    evil = b"<script>evil()</script>\n"
    assert hashlib.sha256(evil).hexdigest() != sha
    put(backend, stash_key(sha), evil)
    live_page, live_record = backend.read("index.html"), backend.read(CURRENT_KEY)
    with pytest.raises(PublishError, match="do not have the SHA-256"):
        rollback(backend.target(), deploy_id=first["id"], now=T0 + timedelta(hours=2))
    assert backend.read("index.html") == live_page
    assert backend.read(CURRENT_KEY) == live_record
    assert Manifest.load(built)  # the build is untouched too
