"""One contract, two targets: everything here runs against S3 (moto, through the
proxy) and against a directory origin."""

from __future__ import annotations

import json
import shutil

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import ImmutableConflict, PublishError, publish
from assetpub.publish.record import CURRENT_KEY, JOURNAL_KEY
from tests.publish.conftest import record_json

from .conftest import build_site


def published_keys(build_dir):
    m = Manifest.load(build_dir)
    return m.paths() | {"assetpub-manifest.json"}


def keys_of(build_dir, *names):
    m = Manifest.load(build_dir)
    out = set()
    for name in names:
        entry = m.entry(name)
        out.add(entry.path)
        out.update(v.path for v in entry.encodings.values())
    return out


def uploaded(result):
    return {a.key for a in result.plan.files if a.kind in ("upload", "overwrite")}


def test_first_publish_puts_every_object_with_its_bytes_and_headers(backend, built):
    result = publish(built, target=backend.target())
    m = Manifest.load(built)
    assert result.applied.uploaded == len(published_keys(built))
    for _name, entry in m.entries.items():
        assert backend.read(entry.path) == (built / entry.path).read_bytes()
        h = backend.headers(entry.path)
        assert h == {"content_type": entry.content_type, "cache_control": entry.cache_control}  # no encoding
        for enc, variant in entry.encodings.items():
            assert backend.read(variant.path) == (built / variant.path).read_bytes()
            vh = backend.headers(variant.path)
            assert vh["content_type"] == entry.content_type  # the original's type
            assert vh["content_encoding"] == {"br": "br", "gzip": "gzip"}[enc]
    assert any(entry.encodings for entry in m.entries.values())  # the site does have variants
    assert backend.read("assetpub-manifest.json") == (built / "assetpub-manifest.json").read_bytes()
    record = record_json(backend.read(CURRENT_KEY))
    assert record["id"] == result.plan.record.id
    assert set(record["objects"]) == published_keys(built)
    assert record["manifest"] == json.loads((built / "assetpub-manifest.json").read_text())
    assert backend.read(f"_assetpub/deploys/{record['id']}.json") == backend.read(CURRENT_KEY)
    assert backend.read(JOURNAL_KEY) is None  # removed once the publish completed


def test_second_publish_does_nothing(backend, built):
    publish(built, target=backend.target())
    before = {k: backend.read(k) for k in backend.keys()}
    result = publish(built, target=backend.target())
    assert not result.plan.has_work
    assert result.applied.uploaded == 0 and result.applied.updated == 0
    assert {k: backend.read(k) for k in backend.keys()} == before


def test_fresh_checkout_and_rebuild_uploads_nothing(backend, site, built, tmp_path):
    publish(built, target=backend.target())
    fresh = tmp_path / "checkout"
    shutil.copytree(site, fresh)  # new mtimes everywhere
    for path in fresh.rglob("*"):
        path.touch()
    out = tmp_path / "build2"
    build_site(fresh, out)
    result = publish(out, target=backend.target())
    assert result.applied.uploaded == 0
    assert not result.plan.has_work


def test_one_edited_css_uploads_it_its_variants_and_what_references_it(backend, site, built, tmp_path):
    publish(built, target=backend.target())
    (site / "css/base.css").write_text((site / "css/base.css").read_text() + ".new{color:green}\n")
    build_site(site, built)
    result = publish(built, target=backend.target())
    expected = keys_of(built, "css/base.css", "css/app.css", "index.html") | {"assetpub-manifest.json"}
    assert uploaded(result) == expected
    assert result.applied.uploaded == len(expected)
    assert backend.read(keys_of(built, "css/base.css").pop().removesuffix(".br").removesuffix(".gz")) is not None


def test_header_change_updates_in_place_without_uploading(backend, site, built):
    publish(built, target=backend.target())
    build_site(site, built, cache_control="public, max-age=600")
    result = publish(built, target=backend.target())
    m = Manifest.load(built)
    fingerprinted = {k for n, e in m.assets.items() if e["fingerprinted"] for k in keys_of(built, n)}
    assert uploaded(result) == {"assetpub-manifest.json"}  # its text changed; no asset is re-sent
    assert result.applied.updated == len(fingerprinted)
    for key in fingerprinted:
        assert backend.headers(key)["cache_control"] == "public, max-age=600"
        assert backend.read(key) == (built / key).read_bytes()


def test_corrupt_fingerprinted_file_is_refused_and_nothing_changes(backend, built):
    publish(built, target=backend.target())
    key = keys_of(built, "css/app.css").pop()
    before = {k: backend.read(k) for k in backend.keys()}
    (built / key).write_bytes(b"corrupt")
    with pytest.raises(ImmutableConflict, match="different bytes"):
        publish(built, target=backend.target())
    assert {k: backend.read(k) for k in backend.keys()} == before


def test_verify_repairs_missing_and_reports_unknown(backend, built):
    publish(built, target=backend.target())
    target = backend.target()
    target.delete("robots.txt")
    target.put_bytes("stray.txt", b"x", _headers())
    assert publish(built, target=backend.target()).applied.uploaded == 0  # the record cannot know
    result = publish(built, target=backend.target(), verify=True)
    assert uploaded(result) == {"robots.txt"}
    assert result.plan.unknown == ("stray.txt",)
    assert backend.read("robots.txt") == (built / "robots.txt").read_bytes()
    assert backend.read("stray.txt") == b"x"  # reported, never deleted


def test_corrupt_record_is_an_error_that_verify_repairs(backend, built):
    publish(built, target=backend.target())
    backend.target().put_bytes(CURRENT_KEY, b"{torn", _headers())
    with pytest.raises(PublishError, match="current.json: deploy record is not valid JSON.*publish again with --verify"):
        publish(built, target=backend.target())
    result = publish(built, target=backend.target(), verify=True)  # as the message advises
    assert result.applied.uploaded == 0 and result.plan.unknown == ()
    assert record_json(backend.read(CURRENT_KEY))["id"] == result.plan.record.id
    assert not publish(built, target=backend.target()).plan.has_work


def test_dotfiles_and_build_state_are_never_published(backend, site, built):
    (site / ".well-known").mkdir()
    (site / ".well-known/security.txt").write_text("Contact: mailto:security@example.com\n")
    (site / ".env").write_text("SECRET=1")
    build_site(site, built)
    (built / ".env").write_text("SECRET=1")
    (built / ".git").mkdir()
    (built / ".git/config").write_text("[core]")
    (built / "css/.hidden.css").write_text("x")
    publish(built, target=backend.target())
    keys = backend.keys()
    assert ".well-known/security.txt" in keys  # RFC 8615: the one dot-directory that is public
    public = {".well-known/security.txt", ".well-known/security.txt.br", ".well-known/security.txt.gz"}  # and variants
    assert not [k for k in keys - public if any(p.startswith(".") for p in k.split("/"))]
    assert published_keys(built) <= keys


def test_dry_run_changes_nothing(backend, built):
    result = publish(built, target=backend.target(), dry_run=True)
    assert result.applied is None
    assert result.plan.counts()["upload"] == len(published_keys(built))
    assert not [k for k in backend.keys() if not k.startswith("_assetpub/headers")]


class FailingTarget:
    """Delegates to a real target; the n-th upload raises (a failure mid-step)."""

    def __init__(self, inner, fail_at: int):
        self.inner, self.fail_at, self.calls = inner, fail_at, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def upload(self, obj, key=None):
        if key is None:  # published objects, not the rollback stash
            self.calls += 1
            if self.calls >= self.fail_at:
                raise PublishError(f"injected failure at {obj.key}")
        self.inner.upload(obj, key=key)


@pytest.mark.parametrize("fail_in_step", [1, 2])  # among fingerprinted files; among keep-name files
def test_failed_publish_keeps_old_site_and_rerun_uploads_only_what_is_missing(backend, site, built, fail_in_step):
    publish(built, target=backend.target())
    old_manifest = backend.read("assetpub-manifest.json")
    old_record = backend.read(CURRENT_KEY)
    for name in ("css/base.css", "js/util.js", "index.html", "robots.txt"):
        (site / name).write_text(
            (site / name).read_text() + "\n/* v2 */\n"
            if name.endswith((".css", ".js"))
            else (site / name).read_text() + "<!-- v2 -->\n"
        )
    build_site(site, built)
    planned = publish(built, target=backend.target(), dry_run=True).plan
    step1 = [a for a in planned.files if a.step == 1 and a.kind == "upload"]
    step2 = [a for a in planned.files if a.step == 2 and a.kind in ("upload", "overwrite")]
    assert len(step1) >= 3 and len(step2) >= 2
    fail_at = 2 if fail_in_step == 1 else len(step1) + 2
    with pytest.raises(PublishError, match="injected"):
        publish(built, target=FailingTarget(backend.target(), fail_at), workers=1)
    # the live manifest and record are the old ones, and every file they reference is there
    assert backend.read("assetpub-manifest.json") == old_manifest
    assert backend.read(CURRENT_KEY) == old_record
    for path in Manifest.from_dict(json.loads(old_manifest)).paths():
        assert backend.read(path) is not None
    # whatever pages went live reference files that are present
    index = backend.read("index.html").decode()
    for path in Manifest.load(built).paths():
        if path.rsplit("/", 1)[-1] in index:
            assert backend.read(path) is not None
    done = {
        k for k in backend.keys() if backend.read(k) == ((built / k).read_bytes() if (built / k).is_file() else None)
    }
    rerun = publish(built, target=backend.target())
    assert uploaded(rerun) == (published_keys(built) - done)
    assert backend.read("assetpub-manifest.json") == (built / "assetpub-manifest.json").read_bytes()
    assert backend.read(JOURNAL_KEY) is None


def _headers():
    from assetpub.publish.state import Headers

    return Headers("text/plain", "no-cache")
