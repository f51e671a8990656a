"""`assetpub publish` / `assetpub deploy` as users run them: real processes, real signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import open_target, publish
from assetpub.publish.record import CURRENT_KEY
from tests import processes

from .conftest import build_site


def run(*args, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "assetpub.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def start_publish(built, url, proxy):
    """`assetpub publish` through the fault-injecting proxy, one upload at a time, as a process."""
    return processes.spawn(
        [sys.executable, "-m", "assetpub.cli", "publish", str(built), "--to", url, "--endpoint-url", proxy.url,
         "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_one_line_error(proc, *fragments):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_summary_line(built, tmp_path):
    proc = run("publish", built, "--to", tmp_path / "origin")
    assert proc.returncode == 0, proc.stderr
    n = len(Manifest.load(built).paths()) + 1
    assert f"uploaded {n} (" in proc.stdout and "updated 0, skipped 0, deleted 0, in " in proc.stdout
    assert proc.stderr == ""  # no progress bar when not on a terminal
    again = run("publish", built, "--to", f"file://{tmp_path / 'origin'}")
    assert f"uploaded 0 (0 B), updated 0, skipped {n}" in again.stdout and "nothing to do" in again.stdout


def test_a_run_that_only_finishes_an_interrupted_publish_says_so(built, tmp_path):
    """Not "nothing to do": it removed the journal an interrupted publish left."""
    from assetpub.origin import RESERVED

    origin = tmp_path / "origin"
    assert run("publish", built, "--to", origin).returncode == 0
    (origin / RESERVED / "journal.json").write_text(json.dumps({"deploy": "20991231T000000000Z-abcdef",
                                                                "keys": ["robots.txt"]}))
    proc = run("publish", built, "--to", origin)
    assert proc.returncode == 0, proc.stderr
    assert "(finished what an interrupted publish left)" in proc.stdout and "nothing to do" not in proc.stdout
    assert not (origin / RESERVED / "journal.json").exists()


def test_dry_run_and_json(built, tmp_path):
    origin = tmp_path / "origin"
    proc = run("publish", built, "--to", origin, "--dry-run")
    assert proc.returncode == 0
    assert "upload          index.html  (not on target)" in proc.stdout
    assert "dry run: would upload" in proc.stdout
    assert not origin.exists()
    data = json.loads(run("publish", built, "--to", origin, "--json").stdout)
    assert data["dry_run"] is False
    assert data["result"]["uploaded"] == data["plan"]["counts"]["upload"] > 0
    assert {a["reason"] for a in data["plan"]["actions"] if a["action"] == "upload"} == {"not on target"}


@pytest.mark.parametrize(
    "make, target, fragments",
    [
        (lambda p: p / "nope", "origin", ["nope", "build directory not found"]),
        (lambda p: p.mkdir() or p, "origin", ["assetpub-manifest.json", "manifest not found"]),
        (
            lambda p: (p.mkdir(), (p / "assetpub-manifest.json").write_text("{not json"))[0] or p,
            "origin",
            ["assetpub-manifest.json", "not a readable assetpub manifest"],
        ),
        (None, "ftp://host/x", ["unknown target scheme 'ftp'"]),
        (None, "s3://", ["no bucket name"]),
        (None, "s3://bucket:9000/x", ["invalid bucket name 'bucket:9000'", "--endpoint-url"]),
        (None, "s3://bucket/x?versionId=1", ["no query string or fragment"]),
        (None, "", ["no target given"]),
    ],
)
def test_bad_input_is_one_line(make, target, fragments, built, tmp_path):
    build_dir = make(tmp_path / "bad") if make else built
    to = ["--to", str(tmp_path / target) if target == "origin" else target] if target else []
    assert_one_line_error(run("publish", build_dir, *to, cwd=tmp_path), *fragments)


def test_invalid_endpoint_is_one_line(built):
    assert_one_line_error(
        run("publish", built, "--to", "s3://some-bucket", "--endpoint-url", "not a url"),
        "--endpoint-url must be an http(s) URL, not string 'not a url'",
    )


def test_missing_bucket_is_one_line(proxy, built):
    proc = run("publish", built, "--to", "s3://bucket-that-is-not-there/x", "--endpoint-url", proxy.url)
    assert_one_line_error(proc, "bucket 'bucket-that-is-not-there' does not exist")


def test_build_dir_files_missing_is_one_line(built, tmp_path):
    key = Manifest.load(built).entry("css/app.css").path
    (built / key).unlink()
    assert_one_line_error(run("publish", built, "--to", tmp_path / "o"), key, "missing from the build directory")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
@pytest.mark.parametrize("step", ["fingerprinted", "keep-name"])
def test_killed_publish_leaves_old_site_and_rerun_finishes(s3server, site, built, sig, step):
    proxy, bucket, s3 = s3server.proxy, s3server.bucket, s3server.client  # moto, and SeaweedFS
    url = f"s3://{bucket}/site"
    publish(built, target=open_target(url, endpoint_url=proxy.url))
    old_manifest = s3.get_object(Bucket=bucket, Key="site/assetpub-manifest.json")["Body"].read()
    old_record = s3.get_object(Bucket=bucket, Key=f"site/{CURRENT_KEY}")["Body"].read()
    for name in ("css/base.css", "js/util.js"):
        (site / name).write_text((site / name).read_text() + "\n/* v2 */\n")
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v2\n")
    build_site(site, built)
    proxy.reset()
    if step == "fingerprinted":
        arrived, release = proxy.hold(lambda r: r.method == "PUT" and "/css/base." in r.path)
    else:
        arrived, release = proxy.hold(lambda r: r.method == "PUT" and r.path.endswith("/site/robots.txt"))
    proc = start_publish(built, url, proxy)
    try:
        assert arrived.wait(60), "the publish never reached the held request"
        proc.send_signal(sig)
        release.set()  # the held request now fails (500, retried) instead of hanging
        _, err = proc.communicate(timeout=60)
    finally:
        processes.stop(proc)
    assert proc.returncode != 0
    assert "Traceback" not in err
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in err
    # old site intact: the live manifest and record are the old ones, all they reference is there
    live = s3.get_object(Bucket=bucket, Key="site/assetpub-manifest.json")["Body"].read()
    assert live == old_manifest
    assert s3.get_object(Bucket=bucket, Key=f"site/{CURRENT_KEY}")["Body"].read() == old_record
    listed = {o["Key"][5:] for o in s3.list_objects_v2(Bucket=bucket, Prefix="site/")["Contents"]}
    assert Manifest.from_dict(json.loads(old_manifest)).paths() <= listed
    index = s3.get_object(Bucket=bucket, Key="site/index.html")["Body"].read().decode()
    for path in Manifest.load(built).paths() | Manifest.from_dict(json.loads(old_manifest)).paths():
        if path.rsplit("/", 1)[-1] in index:
            assert path in listed  # a page that went live finds every file it references
    # the rerun uploads only what is missing or different
    wanted = Manifest.load(built).paths() | {"assetpub-manifest.json"}
    already = {
        k
        for k in wanted
        if k in listed and s3.get_object(Bucket=bucket, Key=f"site/{k}")["Body"].read() == (built / k).read_bytes()
    }
    assert already - Manifest.from_dict(json.loads(old_manifest)).paths()  # killed mid-way, not before
    proxy.reset()
    result = publish(built, target=open_target(url, endpoint_url=proxy.url))
    sent = {r.path.split("/site/", 1)[1] for r in proxy.requests if r.method == "PUT" and "/_assetpub/" not in r.path}
    assert sent == wanted - already
    assert result.applied.uploaded == len(sent)
    assert (
        s3.get_object(Bucket=bucket, Key="site/assetpub-manifest.json")["Body"].read()
        == (built / "assetpub-manifest.json").read_bytes()
    )


def test_concurrent_second_publish_is_refused(s3server, site, built, tmp_path):
    proxy, bucket = s3server.proxy, s3server.bucket
    url = f"s3://{bucket}/site"
    arrived, release = proxy.hold(lambda r: r.method == "PUT" and "/css/" in r.path)
    first = start_publish(built, url, proxy)
    try:
        assert arrived.wait(60)  # the first publish holds the lock and is uploading
        second = run("publish", built, "--to", url, "--endpoint-url", proxy.url)
        assert_one_line_error(second, "is locked by another publish (owner ")
        assert second.returncode == 75  # another publish holds the lock: try again later
        release.set()
        _, err = first.communicate(timeout=60)
    finally:
        processes.stop(first)
    assert first.returncode == 0, err  # the held request was retried
    assert run("publish", built, "--to", url, "--endpoint-url", proxy.url).returncode == 0


def test_deploys_rollback_and_max_deletes_commands(site, built, tmp_path):
    origin = tmp_path / "origin"
    assert run("publish", built, "--to", origin).returncode == 0
    v1 = (origin / "index.html").read_bytes()
    (site / "index.html").write_text("<!doctype html><p>v2</p>\n")
    build_site(site, built)
    assert run("publish", built, "--to", origin).returncode == 0
    listing = run("deploys", "--to", origin)
    lines = listing.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("* ") and " objects " in lines[0]
    dry = run("rollback", "--to", origin, "--dry-run")
    assert "restore index.html" in dry.stdout and (origin / "index.html").read_bytes() != v1
    proc = run("rollback", "--to", origin)
    assert proc.returncode == 0 and "rolled back" in proc.stdout
    assert (origin / "index.html").read_bytes() == v1
    assert len(json.loads(run("deploys", "--to", origin, "--json").stdout)) == 3
    # the wrong folder, with a small bound: refused, nothing changed
    wrong = tmp_path / "wrong-src"
    wrong.mkdir()
    (wrong / "x.txt").write_text("x")
    build_site(wrong, tmp_path / "wrong")
    before = sorted(p.name for p in origin.rglob("*"))
    proc = run("publish", tmp_path / "wrong", "--to", origin, "--keep", "1", "--grace", "0s", "--max-deletes", "2")
    assert_one_line_error(proc, "more than --max-deletes 2")
    assert sorted(p.name for p in origin.rglob("*")) == before
    assert_one_line_error(run("publish", built, "--to", origin, "--grace", "soon"), "--grace must be a duration", "'soon'")


def test_progress_bar_only_on_a_terminal(built, tmp_path):
    import os
    import pty

    master, slave = pty.openpty()
    proc = processes.spawn(
        [sys.executable, "-m", "assetpub.cli", "publish", str(built), "--to", str(tmp_path / "origin")],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.wait(60) == 0
    text = output.decode(errors="replace")
    assert "publishing" in text and "published to" in text


def test_delete_unknown_needs_yes_without_a_terminal(site, built, tmp_path):
    origin = tmp_path / "origin"
    assert run("publish", built, "--to", origin).returncode == 0
    (origin / "stray.txt").write_text("not ours")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /y\n")
    build_site(site, built)
    args = ["publish", built, "--to", origin, "--delete-unknown", "--grace", "0s"]
    assert_one_line_error(run(*args), "would delete 1 objects assetpub did not create (first: stray.txt)", "--yes")
    assert (origin / "stray.txt").exists() and b"/y" not in (origin / "robots.txt").read_bytes()
    proc = run(*args, "--yes")
    assert proc.returncode == 0 and "deleted 1" in proc.stdout
    assert not (origin / "stray.txt").exists()


def test_bad_retention_value_in_the_config_names_the_file_and_key(built, tmp_path):
    config = tmp_path / "assetpub.toml"
    config.write_text('target = "origin"\ngrace = "soon"\n')
    assert_one_line_error(run("publish", built, cwd=tmp_path), f"{config}: key 'grace' must be a duration", "'soon'")
    config.write_text('target = "origin"\n')
    assert_one_line_error(run("publish", built, "--grace", "later", cwd=tmp_path), "--grace must be a duration", "'later'")
    config.write_text('target = "origin"\nacl = "public-read"\n')
    assert_one_line_error(run("publish", built, cwd=tmp_path), "'acl' in the config", "S3 targets only")


@pytest.mark.parametrize(
    "entry",
    [
        {"path": "a.css", "content_type": "text/css", "cache_control": "x", "encodings": ["br"]},
        {"path": "a.css", "content_type": "text/css", "cache_control": "x", "encodings": {"br": "a.css.br"}},
        {"path": 5, "content_type": "text/css", "cache_control": "x"},
        {"path": "a.css", "content_type": 5, "cache_control": "x"},
    ],
)
def test_malformed_manifest_entry_is_one_line(entry, tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    (build / "a.css").write_text("a{}")
    (build / "assetpub-manifest.json").write_text(json.dumps({"version": 1, "assets": {"a.css": entry}}))
    assert_one_line_error(run("publish", build, "--to", tmp_path / "o"), "assetpub-manifest.json: entry 'a.css'")
    assert not (tmp_path / "o").exists()


def test_publish_in_process_leaves_garbage_collection_on(built, tmp_path):
    """The command pauses the cyclic GC while it runs (see commands._shared.paused_gc), and must give it
    back to a process that imported it, even when the command fails."""
    import gc

    from click.testing import CliRunner

    from assetpub.cli import main

    assert gc.isenabled()
    ok = CliRunner().invoke(main, ["publish", str(built), "--to", str(tmp_path / "origin"), "-q"])
    assert ok.exit_code == 0, ok.output
    assert gc.isenabled()
    failed = CliRunner().invoke(main, ["publish", str(tmp_path / "missing"), "--to", str(tmp_path / "origin")])
    assert failed.exit_code == 2  # a build directory that is not there: a usage mistake
    assert gc.isenabled()


def test_dry_run_summary_counts_every_line_it_lists(site, built, tmp_path):
    """Deletions of deploy records that retention no longer needs are listed and counted."""
    import re

    origin = tmp_path / "origin"
    for n in range(3):
        (site / "robots.txt").write_text(f"User-agent: *\nDisallow: /v{n}\n")
        build_site(site, built)
        assert run("publish", built, "--to", origin).returncode == 0
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v9\n")
    build_site(site, built)
    proc = run("publish", built, "--to", origin, "--dry-run", "--keep", "1", "--grace", "0s")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    listed = [line.split()[0] for line in lines[:-1]]
    summary = re.fullmatch(r"dry run: would upload (\d+) \(.*\), update (\d+), skip \d+, delete (\d+)"
                           r"(?: and (\d+) of assetpub's own \(old deploy records, rollback copies\))? -> .*", lines[-1])
    assert summary, lines[-1]
    upload, update, delete, records = (int(g or 0) for g in summary.groups())
    assert listed.count("delete") == delete + records and records > 0
    assert listed.count("upload") + listed.count("overwrite") == upload and listed.count("update-headers") == update
