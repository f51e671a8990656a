"""The no-op proof (issue 18, assetpub/publish/unchanged.py): a build directory that is what
was last published to a target, whose record is still the live one, costs a walk and two
requests; it never skips an upload because of a stale proof."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from assetpub.publish import open_target, publish, publisher
from assetpub.publish.record import CURRENT_KEY, JOURNAL_KEY, journal_json
from assetpub.publish.store import LocalCopies
from assetpub.publish.unchanged import NAME, load
from tests.publish.conftest import build_site

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _proof(built, backend):
    return load(LocalCopies(built).folder(backend.target().url))


def _no_reading(monkeypatch):
    """The quick path reads neither the manifest nor the hash cache nor the record."""

    def refuse(*a, **kw):
        raise AssertionError("read the build directory")

    monkeypatch.setattr(publisher, "load_local", refuse)


def test_a_no_op_with_the_proof_reads_nothing_but_two_requests(s3server, built, monkeypatch):
    def target():
        return open_target(f"s3://{s3server.bucket}/site", endpoint_url=s3server.proxy.url)

    publish(built, target=target(), now=T0)
    full = publish(built, target=target(), now=T0 + timedelta(hours=1))  # plans: nothing to do
    assert not full.plan.has_work and full.plan.actions
    _no_reading(monkeypatch)
    s3server.proxy.reset()
    quick = publish(built, target=target(), now=T0 + timedelta(hours=2), quick=True)
    assert not quick.plan.has_work and quick.plan.actions == ()
    assert quick.applied.skipped == full.applied.skipped > 0
    requests = s3server.proxy.requests
    assert len(requests) == 2, [(r.method, r.path) for r in requests]
    get = next(r for r in requests if r.method == "GET" and CURRENT_KEY in r.path)
    assert get.status == 304 and get.received == 0


def test_a_first_publish_leaves_a_proof_and_the_next_no_op_uses_it(backend, built, monkeypatch):
    publish(built, target=backend.target(), now=T0)
    assert _proof(built, backend) is not None
    _no_reading(monkeypatch)
    assert publish(built, target=backend.target(), now=T0 + timedelta(hours=1), quick=True).applied.skipped > 0


@pytest.mark.parametrize("keep_size_and_mtime", [False, True])
def test_a_hand_edited_output_is_uploaded_despite_the_proof(backend, built, keep_size_and_mtime):
    publish(built, target=backend.target(), now=T0)
    page = built / "index.html"
    before = page.stat()
    text = page.read_bytes()
    edited = text.replace(b"<", b"<", 1)[:-1] + (b"!" if text[-1:] != b"!" else b"?")  # same size, new bytes
    assert edited != text and len(edited) == len(text)
    page.write_bytes(edited if keep_size_and_mtime else text + b"<!-- hand edit -->\n")
    if keep_size_and_mtime:
        os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # only the ctime tells
    result = publish(built, target=backend.target(), now=T0 + timedelta(hours=1), quick=True)
    assert result.plan.has_work
    assert backend.read("index.html") == page.read_bytes()


def test_a_publish_by_another_machine_makes_the_proof_stale(backend, site, built, tmp_path):
    publish(built, target=backend.target(), now=T0)
    other = tmp_path / "other"
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v2\n")
    build_site(site, other)
    publish(other, target=backend.target(), now=T0 + timedelta(hours=1))
    again = publish(built, target=backend.target(), now=T0 + timedelta(hours=2), quick=True)
    assert again.plan.has_work  # robots.txt goes back to this build's bytes
    assert backend.read("robots.txt") == (built / "robots.txt").read_bytes()
    assert _proof(built, backend).version != ""  # a new proof, against the new live record


def test_another_prefix_is_another_proof(s3server, built):
    first = open_target(f"s3://{s3server.bucket}/a", endpoint_url=s3server.proxy.url)
    publish(built, target=first, now=T0)
    second = open_target(f"s3://{s3server.bucket}/b", endpoint_url=s3server.proxy.url)
    result = publish(built, target=second, now=T0, quick=True)
    assert result.plan.has_work and result.applied.uploaded > 0


def test_a_journal_left_behind_is_finished_despite_the_proof(backend, built):
    target = backend.target()
    publish(built, target=target, now=T0)
    target.put_bytes(JOURNAL_KEY, journal_json(["index.html"], "20260301T120000000Z-abcdef"),
                     _json_headers())
    result = publish(built, target=backend.target(), now=T0 + timedelta(hours=1), quick=True)
    assert result.plan.options is not None and result.plan.options.pending == ("index.html",)
    assert backend.read(JOURNAL_KEY) is None


def _json_headers():
    from assetpub.origin import Headers

    return Headers("application/json", "no-store")


def test_a_dry_run_a_verify_or_another_version_ignore_the_proof(backend, built, monkeypatch):
    publish(built, target=backend.target(), now=T0)
    folder = LocalCopies(built).folder(backend.target().url)
    assert (folder / NAME).is_file()
    assert publish(built, target=backend.target(), dry_run=True, quick=True).plan.actions  # the plan is made
    assert publish(built, target=backend.target(), verify=True, quick=True).plan.actions
    monkeypatch.setattr(publisher, "__version__", "9.9.9")
    assert publish(built, target=backend.target(), quick=True).plan.actions


def test_a_torn_proof_is_ignored(backend, built):
    publish(built, target=backend.target(), now=T0)
    path = LocalCopies(built).folder(backend.target().url) / NAME
    path.write_bytes(path.read_bytes()[:20])
    assert load(path.parent) is None
    assert publish(built, target=backend.target(), quick=True).plan.actions  # planned in full, and proved again
    assert load(path.parent) is not None


def test_the_cli_no_op_says_what_it_skipped(backend, built):
    from click.testing import CliRunner

    from assetpub.cli import main

    args = ["publish", str(built), *backend.cli_args()]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    full = publish(built, target=backend.target())
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert f"skipped {full.applied.skipped}," in again.output and "(nothing to do)" in again.output


def test_a_build_directory_with_a_symbolic_link_gets_no_proof(backend, built, tmp_path):
    """Publish reads what a link points to; the link's own stat would not show an edit there."""
    outside = tmp_path / "outside.txt"
    outside.write_text("User-agent: *\n")
    robots = built / "robots.txt"
    robots.unlink()
    robots.symlink_to(outside)
    publish(built, target=backend.target(), now=T0)
    assert _proof(built, backend) is None
    outside.write_text("User-agent: *\nDisallow: /\n")
    result = publish(built, target=backend.target(), now=T0 + timedelta(hours=1), quick=True)
    assert result.plan.has_work and backend.read("robots.txt") == outside.read_bytes()
