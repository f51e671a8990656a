"""`assetpub nginx-config`: real nginx with the generated config, checked over HTTP."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess

import brotli
import pytest
from click.testing import CliRunner

import assetpub
from assetpub import media_types
from assetpub.cli import main
from assetpub.digest import integrity
from assetpub.edge.nginx import find_brotli_module
from tests.edge.conftest import generate
from tests.edge.servers import get, nginx_binary
from tests.edge.sites import make_site

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


def url(manifest, name):
    return manifest.url(name)  # base_url is the path /assets/


def test_encoding_negotiation_br_gzip_identity(origin, serve):
    server = serve(origin)
    m = assetpub.Manifest.load(origin)
    entry = m.entry("css/app.css")
    assert set(entry.encodings) == {"br", "gzip"}

    br = get(server.base, url(m, "css/app.css"), {"Accept-Encoding": "gzip, deflate, br"})
    assert br.status == 200 and br.header("content-encoding") == "br"
    assert integrity(brotli.decompress(br.body)) == entry.integrity

    gz = get(server.base, url(m, "css/app.css"), {"Accept-Encoding": "gzip"})
    assert gz.status == 200 and gz.header("content-encoding") == "gzip"
    assert integrity(gzip.decompress(gz.body)) == entry.integrity

    plain = get(server.base, url(m, "css/app.css"), {"Accept-Encoding": "identity"})
    assert plain.status == 200 and plain.header("content-encoding") is None
    assert integrity(plain.body) == entry.integrity

    for reply in (br, gz, plain):
        assert reply.header("vary") == "Accept-Encoding"
        assert reply.header("content-type") == "text/css; charset=utf-8"


def test_behind_a_cdn_via_header_still_gets_variants(origin, serve):
    server = serve(origin)
    m = assetpub.Manifest.load(origin)
    via = {"Via": "1.1 abc.cloudfront.net (CloudFront)"}
    assert get(server.base, url(m, "css/app.css"), {"Accept-Encoding": "gzip", **via}).header("content-encoding") == "gzip"
    assert get(server.base, url(m, "css/app.css"), {"Accept-Encoding": "br,gzip", **via}).header("content-encoding") == "br"


def test_br_refused_with_q0_gets_gzip(origin, serve):
    server = serve(origin)
    m = assetpub.Manifest.load(origin)
    reply = get(server.base, url(m, "js/app.js"), {"Accept-Encoding": "br;q=0, gzip"})
    assert reply.header("content-encoding") == "gzip"


def test_cache_control_per_file_class(origin, serve):
    server = serve(origin)
    m = assetpub.Manifest.load(origin)
    for name in ("css/app.css", "js/app.js", "fonts/a.woff2", "img/logo.png", "tiny.css"):
        assert m.entry(name).fingerprinted
        assert get(server.base, url(m, name)).header("cache-control") == IMMUTABLE, name
    for name in ("index.html", "robots.txt"):
        assert not m.entry(name).fingerprinted
        for ae in ("br", "identity"):
            assert get(server.base, url(m, name), {"Accept-Encoding": ae}).header("cache-control") == REVALIDATE
    manifest_reply = get(server.base, "/assets/assetpub-manifest.json")
    assert manifest_reply.status == 200 and manifest_reply.header("cache-control") == REVALIDATE
    assert json.loads(manifest_reply.body)["assets"].keys() == m.assets.keys()


def test_cache_control_comes_from_the_manifest_not_hard_coded(tmp_path, serve):
    src = make_site(tmp_path / "src")
    rules = [{"match": "img/**", "cache_control": "public, max-age=600"},
             {"match": "robots.txt", "cache_control": "public, max-age=60"}]
    assetpub.build([src], out=tmp_path / "o", headers=rules, cache_control_keep_name="no-cache")
    server = serve(tmp_path / "o")
    m = assetpub.Manifest.load(tmp_path / "o")
    assert get(server.base, url(m, "img/logo.png")).header("cache-control") == "public, max-age=600"
    assert get(server.base, url(m, "robots.txt")).header("cache-control") == "public, max-age=60"
    assert get(server.base, url(m, "index.html")).header("cache-control") == "no-cache"
    assert get(server.base, url(m, "css/app.css")).header("cache-control") == IMMUTABLE


def test_files_published_after_the_config_get_their_class_by_name(origin, serve):
    server = serve(origin)
    (origin / "about.html").write_text("<p>new page</p>")  # a keep-name file the config never saw
    (origin / "css" / "next.0123456789ab.css").write_text("a{}")  # a later deploy's fingerprinted file
    assert get(server.base, "/assets/about.html").header("cache-control") == REVALIDATE
    assert get(server.base, "/assets/css/next.0123456789ab.css").header("cache-control") == IMMUTABLE
    assert get(server.base, "/assets/css/next.0123456789AB.css").status == 404


def test_content_types_from_media_types(origin, serve):
    server = serve(origin)
    m = assetpub.Manifest.load(origin)
    expected = {
        "fonts/a.woff2": "font/woff2",
        "wasm/mod.wasm": "application/wasm",
        "site.webmanifest": "application/manifest+json; charset=utf-8",
        "js/util.mjs": "text/javascript; charset=utf-8",
        "img/logo.png": "image/png",
        "index.html": "text/html; charset=utf-8",
    }
    for name, content_type in expected.items():
        assert media_types.content_type(name) == content_type
        for ae in ("br, gzip", "identity"):
            reply = get(server.base, url(m, name), {"Accept-Encoding": ae})
            assert reply.status == 200 and reply.header("content-type") == content_type, (name, ae)


def test_missing_assets_and_private_files_are_404(origin, serve):
    (origin / "_assetpub").mkdir()
    (origin / "_assetpub" / "headers.json").write_text('{"version": 1, "objects": {}}')
    (origin / ".env").write_text("SECRET=1")
    server = serve(origin)
    assert get(server.base, "/assets/").header("content-type") == "text/html; charset=utf-8"  # its index.html
    for path in ("/assets/nope.css", "/assets/css/", "/assets/css", "/assets/_assetpub/headers.json",
                 "/assets/.assetpub/manifests/000001.json", "/assets/.env", "/assets/%2eenv", "/", "/index.html"):
        reply = get(server.base, path, {"Accept-Encoding": "br, gzip"})
        assert reply.status == 404, path
        assert reply.header("cache-control") is None, path  # a 404 must not be cached for a year
    assert (origin / ".assetpub/manifests/000001.json").is_file()  # it exists, and is still not served


def test_top_level_well_known_is_served_and_nothing_else_dotted(tmp_path, serve):
    src = make_site(tmp_path / "src")
    (src / ".well-known").mkdir()
    (src / ".well-known" / "security.txt").write_text("Contact: mailto:security@example.com\n")
    out = tmp_path / "origin"
    assetpub.build([src], out=out)
    m = assetpub.Manifest.load(out)
    assert m.path(".well-known/security.txt") == ".well-known/security.txt"
    (out / ".well-known" / ".secret").write_text("x")
    (out / "css" / ".well-known").mkdir()
    (out / "css" / ".well-known" / "x.txt").write_text("x")
    server = serve(out)
    reply = get(server.base, "/assets/.well-known/security.txt")
    assert reply.status == 200 and reply.body.startswith(b"Contact:")
    assert reply.header("cache-control") == REVALIDATE and reply.header("content-type") == "text/plain; charset=utf-8"
    for path in ("/assets/.well-known/.secret", "/assets/css/.well-known/x.txt", "/assets/.well-known/",
                 "/assets/.well-known/nope.txt", "/assets/.assetpub/manifests/000001.json"):
        assert get(server.base, path).status == 404, path


def test_conditional_request_304_survives_unchanged_rebuild(tmp_path, serve):
    src = make_site(tmp_path / "src")
    out = tmp_path / "origin"
    assetpub.build([src], out=out)
    server = serve(out)
    m = assetpub.Manifest.load(out)
    seen = {}
    for name in ("css/app.css", "index.html", "img/logo.png"):
        first = get(server.base, url(m, name), {"Accept-Encoding": "br, gzip"})
        assert first.status == 200 and first.header("etag") and first.header("last-modified")
        seen[name] = first
        again = get(server.base, url(m, name), {"Accept-Encoding": "br, gzip", "If-None-Match": first.header("etag"),
                                                "If-Modified-Since": first.header("last-modified")})
        assert again.status == 304 and again.body == b""
        assert again.header("cache-control") == first.header("cache-control")

    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and ".assetpub" not in p.parts}
    result = assetpub.build([src], out=out)  # an unchanged rebuild: nothing rewritten
    assert result.written == 0
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    for name, first in seen.items():
        again = get(server.base, url(m, name), {"Accept-Encoding": "br, gzip", "If-None-Match": first.header("etag"),
                                                "If-Modified-Since": first.header("last-modified")})
        assert again.status == 304, name

    # a real change to a keep-name file is not a 304
    (src / "index.html").write_text("<!doctype html><p>changed</p>\n" * 30)
    assetpub.build([src], out=out)
    first = seen["index.html"]
    changed = get(server.base, url(m, "index.html"), {"Accept-Encoding": "br, gzip", "If-None-Match": first.header("etag"),
                                                      "If-Modified-Since": first.header("last-modified")})
    assert changed.status == 200 and b"changed" in brotli.decompress(changed.body)


def test_no_brotli_serves_gzip(origin, serve):
    server = serve(origin, "--no-brotli")
    m = assetpub.Manifest.load(origin)
    reply = get(server.base, url(m, "css/app.css"), {"Accept-Encoding": "br, gzip"})
    assert reply.header("content-encoding") == "gzip" and reply.header("vary") == "Accept-Encoding"


def test_origin_above_published_prefix_and_url_prefix(tmp_path, serve):
    src = make_site(tmp_path / "src")
    assetpub.build([src], out=tmp_path / "origin" / "static", base_url="/static/")
    m = assetpub.Manifest.load(tmp_path / "origin" / "static")
    server = serve(tmp_path / "origin")  # the manifest below it is found; prefix from its base_url
    assert get(server.base, url(m, "css/app.css")).status == 200
    other = serve(tmp_path / "origin", "--prefix", "/cdn")  # served under another path
    reply = get(other.base, "/cdn/" + m.path("index.html"), {"Accept-Encoding": "gzip"})
    assert reply.status == 200 and reply.header("cache-control") == REVALIDATE
    assert get(other.base, url(m, "css/app.css")).status == 404


def test_sidecar_headers_cover_files_of_older_deploys(origin, serve):
    old = origin / "css" / "old.0123456789ab.css"
    old.write_text("a{}")
    (origin / "LICENSE.0123456789ab").write_text("MIT")
    (origin / "_assetpub").mkdir()
    (origin / "_assetpub" / "headers.json").write_text(json.dumps({"version": 1, "objects": {
        "css/old.0123456789ab.css": {"content_type": "text/css; charset=utf-8", "cache_control": "public, max-age=86400"},
        "LICENSE.0123456789ab": {"content_type": "text/plain; charset=utf-8", "cache_control": IMMUTABLE},
    }}))
    server = serve(origin)
    reply = get(server.base, "/assets/css/old.0123456789ab.css")
    assert reply.status == 200 and reply.header("cache-control") == "public, max-age=86400"
    # a type the extension table would not give (no extension) is served as the sidecar says
    reply = get(server.base, "/assets/LICENSE.0123456789ab")
    assert reply.status == 200 and reply.body == b"MIT"
    assert reply.header("content-type") == "text/plain; charset=utf-8" and reply.header("cache-control") == IMMUTABLE


def test_server_block_mentions_module_and_is_valid_inside_http(origin, tmp_path):
    block = generate(origin, "--listen", "127.0.0.1:1")
    assert "load_module modules/ngx_http_brotli_static_module.so;" in block
    assert block.count("server {") == 1 and "brotli_static on;" in block
    module = find_brotli_module()
    if module is None:
        block = generate(origin, "--listen", "127.0.0.1:1", "--no-brotli")
    (tmp_path / "site.conf").write_text(block)
    main_conf = tmp_path / "main.conf"
    main_conf.write_text(
        (f"load_module {module};\n" if module else "")
        + f"pid {tmp_path}/p;\nevents {{}}\nhttp {{ include {tmp_path}/site.conf; }}\n"
    )
    check = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"), "-c", str(main_conf)],
                           check=False, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_missing_manifest_is_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["nginx-config", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path / 'empty'}: no assetpub-manifest.json here (build or publish into it first)"


def test_help_names_its_arguments_and_shows_where_the_output_goes():
    text = CliRunner().invoke(main, ["nginx-config", "--help"]).output
    assert "--standalone RUNDIR" in text  # the help text below it talks about RUNDIR
    assert "> /etc/nginx/conf.d/" in text


@pytest.mark.parametrize("command", ["nginx-config", "cloudfront-function"])
@pytest.mark.parametrize(
    "entry",
    [
        "not a table",
        {"path": 5, "cache_control": "x"},
        {"path": "a.css"},
        {"path": "a.css", "cache_control": "x", "encodings": ["br"]},
        {"path": "a.css", "cache_control": "x", "encodings": {"br": "a.css.br"}},
    ],
)
def test_malformed_manifest_entry_is_one_line_error(tmp_path, command, entry):
    (tmp_path / "assetpub-manifest.json").write_text(json.dumps({"version": 1, "assets": {"a.css": entry}}))
    result = CliRunner().invoke(main, [command, str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and "entry 'a.css'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unsafe_origin_path_refused(tmp_path):
    src = make_site(tmp_path / "src")
    out = tmp_path / "we$ird"
    assetpub.build([src], out=out)
    result = CliRunner().invoke(main, ["nginx-config", str(out)])
    assert result.exit_code == 1 and "cannot carry safely" in result.output and "Traceback" not in result.output


def test_output_is_deterministic(origin, tmp_path):
    copy = shutil.copytree(origin, tmp_path / "copy")
    a = generate(origin, "--standalone", str(tmp_path / "run"))
    assert a == generate(origin, "--standalone", str(tmp_path / "run"))
    assert a.replace(str(origin), "X") == generate(copy, "--standalone", str(tmp_path / "run")).replace(str(copy), "X")


def test_served_at_the_root_and_from_an_absolute_base_url(tmp_path, serve):
    src = make_site(tmp_path / "src")
    assetpub.build([src], out=tmp_path / "root", base_url="/")
    m = assetpub.Manifest.load(tmp_path / "root")
    (tmp_path / "root" / "_assetpub").mkdir()
    (tmp_path / "root" / "_assetpub" / "current.json").write_text("{}")
    server = serve(tmp_path / "root")
    assert get(server.base, "/" + m.path("css/app.css")).header("cache-control") == IMMUTABLE
    assert get(server.base, "/index.html").header("cache-control") == REVALIDATE
    home = get(server.base, "/")  # a directory's index.html, with the page's headers
    assert home.status == 200 and home.body == (tmp_path / "root/index.html").read_bytes()
    assert home.header("content-type") == "text/html; charset=utf-8" and home.header("cache-control") == REVALIDATE
    for path in ("/css/", "/nope.css", "/nope/", "/_assetpub/current.json", "/.assetpub/manifests/000001.json"):
        assert get(server.base, path).status == 404, path

    assetpub.build([src], out=tmp_path / "cdn", base_url="https://cdn.example.com/static/v1/")
    m = assetpub.Manifest.load(tmp_path / "cdn")
    server = serve(tmp_path / "cdn")
    assert get(server.base, "/static/v1/" + m.path("js/app.js"), {"Accept-Encoding": "gzip"}).header("content-encoding") == "gzip"


def test_listen_value_cannot_inject_directives(origin):
    result = CliRunner().invoke(main, ["nginx-config", str(origin), "--listen", "127.0.0.1:80; include /etc/passwd"])
    assert result.exit_code == 2 and "expected an nginx listen value" in result.output and "include" not in result.stdout


def test_config_does_not_grow_with_the_site(tmp_path):
    """No per-file blocks: files that follow the name rule add nothing to the config."""
    import json as _json

    from assetpub.edge.nginx import nginx_config as _config
    from assetpub.edge.origin import load_origin as _load

    def origin(n: int) -> str:
        root = tmp_path / f"o{n}"
        root.mkdir()
        assets = {}
        for i in range(n):
            fp = f"{i:012x}"
            assets[f"js/m{i}.js"] = {"path": f"js/m{i}.{fp}.js", "digest": fp + "0" * 52, "fingerprinted": True,
                                     "integrity": "x", "size": 1, "content_type": "text/javascript; charset=utf-8",
                                     "cache_control": "public, max-age=31536000, immutable",
                                     "encodings": {"br": {"path": f"js/m{i}.{fp}.js.br", "size": 1}}}
            assets[f"p{i}.html"] = {"path": f"p{i}.html", "digest": fp + "1" * 52, "fingerprinted": False,
                                    "integrity": "x", "size": 1, "content_type": "text/html; charset=utf-8",
                                    "cache_control": "public, max-age=0, must-revalidate", "encodings": {}}
        (root / "assetpub-manifest.json").write_text(_json.dumps({"version": 1, "base_url": "/assets/", "assets": assets}))
        return _config(_load(root)).replace(str(root.resolve()), "ROOT")

    small, big = origin(3), origin(5000)
    assert "(10000 assets)" in big  # the header comment counts them; nothing else differs
    assert small == big.replace("(10000 assets)", "(6 assets)")
