"""`assetpub audit` against real nginx serving a built origin: the generated config passes
every check; each deliberate breakage is reported by the check that covers it."""

from __future__ import annotations

import json
import os
import re

from click.testing import CliRunner

import assetpub
from assetpub.cli import main
from tests import processes
from tests.audit.conftest import run_audit


def by_check(report, name):
    return {a["name"]: next(c for c in a["checks"] if c["name"] == name) for a in report["assets"]}


def failing(report):
    return sorted((a["name"], c["name"]) for a in report["assets"] for c in a["checks"] if c["result"] == "fail")


def test_generated_config_passes_every_check(origin, serve):
    server = serve(origin)
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json")
    assert code == 0 and report["ok"] is True, failing(report)
    m = assetpub.Manifest.load(origin)
    assert {a["name"] for a in report["assets"]} == set(m.assets)
    compression = by_check(report, "compression")
    assert compression["css/app.css"] == {"name": "compression", "result": "pass", "expected": "br", "seen": "br"}
    assert compression["img/logo.png"]["result"] == "skip"
    assert by_check(report, "identity")["js/app.js"]["result"] == "pass"
    assert by_check(report, "conditional")["index.html"]["result"] == "pass"
    assert by_check(report, "cache-control")["robots.txt"]["seen"] == "public, max-age=0, must-revalidate"
    # every request is a GET, and the conditional one carried both validators
    for a in report["assets"]:
        assert all(r["method"] == "GET" for r in a["requests"])
    css = next(a for a in report["assets"] if a["name"] == "css/app.css")
    assert [r["kind"] for r in css["requests"]] == ["browser", "identity", "conditional"]
    assert set(css["requests"][2]["conditions"]) == {"If-None-Match", "If-Modified-Since"}
    assert report["summary"]["requests"] == sum(len(a["requests"]) for a in report["assets"])
    assert set(report["latency"]) == {"all", "fingerprinted", "keep-name"}
    assert report["latency"]["keep-name"]["n"] == 2 and report["latency"]["all"]["p95_ms"] >= report["latency"]["all"]["p50_ms"]
    by_type = {k: v["n"] for k, v in report["latency_by_type"].items()}
    assert by_type == {"all": 10, "css": 2, "js": 2, "html": 1, "font": 1, "image": 1, "other": 3}


def test_human_table(origin, serve):
    server = serve(origin)
    result = CliRunner().invoke(main, ["audit", server.base + "/assets/", "--manifest", str(origin)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any(line.startswith("css/app.css") and "fingerprinted" in line for line in lines)
    assert "FAIL" not in result.output and "\x1b[" not in result.output  # no colours off a terminal
    assert re.search(r"keep-name\s+n=2\s+p50 [\d.]+ ms\s+p95 [\d.]+ ms", result.output)
    assert lines[-1].endswith("all checks passed")


def test_without_brotli_static_compression_check_fails(origin, serve):
    server = serve(origin, edit=lambda conf: conf.replace("brotli_static on;", ""))
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json")
    assert code == 1
    m = assetpub.Manifest.load(origin)
    with_br = sorted(n for n, e in m.assets.items() if "br" in e.get("encodings", {}))
    assert with_br and failing(report) == [(n, "compression") for n in with_br]
    check = by_check(report, "compression")["css/app.css"]
    assert check["expected"] == "br" and check["seen"] == "gzip"


def test_without_cache_control_the_cache_control_check_fails(origin, serve):
    server = serve(origin, edit=lambda conf: re.sub(r"\s*add_header Cache-Control [^;]*;", "", conf))
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json")
    assert code == 1
    assert failing(report) == sorted((a["name"], "cache-control") for a in report["assets"])
    check = by_check(report, "cache-control")["css/app.css"]
    assert check["expected"] == "public, max-age=31536000, immutable" and "seen" not in check
    assert check["note"].startswith("dropped")


def test_rewritten_cache_control_is_flagged(origin, serve):
    server = serve(origin, edit=lambda conf: conf.replace("public, max-age=31536000, immutable", "public, max-age=600"))
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json")
    assert code == 1
    check = by_check(report, "cache-control")["js/app.js"]
    assert check["result"] == "fail" and check["seen"] == "public, max-age=600" and check["note"].startswith("rewritten")
    assert by_check(report, "cache-control")["index.html"]["result"] == "pass"


def test_wrong_woff2_type_is_flagged_by_content_type(origin, serve):
    server = serve(origin, edit=lambda conf: conf.replace("font/woff2 woff2;", "application/octet-stream woff2;"))
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json")
    assert code == 1
    assert failing(report) == [("fonts/a.woff2", "content-type")]
    check = by_check(report, "content-type")["fonts/a.woff2"]
    assert check["expected"] == "font/woff2" and check["seen"] == "application/octet-stream"


def test_missing_file_fails_status_and_skips_the_rest(origin, serve):
    m = assetpub.Manifest.load(origin)
    (origin / m.path("img/logo.png")).unlink()
    server = serve(origin)
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json")
    assert code == 1
    assert failing(report) == [("img/logo.png", "status")]
    assert by_check(report, "status")["img/logo.png"]["seen"] == "404"


def test_last_modified_stability_across_audits(origin, serve, tmp_path):
    server = serve(origin)
    first = CliRunner().invoke(main, ["audit", server.base + "/assets/", "--manifest", str(origin), "--json"])
    assert first.exit_code == 0
    (tmp_path / "first.json").write_text(first.stdout)

    # nothing published: stable
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json",
                             "--previous", str(tmp_path / "first.json"))
    assert code == 0
    stable = next(a for a in report["assets"] if a["name"] == "robots.txt")["last_modified_stable"]
    assert stable["stable"] is True and stable["previous"] == stable["current"]

    # same bytes re-written with a new mtime (what a careless re-publish does): flagged, with both values
    m = assetpub.Manifest.load(origin)
    entry = m.entry("robots.txt")  # the file and its variants (every text file has them)
    for rel in entry.paths():
        path = origin / rel
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 3600))
    code, report = run_audit(server.base + "/assets/", "--manifest", str(origin), "--json",
                             "--previous", str(tmp_path / "first.json"))
    assert code == 1 and failing(report) == [("robots.txt", "last-modified-stable")]
    flag = next(a for a in report["assets"] if a["name"] == "robots.txt")["last_modified_stable"]
    assert flag["stable"] is False and flag["previous"] != flag["current"]


def test_manifest_by_url_and_sample(origin, serve):
    server = serve(origin)
    code, report = run_audit(server.base + "/assets/", "--manifest", server.base + "/assets/assetpub-manifest.json",
                             "--sample", "2", "--seed", "7", "--json")
    assert code == 0
    m = assetpub.Manifest.load(origin)
    names = [a["name"] for a in report["assets"]]
    keep = {n for n, e in m.assets.items() if not e["fingerprinted"]}
    assert keep <= set(names) and len(names) == len(keep) + 2
    assert report["summary"]["manifest_entries"] == len(m)
    again = run_audit(server.base + "/assets/", "--manifest", str(origin), "--sample", "2", "--seed", "7", "--json")[1]
    assert [a["name"] for a in again["assets"]] == names


def test_usage_errors_exit_2(origin, tmp_path):
    cases = [
        (["ftp://example.com/", "--manifest", str(origin)], "expected an http:// or https:// URL"),
        (["http://[bad/", "--manifest", str(origin)], "not a valid URL"),
        (["https://exa mple.com/", "--manifest", str(origin)], "not a valid URL"),
        (["http://127.0.0.1:9/a\tb/", "--manifest", str(origin)], "not a valid URL"),
        (["http://user:pw@[bad/", "--manifest", str(origin)], "not a valid URL"),
        (["http://127.0.0.1:99999/", "--manifest", str(origin)], "not a valid URL"),
        (["http://127.0.0.1:9/", "--manifest", "http://[bad/m.json"], "not a valid URL"),
        (["http://user:pw@127.0.0.1:9/", "--manifest", str(origin)], "credentials in the URL are not accepted"),
        (["http://127.0.0.1:9/", "--manifest", str(tmp_path / "nope")], "manifest not found"),
        (["http://127.0.0.1:9/", "--manifest", str(origin), "--max-requests", "3"], "use --sample N"),
        (["http://127.0.0.1:9/", "--manifest", str(origin), "--concurrency", "0"], "--concurrency"),
        (["http://127.0.0.1:9/"], "--manifest"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(main, ["audit", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
        assert "pw" not in result.output  # never echo credentials


def test_unreachable_server_fails_status_with_the_error(origin):
    from tests.edge.servers import free_port

    code, report = run_audit(f"http://127.0.0.1:{free_port()}/assets/", "--manifest", str(origin), "--json")
    assert code == 1
    check = by_check(report, "status")["css/app.css"]
    assert check["result"] == "fail" and "ConnectionRefused" in check["note"]
    assert json.dumps(report)  # still a complete report


def test_help_gives_the_exit_codes():
    text = " ".join(CliRunner().invoke(main, ["audit", "--help"]).output.split())
    assert "Exit code 0 when every check passes, 1 when any fails, 2 on a usage error" in text


def test_unreachable_server_is_one_line_for_people(origin):
    from tests.edge.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/assets/"
    result = CliRunner().invoke(main, ["audit", url, "--manifest", str(origin)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: no response from {url} for any of the "), result.output
    assert "ConnectionRefusedError" in lines[0]


def test_table_on_a_terminal_marks_failures_in_colour(origin, serve):
    import pty
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    server = serve(origin, edit=lambda conf: conf.replace("font/woff2 woff2;", ""))
    exe = shutil.which("assetpub", path=str(Path(sys.executable).parent)) or "assetpub"
    master, slave = pty.openpty()
    proc = processes.spawn([exe, "audit", server.base + "/assets/", "--manifest", str(origin)],
                           stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 1
    out = b"".join(chunks).decode()
    assert "\x1b[31mFAIL" in out and "\x1b[32mok" in out
    assert "fonts/a.woff2: content-type: expected 'font/woff2', saw 'application/octet-stream'" in out
