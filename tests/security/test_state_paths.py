"""Issue 15, items 1, 2, 3 and 10: state read back from a target or a build directory
(deploy records, the journal, the stash, the headers sidecar, the manifest history) never
makes assetpub touch a path outside its root, and malformed fields are one-line errors."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from assetpub.cli import main
from assetpub.output import clean
from assetpub.publish import PublishError, publish
from assetpub.publish.prune import Retention, stash_key
from assetpub.publish.record import CURRENT_KEY, deploy_key, journal_keys
from assetpub.publish.rollback import deploys, rollback

from .conftest import T0

PRUNE_NOW = Retention(keep=1, grace=timedelta(0))


def two_deploys(sandbox) -> tuple[dict, dict]:
    """Publish two versions; return (first record, live record)."""
    sandbox.build()
    publish(sandbox.out, target=sandbox.target(), now=T0)
    first = sandbox.record(CURRENT_KEY)
    sandbox.edit(2)
    sandbox.build()
    publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(hours=1))
    return first, sandbox.record(CURRENT_KEY)


def hostile_keys(sandbox) -> list[str]:
    return ["../outside.txt", str(sandbox.root / "victim.txt"), "css/../../victim.txt", "a//b", "./x", "a\\..\\b"]


# -- item 1: pruning never deletes outside the origin -------------------------------------
@pytest.mark.parametrize("index", range(6))
def test_prune_ignores_a_stored_record_with_a_hostile_key(sandbox, index):
    first, _ = two_deploys(sandbox)
    before = sandbox.outside()
    tampered = copy.deepcopy(first)
    key = hostile_keys(sandbox)[index]
    tampered["objects"][key] = dict(next(iter(first["objects"].values())))
    sandbox.write_record(deploy_key(first["id"]), tampered)
    sandbox.edit(3)
    sandbox.build()
    publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(days=9), retention=PRUNE_NOW)
    assert sandbox.outside() == before


def test_prune_never_deletes_through_a_hostile_record_id(sandbox):
    first, _ = two_deploys(sandbox)
    before = sandbox.outside()
    # the record's id names the key of the record pruning deletes
    tampered = dict(first, id="../../../x")
    sandbox.write_record(deploy_key(first["id"]), tampered)
    (sandbox.origin / "_assetpub/deploys/..%2F..%2Fx.json").write_text(json.dumps(tampered))
    sandbox.edit(3)
    sandbox.build()
    publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(days=9), retention=PRUNE_NOW)
    assert sandbox.outside() == before


@pytest.mark.parametrize("index", range(6))
def test_a_live_record_with_a_hostile_key_is_refused_in_one_line(sandbox, index):
    _, live = two_deploys(sandbox)
    before = sandbox.outside()
    live["objects"][hostile_keys(sandbox)[index]] = dict(next(iter(live["objects"].values())))
    sandbox.write_record(CURRENT_KEY, live)
    sandbox.edit(3)
    sandbox.build()
    with pytest.raises(PublishError, match=r"current\.json: objects: key .* (absolute|segment|backslash)"):
        publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(days=9), retention=PRUNE_NOW)
    # --verify lists the target instead, and replaces the record
    publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(days=9), retention=PRUNE_NOW, verify=True)
    assert sandbox.outside() == before
    assert hostile_keys(sandbox)[index] not in sandbox.record(CURRENT_KEY)["objects"]


def test_a_journal_keeps_only_safe_keys():
    data = json.dumps({"deploy": "x", "keys": ["../outside.txt", "/etc/passwd", "_assetpub/current.json", "a.css", 5]})
    assert journal_keys(data.encode()) == ["a.css"]
    assert journal_keys(json.dumps({"keys": "abc"}).encode()) == []


def test_a_symlink_inside_the_origin_is_not_followed_out(sandbox):
    first, _ = two_deploys(sandbox)
    before = sandbox.outside()
    old_page = "robots.txt"
    (sandbox.origin / "css").rename(sandbox.origin / "css-real")
    (sandbox.origin / "css").symlink_to(sandbox.root)  # origin/css -> the sandbox itself
    tampered = copy.deepcopy(first)
    tampered["objects"]["css/victim.txt"] = dict(first["objects"][old_page])
    sandbox.write_record(deploy_key(first["id"]), tampered)
    sandbox.edit(3)
    sandbox.build()
    with pytest.raises(PublishError, match="outside"):
        publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(days=9), retention=PRUNE_NOW)
    assert sandbox.outside() == before


# -- item 2: rollback writes only verified bytes, only inside ------------------------------
def test_rollback_refuses_a_keep_name_key_outside_the_origin(sandbox):
    first, _ = two_deploys(sandbox)
    evil = b"attacker's bytes\n"
    sha = hashlib.sha256(evil).hexdigest()
    (sandbox.origin / stash_key(sha)).write_bytes(evil)
    tampered = copy.deepcopy(first)
    tampered["objects"]["../outside.txt"] = {**first["objects"]["robots.txt"], "sha256": sha, "size": len(evil)}
    sandbox.write_record(deploy_key(first["id"]), tampered)
    before = sandbox.outside()
    with pytest.raises(PublishError, match=r"\.\./outside\.txt"):
        rollback(sandbox.target(), deploy_id=first["id"], now=T0 + timedelta(hours=2))
    assert sandbox.outside() == before


def test_rollback_refuses_a_stash_object_that_does_not_match_its_hash(sandbox):
    first, _ = two_deploys(sandbox)
    sha = first["objects"]["index.html"]["sha256"]
    (sandbox.origin / stash_key(sha)).write_bytes(b"<script>evil()</script>\n")
    live_page = (sandbox.origin / "index.html").read_bytes()
    live_record = (sandbox.origin / CURRENT_KEY).read_bytes()
    with pytest.raises(PublishError, match="do not have the SHA-256"):
        rollback(sandbox.target(), deploy_id=first["id"], now=T0 + timedelta(hours=2))
    assert (sandbox.origin / "index.html").read_bytes() == live_page
    assert (sandbox.origin / CURRENT_KEY).read_bytes() == live_record


@pytest.mark.parametrize("deploy_id", ["../../../x", "/etc/passwd", "a/b", ".."])
def test_rollback_to_a_hostile_deploy_id_is_refused(sandbox, deploy_id):
    two_deploys(sandbox)
    before = sandbox.outside()
    with pytest.raises(Exception, match="deploy id") as info:
        rollback(sandbox.target(), deploy_id=deploy_id)
    assert isinstance(info.value, PublishError) or "AssetpubError" in [c.__name__ for c in type(info.value).__mro__]
    assert sandbox.outside() == before


# -- item 3: clean stays inside the build directory ---------------------------------------
def test_clean_never_removes_outside_the_build_directory(sandbox):
    sandbox.build()
    before = sandbox.outside()
    history = sandbox.out / ".assetpub/manifests"
    current = json.loads((sandbox.out / "assetpub-manifest.json").read_text())
    old = copy.deepcopy(current)
    entry = next(iter(old["assets"].values()))
    for n, path in enumerate(["../victim.txt", str(sandbox.root / "victim.txt"), "../../victim.txt"]):
        old["assets"][f"evil{n}"] = {**entry, "path": path, "encodings": {}}
    (history / "000000.json").write_text(json.dumps(old))
    clean(sandbox.out, keep=1)
    assert sandbox.outside() == before


def test_clean_copes_with_a_path_listed_twice(sandbox):
    sandbox.build()
    (sandbox.out / "stale.txt").write_text("stale\n")
    (sandbox.out / "dir").mkdir()
    (sandbox.out / "alias").symlink_to("dir")
    (sandbox.out / "dir/old.txt").write_text("old\n")
    current = json.loads((sandbox.out / "assetpub-manifest.json").read_text())
    old = copy.deepcopy(current)
    entry = next(iter(old["assets"].values()))
    for n, path in enumerate(["stale.txt", "stale.txt", "dir/old.txt", "alias/old.txt"]):
        old["assets"][f"old{n}"] = {**entry, "path": path, "encodings": {}}
    (sandbox.out / ".assetpub/manifests/000000.json").write_text(json.dumps(old))
    removed = clean(sandbox.out, keep=1)
    assert "stale.txt" in removed and not (sandbox.out / "stale.txt").exists()
    assert not (sandbox.out / "dir/old.txt").exists()


# -- item 10: malformed record fields are one-line errors -----------------------------------
def _drop_id(r):
    del r["id"]


MALFORMED = {
    "no id": (_drop_id, "id None"),
    "id not a string": (lambda r: r.update(id=5), "id 5"),
    "history not a list": (lambda r: r.update(history="x"), "history is not a list"),
    "history item not an object": (lambda r: r.update(history=["x"]), r"history\[0\] is not an object"),
    "manifest a list": (lambda r: r.update(manifest=[]), "manifest is not an object"),
    "assets a list": (lambda r: r["manifest"].update(assets=[]), "no 'assets' table"),
    "objects a list": (lambda r: r.update(objects=[]), "objects is not an object"),
    "an object entry a string": (lambda r: r["objects"].update({"robots.txt": "x"}), r"'robots.txt'\] is not"),
    "size big": (lambda r: r["objects"]["robots.txt"].update(size="big"), r"'robots.txt'\]\.size 'big'"),
    "sha256 a path": (lambda r: r["objects"]["robots.txt"].update(sha256="../../x"), r"\.sha256"),
    "header with CR/LF": (
        lambda r: r["objects"]["robots.txt"].update(cache_control="public\r\nSet-Cookie: x=1"),
        r"\.cache_control contains the control character",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_live_record_is_a_one_line_error_everywhere(sandbox, case):
    mutate, message = MALFORMED[case]
    first, live = two_deploys(sandbox)
    mutate(live)
    sandbox.write_record(CURRENT_KEY, live)
    sandbox.edit(3)
    sandbox.build()
    for call in (
        lambda: publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(hours=3)),
        lambda: deploys(sandbox.target()),
        lambda: rollback(sandbox.target(), deploy_id=first["id"], now=T0 + timedelta(hours=3)),
    ):
        with pytest.raises(PublishError, match=message) as info:
            call()
        assert "\n" not in str(info.value) and "current.json" in str(info.value)
    # --verify repairs it
    result = publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(hours=3), verify=True)
    assert result.applied is not None and "id" in sandbox.record(CURRENT_KEY)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_stored_record_is_skipped_with_a_warning(sandbox, case, caplog):
    mutate, message = MALFORMED[case]
    first, _ = two_deploys(sandbox)
    mutate(first)

    key = sorted((sandbox.origin / "_assetpub/deploys").iterdir())[0]
    key.write_text(json.dumps(first))
    # `deploys` lists it from the live record's history, without reading it (issue 18)
    assert [d["id"] for d in deploys(sandbox.target())][1:] == [key.stem]
    sandbox.edit(3)
    sandbox.build()
    publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(days=9), retention=PRUNE_NOW, verify=True)
    assert any("ignored" in r.getMessage() for r in caplog.records)  # retention read it, and skipped it


def test_a_sidecar_whose_objects_is_a_list_is_rebuilt(sandbox):
    two_deploys(sandbox)
    (sandbox.origin / "_assetpub/headers.json").write_text(json.dumps({"version": 1, "objects": []}))
    sandbox.edit(3)
    sandbox.build()
    publish(sandbox.out, target=sandbox.target(), now=T0 + timedelta(hours=3), verify=True)
    objects = json.loads((sandbox.origin / "_assetpub/headers.json").read_text())["objects"]
    assert objects["index.html"]["content_type"].startswith("text/html")


def test_cli_prints_one_line_for_a_malformed_record(sandbox):
    _, live = two_deploys(sandbox)
    live["objects"]["robots.txt"]["size"] = "big"
    sandbox.write_record(CURRENT_KEY, live)
    for args in (["deploys", "--to", str(sandbox.origin)], ["rollback", "--to", str(sandbox.origin)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "size 'big'" in result.output


# -- the build cache and the origin's sidecar for nginx ---------------------------------------
def test_a_tampered_build_cache_never_puts_a_path_outside_out_into_the_manifest(sandbox):
    sandbox.build()
    cache_file = sandbox.out / ".assetpub/cache.json"
    data = json.loads(cache_file.read_text())
    name, product = next((n, p) for n, p in data["products"].items() if n == "robots.txt")
    outside = "../victim.txt"
    st = (sandbox.root / "victim.txt").stat()
    product["entry"] = {**product["entry"], "path": outside, "encodings": {}}
    product["files"] = {outside: [st.st_size, st.st_mtime_ns]}
    cache_file.write_text(json.dumps(data))
    result = sandbox.build()
    assert result.manifest.path("robots.txt") == "robots.txt"
    assert "robots.txt" in result.processed


def test_nginx_config_ignores_a_sidecar_key_outside_the_origin(sandbox):
    from assetpub.edge import load_origin
    from assetpub.edge.nginx import nginx_config

    two_deploys(sandbox)
    sidecar = json.loads((sandbox.origin / "_assetpub/headers.json").read_text())
    sidecar["objects"]["../victim.txt"] = {"content_type": "text/x-secret", "cache_control": "no-store"}
    (sandbox.origin / "_assetpub/headers.json").write_text(json.dumps(sidecar))
    config = nginx_config(load_origin(sandbox.origin), brotli=False)
    assert "victim" not in config and "text/x-secret" not in config
