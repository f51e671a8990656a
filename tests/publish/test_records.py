"""Deploy records at scale (issue 18): format 2 (gzip'd JSON, format 1 still read), the
conditional read of current.json against the copy kept in the build directory (a 304 on
real S3 servers), current.json as a server-side copy, `deploys` from the live history."""

from __future__ import annotations

import gzip
import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from assetpub.publish import open_target, publish
from assetpub.publish.errors import PublishError
from assetpub.publish.prune import Retention
from assetpub.publish.record import CURRENT_KEY, DeployRecord, UnreadableRecord, deploy_key
from assetpub.publish.rollback import deploys, rollback
from assetpub.publish.store import CACHE_DIR, LocalCopies
from tests.publish.conftest import build_site, record_json

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def _edit(site, built, n: int) -> None:
    (site / "index.html").write_text((site / "index.html").read_text() + f"<p>v{n}</p>\n")
    build_site(site, built)


def _s3(server, prefix: str = "site"):
    return open_target(f"s3://{server.bucket}/{prefix}", endpoint_url=server.proxy.url)


# -- format 2 --------------------------------------------------------------------------------
def test_records_are_stored_gzipped_and_deterministic(backend, built):
    publish(built, target=backend.target(), now=T0)
    data = backend.read(CURRENT_KEY)
    assert data[:2] == b"\x1f\x8b"
    record = record_json(data)
    assert record["version"] == 2 and record["format"] == "assetpub-deploy"
    parsed = DeployRecord.from_json(data, where="x")
    assert parsed.stored() == data  # same record, same bytes (no name, no mtime in the gzip header)
    assert backend.read(deploy_key(record["id"])) == data


def _as_format_1(data: bytes) -> bytes:
    """The record as an earlier assetpub stored it: indented JSON, version 1, no tool in history."""
    raw = record_json(data)
    raw["version"] = 1
    for entry in raw["history"]:
        entry.pop("tool", None)
    return (json.dumps(raw, indent=1, sort_keys=True) + "\n").encode()


def test_format_1_records_stay_readable_by_deploys_rollback_retention_and_verify(tmp_path, site, built):
    origin = tmp_path / "origin"
    ids = []
    for n in range(3):
        if n:
            _edit(site, built, n)
        ids.append(publish(built, target=open_target(str(origin)), now=T0 + timedelta(hours=n)).plan.record.id)
    for key in [CURRENT_KEY, *(deploy_key(i) for i in ids)]:
        path = origin / key
        path.write_bytes(_as_format_1(path.read_bytes()))
    assert (origin / CURRENT_KEY).read_bytes().startswith(b"{")
    listed = deploys(open_target(str(origin)))
    assert [d["id"] for d in listed] == ids[::-1] and listed[0]["live"]
    assert all(d["tool"].startswith("assetpub ") for d in listed)
    # a no-op publish reads it and has nothing to do
    assert not publish(built, target=open_target(str(origin)), now=T0 + timedelta(hours=4)).plan.has_work
    # rollback reads the old records
    result = rollback(open_target(str(origin)), deploy_id=ids[0], now=T0 + timedelta(hours=5))
    assert result.restored_from == ids[0]
    # retention reads every stored one (nothing unreadable is skipped), --verify too
    _edit(site, built, 9)
    done = publish(built, target=open_target(str(origin)), now=T0 + timedelta(days=9),
                   retention=Retention(keep=1, grace=timedelta(0)), verify=True)
    assert done.applied is not None
    assert sorted(p.name for p in (origin / "_assetpub/deploys").iterdir()) == [f"{done.plan.record.id}.json"]


@pytest.mark.parametrize(
    "data, message",
    [
        (gzip.compress(b'{"format": "assetpub-deploy"')[:-6], "not valid gzip"),
        (gzip.compress(b"[1, 2"), "not valid JSON"),
    ],
)
def test_a_torn_gzip_record_is_a_one_line_error(tmp_path, built, data, message):
    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)), now=T0)
    (origin / CURRENT_KEY).write_bytes(data)
    with pytest.raises(UnreadableRecord, match=message) as info:
        deploys(open_target(str(origin)))
    assert "\n" not in str(info.value) and "current.json" in str(info.value)


def test_a_gzip_bomb_record_stops_at_the_limit(monkeypatch, tmp_path, built):
    from assetpub.publish import record

    monkeypatch.setattr(record, "MAX_RECORD_BYTES", 1 << 20)
    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)), now=T0)
    (origin / CURRENT_KEY).write_bytes(gzip.compress(b" " * (4 << 20)))
    with pytest.raises(UnreadableRecord, match="expands beyond 1 MiB"):
        deploys(open_target(str(origin)))


# -- the conditional read --------------------------------------------------------------------
def test_a_no_op_publish_is_two_requests_and_a_304_on_real_servers(s3server, built):
    publish(built, target=_s3(s3server), now=T0)
    assert list((built / CACHE_DIR).iterdir())  # the copy of what it wrote, with its ETag
    s3server.proxy.reset()
    result = publish(built, target=_s3(s3server), now=T0 + timedelta(hours=1))
    assert not result.plan.has_work
    requests = s3server.proxy.requests
    assert len(requests) == 2, [(r.method, r.path) for r in requests]
    get = next(r for r in requests if r.method == "GET" and r.path.split("?")[0].endswith(CURRENT_KEY))
    assert get.status == 304 and get.received == 0
    assert sum(r.received for r in requests) < 2000  # the LIST of _assetpub/


def test_the_local_copy_is_used_only_when_the_target_confirms_it(s3server, site, built, tmp_path):
    publish(built, target=_s3(s3server), now=T0)
    # another machine publishes v2 from its own build directory
    other = tmp_path / "other"
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v2\n")
    build_site(site, other)
    v2 = publish(other, target=_s3(s3server), now=T0 + timedelta(hours=1)).plan.record
    # this build directory (v1) still holds the copy of v1's record: the target says it changed
    s3server.proxy.reset()
    again = publish(built, target=_s3(s3server), now=T0 + timedelta(hours=2))
    assert again.plan.options.previous.id == v2.id
    first_get = next(r for r in s3server.proxy.requests if r.method == "GET" and CURRENT_KEY in r.path)
    assert first_get.status == 200 and first_get.received > 0
    assert again.plan.has_work  # robots.txt goes back to v1's bytes
    assert record_json(s3server.client.get_object(Bucket=s3server.bucket, Key=f"site/{CURRENT_KEY}")["Body"].read())[
        "id"
    ] == again.plan.record.id


def test_a_tampered_or_foreign_local_copy_is_ignored(tmp_path, built):
    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)), now=T0)
    copies = LocalCopies(built)
    (folder,) = (built / CACHE_DIR).iterdir()
    copy = folder / "current.json"
    data, version = copies.load(str(origin))
    head, _, body = copy.read_bytes().partition(b"\n")
    copy.write_bytes(head + b"\n" + body[:-1] + b"x")  # torn: its hash no longer matches
    assert copies.load(str(origin)) is None
    assert copies.load(str(tmp_path / "elsewhere")) is None
    # without a usable copy the record is read whole, and the copy written again
    assert not publish(built, target=open_target(str(origin)), now=T0 + timedelta(hours=1)).plan.has_work
    assert copies.load(str(origin)) == (data, version)


def test_one_edit_sends_the_record_once_and_reads_it_once(s3server, site, built):
    publish(built, target=_s3(s3server), now=T0)
    _edit(site, built, 2)
    s3server.proxy.reset()
    result = publish(built, target=_s3(s3server), now=T0 + timedelta(hours=1))
    assert result.plan.has_work
    requests = s3server.proxy.requests
    reads = [r for r in requests if r.method == "GET" and r.path.split("?")[0].endswith(CURRENT_KEY)]
    assert [r.status for r in reads] == [304, 304]  # before and after the lock: both from the copy
    puts = {r.path.split("?")[0].rsplit("/_assetpub/", 1)[-1]: r for r in requests if r.method == "PUT"}
    record_put, current_put = puts[f"deploys/{result.plan.record.id}.json"], puts["current.json"]
    assert record_put.sent > 0 and current_put.sent == 0  # current.json: a server-side copy
    assert "x-amz-copy-source" in current_put.headers
    stored = s3server.client.get_object(Bucket=s3server.bucket, Key=f"site/{CURRENT_KEY}")
    assert record_json(stored["Body"].read())["id"] == result.plan.record.id
    # the edited page and the manifest: copies of their rollback stash, uploaded in step 1
    for key in ("index.html", "assetpub-manifest.json"):
        put = next(r for r in requests if r.method == "PUT" and r.path.split("?")[0].endswith(f"/site/{key}"))
        assert put.sent == 0 and "/_assetpub/objects/" in put.headers["x-amz-copy-source"], key
        live = s3server.client.get_object(Bucket=s3server.bucket, Key=f"site/{key}")
        assert live["Body"].read() == (built / key).read_bytes()
        assert live["Metadata"]["sha256"] and live["ContentType"].startswith(("text/html", "application/json"))
    # the next no-op knows the copy's ETag: a 304 again
    s3server.proxy.reset()
    assert not publish(built, target=_s3(s3server), now=T0 + timedelta(hours=2)).plan.has_work
    assert [r.status for r in s3server.proxy.requests if r.method == "GET" and CURRENT_KEY in r.path] == [304]


def test_stored_records_retention_reads_are_304s_after_the_first_time(s3server, site, built):
    for n in range(4):
        if n:
            _edit(site, built, n)
        s3server.proxy.reset()
        publish(built, target=_s3(s3server), now=T0 + timedelta(hours=n))
    gets = [r for r in s3server.proxy.requests if r.method == "GET" and "/_assetpub/deploys/" in r.path]
    assert len(gets) == 2 and {r.status for r in gets} == {304}  # the two earlier deploys, from copies
    (folder,) = (built / CACHE_DIR).iterdir()
    assert len(list((folder / "deploys").iterdir())) == 4  # every stored record: the copies are kept with them


def test_a_changed_source_of_the_record_copy_is_sent_again(s3server, built):
    target = _s3(s3server)
    target.put_bytes("_assetpub/a.json", b"x" * 100, _headers())
    s3server.client.put_object(Bucket=s3server.bucket, Key="site/_assetpub/a.json", Body=b"changed")
    s3server.proxy.reset()
    target.put_bytes("_assetpub/b.json", b"x" * 100, _headers())
    got = s3server.client.get_object(Bucket=s3server.bucket, Key="site/_assetpub/b.json")["Body"].read()
    assert got == b"x" * 100
    assert [r.sent for r in s3server.proxy.requests if r.method == "PUT"][-1] == 100


def _headers():
    from assetpub.publish.state import Headers

    return Headers("application/json", "no-store")


# -- deploys -------------------------------------------------------------------------------------
def test_deploys_reads_only_the_live_record_and_the_listing(s3server, site, built):
    for n in range(3):
        if n:
            _edit(site, built, n)
        publish(built, target=_s3(s3server), now=T0 + timedelta(hours=n))
    s3server.proxy.reset()
    listed = deploys(_s3(s3server))
    assert len(listed) == 3 and [d["live"] for d in listed] == [True, False, False]
    assert all(set(d) == {"id", "time", "tool", "objects", "bytes", "live"} for d in listed)
    assert len(s3server.proxy.requests) == 2


def test_deploys_reads_a_record_the_history_does_not_summarise(tmp_path, site, built, caplog):
    origin = tmp_path / "origin"
    first = publish(built, target=open_target(str(origin)), now=T0).plan.record
    _edit(site, built, 2)
    publish(built, target=open_target(str(origin)), now=T0 + timedelta(hours=1))
    live = origin / CURRENT_KEY
    raw = record_json(live.read_bytes())
    raw["history"][0].pop("tool")  # written before format 2
    live.write_bytes(_as_format_1(gzip.compress(json.dumps(raw).encode())))
    listed = deploys(open_target(str(origin)))
    assert [d["id"] for d in listed][1] == first.id and listed[1]["objects"] == len(first.objects)
    (origin / deploy_key(first.id)).write_text("{torn")
    with caplog.at_level(logging.WARNING):
        assert len(deploys(open_target(str(origin)))) == 1
    assert any("ignored" in r.getMessage() for r in caplog.records)


def test_rollback_after_a_foreign_publish_still_reads_the_live_record(tmp_path, built):
    origin = tmp_path / "origin"
    publish(built, target=open_target(str(origin)), now=T0)
    with pytest.raises(PublishError, match="no earlier deploy"):
        rollback(open_target(str(origin)), now=T0 + timedelta(hours=1))
