"""deploy = build + publish, skipping the build work for assets already published."""

from __future__ import annotations

import json

from assetpub.config import load_config
from assetpub.manifest import Manifest
from assetpub.publish import publish
from assetpub.publish.deploy import deploy, reusable
from assetpub.publish.record import CURRENT_KEY, DeployRecord

from .conftest import DirBackend, build_site
from .test_cli import run


def live_site(backend) -> dict[str, tuple[bytes, dict]]:
    """Every file the live manifest references, with its bytes and headers."""
    manifest = Manifest.from_dict(json.loads(backend.read("assetpub-manifest.json")))
    return {k: (backend.read(k), backend.headers(k)) for k in sorted(manifest.paths() | {"assetpub-manifest.json"})}


def test_deploy_from_empty_out_reuses_published_assets_and_publishes_the_same_site(backend, site, tmp_path):
    config = load_config(discover=False, sources=(site,), out=tmp_path / "out1")
    _, first = deploy(config, target=backend.target())
    assert first.applied.uploaded > 0
    (site / "js/util.js").write_text((site / "js/util.js").read_text() + "export const v = 2;\n")

    built, result = deploy(config.replace(out=tmp_path / "empty"), target=backend.target())
    # css, images... were not built again; util.js and what imports it were
    assert "css/app.css" in built.reused and "img/logo.png" in built.reused
    assert "js/util.js" not in built.reused and "js/app.js" not in built.reused
    assert not (tmp_path / "empty" / Manifest.load(built.out).entry("css/app.css").path).exists()
    m = Manifest.load(built.out)
    changed = {m.entry(n).path for n in ("js/util.js", "js/app.js", "index.html")}
    sent = {a.key for a in result.plan.files if a.kind in ("upload", "overwrite")}
    assert {k for k in sent if not k.endswith((".br", ".gz"))} == changed | {"assetpub-manifest.json"}
    skipped = {a.key: a.reason for a in result.plan.files if a.kind == "skip"}
    assert skipped[m.entry("css/app.css").path] == "already published (reused by the build)"

    # the same site a full build would have published
    full_out = tmp_path / "full"
    build_site(site, full_out)
    reference = DirBackend(tmp_path / "reference")
    publish(full_out, target=reference.target())
    assert live_site(backend) == live_site(reference)
    record = DeployRecord.from_json(backend.read(CURRENT_KEY), where="current")
    assert all(v.sha256 for v in record.objects.values())  # reused objects keep their hash


def test_reusable_needs_every_variant_published():
    entry = {"path": "a.1.css", "integrity": "sha384-x", "size": 1, "digest": "f" * 64, "fingerprinted": True,
             "encodings": {"br": {"path": "a.1.css.br"}}}
    record = DeployRecord("D", "2026-01-01T00:00:00Z", "t", {"assets": {"a.css": entry}}, {"a.1.css": {}})
    assert reusable(record) == {}
    record = DeployRecord(
        "D", "2026-01-01T00:00:00Z", "t", {"assets": {"a.css": entry}}, {"a.1.css": {}, "a.1.css.br": {}}
    )
    assert reusable(record) == {"f" * 64: entry}
    assert reusable(None) == {}


def test_deploy_command_reads_target_from_config(site, tmp_path):
    (tmp_path / "assetpub.toml").write_text(f'sources = ["{site}"]\nout = "build"\ntarget = "origin"\n')
    proc = run("deploy", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"published to {tmp_path / 'origin'}: uploaded" in proc.stdout  # relative to the config file
    assert (tmp_path / "origin" / "assetpub-manifest.json").is_file()
    again = run("deploy", "--json", cwd=tmp_path)
    data = json.loads(again.stdout)
    assert data["result"]["uploaded"] == 0 and data["build"]["files"] == len(Manifest.load(tmp_path / "build"))


def test_deploy_header_change_updates_reused_objects_in_place(backend, site, tmp_path):
    config = load_config(discover=False, sources=(site,), out=tmp_path / "out1")
    deploy(config, target=backend.target())
    changed = config.replace(out=tmp_path / "empty", cache_control="public, max-age=120")
    built, result = deploy(changed, target=backend.target())
    sent = {a.key for a in result.plan.files if a.kind in ("upload", "overwrite")}
    assert sent == {"assetpub-manifest.json"}
    m = Manifest.load(built.out)
    logo = m.entry("img/logo.png").path
    assert backend.headers(logo)["cache_control"] == "public, max-age=120"
    record = DeployRecord.from_json(backend.read(CURRENT_KEY), where="current")
    assert record.objects[logo].sha256 and record.objects[logo].headers.cache_control == "public, max-age=120"
    if backend.name == "s3":  # the copy kept the content hash the object carried
        meta = backend.client.head_object(Bucket=backend.bucket, Key=f"{backend.prefix}/{logo}")["Metadata"]
        assert meta["sha256"] == record.objects[logo].sha256
    again = publish(tmp_path / "out1", target=backend.target())  # the old build: headers back, no bytes
    assert {a.key for a in again.plan.files if a.kind == "upload"} == set()
