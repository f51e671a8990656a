"""Record format 3 (issue 18, assetpub/publish/record_parts.py): objects in content-addressed
parts, the manifest by its stash. The test sites are small, so each test makes records
go to parts at any size (INLINE_OBJECTS 0) with a few objects per part."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import open_target, publish, record, record_parts
from assetpub.publish.deploy import reusable
from assetpub.publish.prune import Retention
from assetpub.publish.record import CURRENT_KEY, UnreadableRecord, deploy_key
from assetpub.publish.record_parts import PART_PREFIX
from assetpub.publish.rollback import deploys, rollback
from assetpub.publish.store import CACHE_DIR, read_current
from tests.conftest import write_tree
from tests.publish.conftest import build_site, record_json

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def parts(monkeypatch):
    monkeypatch.setattr(record, "INLINE_OBJECTS", 0)
    monkeypatch.setattr(record_parts, "PART_OBJECTS", 2)


def _head(backend, key=CURRENT_KEY) -> dict:
    return record_json(backend.read(key))


def _parts_on(backend) -> set[str]:
    return {k for k in backend.keys() if k.startswith(PART_PREFIX)}


def _edit(site: Path, built: Path, n: int) -> None:
    (site / "css/base.css").write_text((site / "css/base.css").read_text() + f".v{n}{{color:red}}\n")
    build_site(site, built)


def test_a_record_is_a_head_and_parts_named_by_their_bytes(backend, built):
    done = publish(built, target=backend.target(), now=T0)
    head = _head(backend)
    assert head["version"] == 3 and "objects" in head and "manifest" not in head
    assert head["objects"] == len(done.plan.record.objects) and len(head["parts"]) > 1
    for sha in head["parts"]:
        data = backend.read(PART_PREFIX + sha)
        assert data is not None and hashlib.sha256(data).hexdigest() == sha
    live = read_current(backend.target())
    assert dict(live.objects) == dict(done.plan.record.objects)
    assert dict(live.manifest) == Manifest.load(built).to_dict()  # the manifest's stash, by its hash
    assert backend.read(deploy_key(head["id"])) == backend.read(CURRENT_KEY)


def test_an_edit_writes_only_the_parts_it_changes(backend, site, built):
    publish(built, target=backend.target(), now=T0)
    before = _head(backend)["parts"]
    _edit(site, built, 1)
    done = publish(built, target=backend.target(), now=T0 + timedelta(hours=1))
    after = _head(backend)["parts"]
    written = [a.key for a in done.plan.actions if a.key.startswith(PART_PREFIX) and a.data is not None]
    assert written and len(written) < len(after)  # not the whole record again
    assert sorted(PART_PREFIX + s for s in set(after) - set(before)) == sorted(written)
    changed = [a for a in done.plan.files if a.kind.writes]
    assert len(written) <= len(changed)


def test_deploys_reads_the_head_alone(s3server, site, built):
    target = open_target(f"s3://{s3server.bucket}/site", endpoint_url=s3server.proxy.url)
    publish(built, target=target, now=T0)
    _edit(site, built, 1)
    publish(built, target=target, now=T0 + timedelta(hours=1))
    s3server.proxy.reset()
    rows = deploys(open_target(f"s3://{s3server.bucket}/site", endpoint_url=s3server.proxy.url))
    assert len(rows) == 2 and rows[0]["live"] and rows[0]["objects"] > 0 and rows[0]["bytes"] > 0
    assert len(s3server.proxy.requests) == 2
    assert not any(PART_PREFIX in r.path for r in s3server.proxy.requests)


def test_rollback_writes_a_record_naming_the_earlier_parts(backend, site, built):
    first = publish(built, target=backend.target(), now=T0).plan.record
    first_parts = _head(backend)["parts"]
    _edit(site, built, 1)
    publish(built, target=backend.target(), now=T0 + timedelta(hours=1))
    result = rollback(backend.target(), now=T0 + timedelta(hours=2))
    assert result.restored_from == first.id
    assert _head(backend)["parts"] == first_parts  # the same objects: the same parts, none written
    assert not [a for a in result.plan.actions if a.key.startswith(PART_PREFIX) and a.data is not None]
    assert dict(read_current(backend.target()).objects) == dict(first.objects)


def test_retention_deletes_the_parts_of_deploys_it_drops_and_keeps_the_others(backend, site, built):
    publish(built, target=backend.target(), now=T0)
    for n in range(1, 4):
        _edit(site, built, n)
        publish(built, target=backend.target(), now=T0 + timedelta(days=n), retention=Retention(keep=1, grace=timedelta(0)))
    live_parts = {PART_PREFIX + s for s in _head(backend)["parts"]}
    on_target = _parts_on(backend)
    assert live_parts <= on_target
    stashes = {PART_PREFIX + o.sha256 for o in read_current(backend.target()).objects.values() if not o.fingerprinted}
    assert on_target == live_parts | stashes  # every part of a deploy retention dropped is gone
    assert not publish(built, target=backend.target(), now=T0 + timedelta(days=9)).plan.has_work


def test_a_missing_part_is_a_one_line_error_and_verify_repairs_it(backend, site, built):
    publish(built, target=backend.target(), now=T0)
    sha = _head(backend)["parts"][0]
    _delete(backend, PART_PREFIX + sha)
    shutil.rmtree(built / CACHE_DIR)  # another machine: no copy of the record or its parts
    _edit(site, built, 1)
    with pytest.raises(UnreadableRecord) as info:
        publish(built, target=backend.target(), now=T0 + timedelta(hours=1))
    message = str(info.value)
    assert "\n" not in message and sha in message and "--verify" in message
    repaired = publish(built, target=backend.target(), now=T0 + timedelta(hours=2), verify=True)
    assert repaired.applied is not None
    for part in _head(backend)["parts"]:
        assert backend.read(PART_PREFIX + part) is not None
    _edit(site, built, 2)
    assert publish(built, target=backend.target(), now=T0 + timedelta(hours=3)).plan.has_work


def test_a_part_with_other_bytes_is_refused(backend, built):
    publish(built, target=backend.target(), now=T0)
    sha = _head(backend)["parts"][0]
    _put(backend, PART_PREFIX + sha, gzip.compress(b"{}"))
    with pytest.raises(UnreadableRecord, match="does not hold the bytes its name says"):
        dict(read_current(backend.target()).objects)


def test_format_2_records_are_read_and_the_next_publish_writes_every_part(backend, site, built, monkeypatch):
    monkeypatch.setattr(record, "INLINE_OBJECTS", 10**6)
    publish(built, target=backend.target(), now=T0)
    assert _head(backend)["version"] == 2
    monkeypatch.setattr(record, "INLINE_OBJECTS", 0)
    _edit(site, built, 1)
    done = publish(built, target=backend.target(), now=T0 + timedelta(hours=1))
    head = _head(backend)
    assert head["version"] == 3
    assert {a.key for a in done.plan.actions if a.key.startswith(PART_PREFIX) and a.data is not None} >= {
        PART_PREFIX + s for s in head["parts"]
    }
    assert rollback(backend.target(), now=T0 + timedelta(hours=2)).applied is not None  # back to the format-2 one
    assert _head(backend)["version"] == 3


def test_deploy_reuse_reads_the_manifest_by_its_stash(backend, built):
    publish(built, target=backend.target(), now=T0)
    live = read_current(backend.target())
    reuse = reusable(live)
    assert reuse and all(entry["path"] for entry in reuse.values())


def test_a_no_op_and_an_edit_cost_the_same_records_on_a_site_four_times_larger(proxy, s3, bucket, tmp_path):
    """The bytes of assetpub's own objects an edit sends (journal, lock, parts) do not grow
    with the site; the record itself grows by one part hash per PART_OBJECTS objects (it
    names every part); the published manifest grows (it lists every asset); nothing else."""
    costs = {}
    for n in (24, 96):
        src = write_tree(tmp_path / f"src{n}", {f"css/c{i}.css": f".c{i}{{color:#{i:06x}}}\n" * 20 for i in range(n)})
        out = tmp_path / f"out{n}"
        build_site(src, out)
        target = open_target(f"s3://{bucket}/n{n}", endpoint_url=proxy.url)
        publish(out, target=target, now=T0)
        (src / "css/c1.css").write_text(".edited{color:red}\n" * 20)
        build_site(src, out)
        proxy.reset()
        done = publish(out, target=open_target(f"s3://{bucket}/n{n}", endpoint_url=proxy.url), now=T0 + timedelta(hours=1))
        manifest_sha = hashlib.sha256((out / "assetpub-manifest.json").read_bytes()).hexdigest()
        own = [r for r in proxy.requests if "/_assetpub/" in r.path and manifest_sha not in r.path]
        head = [r for r in own if "/_assetpub/deploys/" in r.path and r.method == "PUT"]
        rest = [r for r in own if r not in head]
        parts = len(record_json(s3.get_object(Bucket=bucket, Key=f"n{n}/{CURRENT_KEY}")["Body"].read())["parts"])
        costs[n] = {"requests": len(own), "rest": sum(r.sent for r in rest), "received": sum(r.received for r in own),
                    "head": sum(r.sent for r in head), "parts": parts, "files": len(done.plan.files)}
        proxy.reset()
        publish(out, target=open_target(f"s3://{bucket}/n{n}", endpoint_url=proxy.url), now=T0 + timedelta(hours=2))
        costs[n, "no-op"] = proxy.traffic()
    small, large = costs[24], costs[96]
    assert large["files"] >= 3 * small["files"]
    assert large["requests"] == small["requests"], costs
    assert abs(large["rest"] - small["rest"]) < 1000, costs  # journal, lock, the changed parts (≈ PART_OBJECTS entries each)
    assert abs(large["received"] - small["received"]) < 200, costs  # nothing but listings and the lock
    assert large["head"] - small["head"] <= 40 * (large["parts"] - small["parts"]), costs
    assert costs[24, "no-op"][0] == costs[96, "no-op"][0] == 2
    assert abs(costs[24, "no-op"][2] - costs[96, "no-op"][2]) < 200


def _delete(backend, key: str) -> None:
    if backend.name == "directory":
        (backend.root / key).unlink()
    else:
        backend.client.delete_object(Bucket=backend.bucket, Key=f"{backend.prefix}/{key}")


def _put(backend, key: str, data: bytes) -> None:
    if backend.name == "directory":
        (backend.root / key).write_bytes(data)
    else:
        backend.client.put_object(Bucket=backend.bucket, Key=f"{backend.prefix}/{key}", Body=data)


def test_the_part_layout_is_deterministic_and_keeps_variants_together():
    from assetpub.publish.state import Headers, RemoteObject

    h = Headers("text/css", "public")
    objects = {f"css/a{i}.css{ext}": RemoteObject("0" * 64, i, h, True) for i in range(40) for ext in ("", ".br", ".gz")}
    first, again = record_parts.split(objects), record_parts.split(dict(reversed(list(objects.items()))))
    assert first == again
    for data in first.values():
        table = json.loads(gzip.decompress(data))
        bases = {k.removesuffix(".br").removesuffix(".gz") for k in table}
        assert len(table) == 3 * len(bases)  # a file and its variants share a part


def test_a_part_naming_a_key_outside_the_target_is_refused(backend, built):
    """Parts are read back from storage: every key in them obeys the path rule."""
    publish(built, target=backend.target(), now=T0)
    head = _head(backend)
    entry = next(iter(json.loads(gzip.decompress(backend.read(PART_PREFIX + head["parts"][0]))).values()))
    evil = gzip.compress(json.dumps({"../outside.txt": entry}).encode(), mtime=0)
    sha = hashlib.sha256(evil).hexdigest()
    _put(backend, PART_PREFIX + sha, evil)
    head["parts"][0] = sha
    tampered = gzip.compress(json.dumps(head).encode(), mtime=0)
    _put(backend, CURRENT_KEY, tampered)
    with pytest.raises(UnreadableRecord) as info:
        dict(read_current(backend.target()).objects)
    assert "../outside.txt" in str(info.value) and "\n" not in str(info.value)
    if backend.name == "directory":
        assert not (backend.root.parent / "outside.txt").exists()
