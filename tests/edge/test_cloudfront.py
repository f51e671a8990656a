"""`assetpub cloudfront-function`: the handler run under node with recorded viewer-request events."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import assetpub
from assetpub.cli import main
from assetpub.edge.cloudfront import (
    MAX_FUNCTION_BYTES,
    FunctionTooLarge,
    cloudfront_function,
)
from tests.conftest import missing
from tests.edge.sites import make_site

HERE = Path(__file__).parent
EVENTS = HERE / "events"
NODE = shutil.which("node") or "/usr/bin/node"

# recorded event -> the codings its Accept-Encoding accepts (no header: none, as CloudFront treats it)
ACCEPTS = {
    "chrome": {"br", "gzip"}, "firefox": {"br", "gzip"}, "gzip-only": {"gzip"}, "normalised-br-gzip": {"br", "gzip"},
    "br-refused": {"gzip"}, "star": {"br", "gzip"}, "star-but-br-refused": {"gzip"}, "identity": set(), "none": set(),
    "multivalue": {"br", "gzip"}, "upper-case": {"br", "gzip"},
}
SUFFIX = {"br": ".br", "gzip": ".gz"}


def expected_variant(accepted: set, available: dict) -> str | None:
    """br when accepted and published, else gzip when accepted and published, else identity."""
    return next((c for c in ("br", "gzip") if c in accepted and c in available), None)


def event(name: str, uri: str) -> dict:
    e = json.loads((EVENTS / f"{name}.json").read_text())
    e["request"]["uri"] = uri
    return e


def run_handler(code: str, events: list[dict], tmp_path: Path) -> list[dict]:
    if not Path(NODE).exists():
        missing("node not found (apt-get install nodejs)")
    (tmp_path / "function.js").write_text(code)
    (tmp_path / "events.json").write_text(json.dumps(events))
    proc = subprocess.run([NODE, str(HERE / "run_function.js"), str(tmp_path / "function.js"), str(tmp_path / "events.json")],
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def built(tmp_path):
    src = make_site(tmp_path / "src")
    assetpub.build([src], out=tmp_path / "out")
    return tmp_path / "out"


def generate(*args: str) -> str:
    result = CliRunner().invoke(main, ["cloudfront-function", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_rewrites_to_the_accepted_variant_that_exists(built, tmp_path):
    m = assetpub.Manifest.load(built)
    code = generate(str(built))
    cases = []  # (event name, logical name, expected uri)
    for name, entry in sorted(m.assets.items()):
        for ev, accepted in ACCEPTS.items():
            pick = expected_variant(accepted, entry.get("encodings", {}))
            expected = m.url(name) + (SUFFIX[pick] if pick else "")
            cases.append((ev, name, expected))
    events = [event(ev, m.url(name)) for ev, name, _ in cases]
    results = run_handler(code, events, tmp_path)
    assert len(results) == len(cases)
    for (ev, name, expected), result, sent in zip(cases, results, events):
        assert result["uri"] == expected, (ev, name)
        assert result["headers"] == sent["request"]["headers"] and result["method"] == "GET"
        # a rewritten URI names an object that publish uploaded
        assert (built / result["uri"][len("/assets/"):]).is_file(), result["uri"]
    rewritten = {name for (ev, name, expected) in cases if expected.endswith((".br", ".gz"))}
    # the uniform rule: every compressible file has its variants, however small
    assert {"css/app.css", "js/app.js", "index.html", "tiny.css", "robots.txt"} <= rewritten
    assert not rewritten & {"img/logo.png", "fonts/a.woff2"}
    # the manifest is published without variants: never rewritten
    manifest_uri = "/assets/assetpub-manifest.json"
    assert [r["uri"] for r in run_handler(code, [event("chrome", manifest_uri)], tmp_path)] == [manifest_uri]


def test_gzip_only_build_never_asks_for_br(tmp_path):
    src = make_site(tmp_path / "src")
    assetpub.build([src], out=tmp_path / "out", brotli=False)
    m = assetpub.Manifest.load(tmp_path / "out")
    code = generate("--manifest", str(tmp_path / "out" / "assetpub-manifest.json"))
    results = run_handler(code, [event("chrome", m.url("css/app.css")), event("identity", m.url("css/app.css"))], tmp_path)
    assert [r["uri"] for r in results] == [m.url("css/app.css") + ".gz", m.url("css/app.css")]


def test_leaves_other_requests_alone(built, tmp_path):
    m = assetpub.Manifest.load(built)
    css = m.path("css/app.css")
    uris = [
        "/other/" + css,                          # outside the prefix
        "/assets/" + css + ".br",                 # already a variant
        "/assets/constructor",                    # not tricked by Object.prototype
        "/assets/",
        "/assets/img/" + m.path("img/logo.png").split("/")[-1],  # a type without variants
    ]
    results = run_handler(generate(str(built)), [event("chrome", u) for u in uris], tmp_path)
    assert [r["uri"] for r in results] == uris
    # a missing file of a compressible type: its variant is just as missing (no table to know)
    missing = ["/assets/css/nope.0123456789ab.css", "/assets/css/app.css"]
    results = run_handler(generate(str(built)), [event("chrome", u) for u in missing], tmp_path)
    assert [r["uri"] for r in results] == [u + ".br" for u in missing]
    assert not any((built / u[len("/assets/"):]).exists() for u in missing + [u + ".br" for u in missing])


def test_prefix_option(built, tmp_path):
    m = assetpub.Manifest.load(built)
    code = generate(str(built), "--prefix", "/static")
    results = run_handler(code, [event("chrome", "/static/" + m.path("css/app.css"))], tmp_path)
    assert results[0]["uri"] == "/static/" + m.path("css/app.css") + ".br"


def _entry(i, fingerprinted=True, encodings=("br", "gzip")):
    digest = f"{i:012x}" + "0" * 52
    name = f"js/m{i}.js" if fingerprinted else f"pages/p{i}.html"
    path = f"js/m{i}.{digest[:12]}.js" if fingerprinted else name
    return name, {"path": path, "digest": digest, "fingerprinted": fingerprinted, "integrity": "x", "size": 1,
                  "content_type": "text/javascript", "cache_control": "x",
                  "encodings": {e: {"path": path + SUFFIX[e], "size": 1} for e in encodings}}


def _manifest(entries) -> assetpub.Manifest:
    return assetpub.Manifest.from_dict({"version": 1, "base_url": "/assets/", "assets": dict(entries)})


def test_function_size_does_not_grow_with_the_site(tmp_path):
    """No table: 20,000 files (the old limit was about 600) give the same function as 10."""
    def site(n):
        entries = [_entry(i) for i in range(n // 2)] + [_entry(i, fingerprinted=False) for i in range(n // 2)]
        entries.append(("img/i.png", {**_entry(n)[1], "path": "img/i.0123456789ab.png", "encodings": {}}))
        return _manifest(entries)

    small, big = cloudfront_function(site(10)), cloudfront_function(site(20_000))
    assert len(big.encode()) <= MAX_FUNCTION_BYTES
    assert big.replace("20001", "11") == small  # only the count of exceptions in the comment differs
    probes = [("chrome", "js/m7.000000000007.js", ".br"), ("gzip-only", "js/m9999.00000000270f.js", ".gz"),
              ("chrome", "pages/p9999.html", ".br"), ("identity", "pages/p3.html", ""),
              ("chrome", "img/i.0123456789ab.png", ""), ("chrome", "js/NEW.0123456789ab.JS", ".br"),
              ("chrome", ".hidden", ""), ("chrome", "js/noext", ""), ("chrome", "js/m1.000000000001.js.br", "")]
    results = run_handler(big, [event(ev, "/assets/" + p) for ev, p, _ in probes], tmp_path)
    assert [r["uri"] for r in results] == ["/assets/" + p + suffix for _, p, suffix in probes]


def test_files_that_break_the_rule_are_exceptions(tmp_path):
    """A manifest built before the rule (variants kept only when they paid) still works."""
    old = _manifest([_entry(i, encodings=("br",) if i % 3 == 1 else ("br", "gzip") if i % 3 else ()) for i in range(600)])
    code = cloudfront_function(old)
    assert len(code.encode()) <= MAX_FUNCTION_BYTES
    probes = [_entry(i)[1]["path"] for i in (0, 1, 2, 599)]
    results = run_handler(code, [event("gzip-only", "/assets/" + p) for p in probes], tmp_path)
    assert [r["uri"] for r in results] == ["/assets/" + probes[0], "/assets/" + probes[1],
                                           "/assets/" + probes[2] + ".gz", "/assets/" + probes[3] + ".gz"]

    pages = _manifest([_entry(i, fingerprinted=False, encodings=("br",) if i % 2 else ("br", "gzip"))
                       for i in range(2000)])
    with pytest.raises(FunctionTooLarge, match="over CloudFront's 10240-byte limit"):
        cloudfront_function(pages)


def test_settings_name_the_cache_policy_it_needs():
    settings = json.loads(generate("--settings"))
    params = settings["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["EnableAcceptEncodingBrotli"] is True and params["EnableAcceptEncodingGzip"] is True
    assert settings["CachePolicyConfig"]["MinTTL"] == 0
    assert settings["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert settings["FunctionEventType"] == "viewer-request"
    vary = settings["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"]["Items"]
    assert vary == [{"Header": "Vary", "Value": "Accept-Encoding", "Override": True}]


def test_usage_errors(built, tmp_path):
    result = CliRunner().invoke(main, ["cloudfront-function"])
    assert result.exit_code == 2 and "BUILD_DIR or --manifest" in result.output
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["cloudfront-function", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "manifest not found" in result.output and "Traceback" not in result.output


def test_output_is_deterministic(built, tmp_path):
    copy_dir = shutil.copytree(built, tmp_path / "copy")
    a, b = generate(str(built)), generate(str(copy_dir))
    assert a.replace(str(built), "X") == b.replace(str(copy_dir), "X")
    assert a == generate(str(built))
