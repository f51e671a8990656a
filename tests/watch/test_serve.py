"""The dev server against a real build output and a directory origin, with http.client."""

from __future__ import annotations

import email.utils
import gzip
import http.client
import json
import logging
import os
import shutil
import socket
import struct
import threading

import brotli
import pytest

import assetpub
from assetpub.config import IMMUTABLE, REVALIDATE
from assetpub.manifest import Manifest, url_path
from tests.conftest import write_tree
from tests.watch.conftest import TIMEOUT

CSS = "".join(f".rule-{i} {{ color: #{i:06x}; margin: {i}px; }}\n" for i in range(200))
SITE = {
    "css/app.css": CSS + '.logo { background: url("../img/logo.png"); }\n',
    "img/logo.png": bytes(range(256)) * 4,
    "robots.txt": "User-agent: *\nDisallow:\n",
    "index.html": "<!doctype html><html><body><h1>hi</h1></body></html>\n",
    "js/app.js": "export const x = 1;\n" * 50,
    "docs/nonascii✓ with space.txt": "served under a percent-encoded URL\n" * 10,
}


@pytest.fixture
def site(tmp_path):
    src = write_tree(tmp_path / "src", SITE)
    result = assetpub.build([src], out=tmp_path / "out")
    return result.out, result.manifest


def url(manifest: Manifest, name: str) -> str:
    return manifest.url(name)  # '/assets/<path>': the server mounts the manifest's base_url path


def test_every_manifest_entry_served_with_its_headers(site, serve):
    out, m = site
    _, client = serve(out)
    for name in m:
        entry = m.entry(name)
        r = client.get(url(m, name))
        st = os.stat(out / entry.path)
        assert r.status == 200, name
        assert r.headers["Content-Type"] == entry.content_type
        assert r.headers["Cache-Control"] == entry.cache_control
        assert r.headers["Content-Length"] == str(st.st_size)
        assert r.headers["Last-Modified"] == email.utils.formatdate(st.st_mtime, usegmt=True)
        assert r.headers["ETag"].startswith('"') and r.headers["ETag"].endswith('"')
        assert r.headers.get("Content-Encoding") is None  # no Accept-Encoding: identity
        assert r.body == (out / entry.path).read_bytes()
        assert (r.headers.get("Vary") == "Accept-Encoding") == bool(entry.encodings)
    assert "%E2%9C%93%20with%20space" in url(m, "docs/nonascii✓ with space.txt")
    assert m.entry("css/app.css").cache_control == IMMUTABLE
    assert m.entry("robots.txt").cache_control == REVALIDATE


def test_head_sends_the_same_headers_without_a_body(site, serve):
    out, m = site
    _, client = serve(out)
    for accept in ("", "br", "gzip"):
        get = client.get(url(m, "css/app.css"), Accept_Encoding=accept)
        head = client.request(url(m, "css/app.css"), method="HEAD", headers={"Accept-Encoding": accept})
        assert head.status == 200 and head.body == b""
        for h in ("Content-Type", "Cache-Control", "ETag", "Last-Modified", "Content-Length", "Vary", "Content-Encoding"):
            assert head.headers.get(h) == get.headers.get(h), h
        assert int(head.headers["Content-Length"]) == len(get.body)


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, None),
        ("", None),
        ("br", "br"),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=1.0, gzip;q=0.8", "br"),
        ("br;q=0, gzip;q=0", None),
        ("BR", "br"),
        ("deflate", None),
        ("*", "br"),
        ("*;q=0.1, br;q=0", "gzip"),
        ("gzip;q=0.4, identity;q=0.9", None),
        ("identity", None),
        ("br;q=garbage, gzip", "gzip"),
    ],
)
def test_encoding_negotiation(site, serve, accept, expected):
    out, m = site
    _, client = serve(out)
    headers = {} if accept is None else {"Accept-Encoding": accept}
    r = client.request(url(m, "css/app.css"), headers=headers)
    identity = (out / m.path("css/app.css")).read_bytes()
    assert r.status == 200
    assert r.headers.get("Content-Encoding") == expected
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.headers["Content-Type"] == "text/css; charset=utf-8"
    decoded = {None: lambda b: b, "br": brotli.decompress, "gzip": gzip.decompress}[expected](r.body)
    assert decoded == identity
    if expected:
        variant = m.entry("css/app.css").encodings[expected].path
        assert r.body == (out / variant).read_bytes()


def test_each_representation_has_its_own_etag(site, serve):
    out, m = site
    _, client = serve(out)
    tags = {enc: client.get(url(m, "css/app.css"), Accept_Encoding=enc).headers["ETag"] for enc in ("", "br", "gzip")}
    assert len(set(tags.values())) == 3
    # a tag for one representation does not validate another
    assert client.get(url(m, "css/app.css"), Accept_Encoding="br", If_None_Match=tags["gzip"]).status == 200
    assert client.get(url(m, "css/app.css"), Accept_Encoding="br", If_None_Match=tags["br"]).status == 304


def test_incompressible_files_ignore_accept_encoding(site, serve):
    out, m = site
    _, client = serve(out)
    r = client.get(url(m, "img/logo.png"), Accept_Encoding="br, gzip")
    assert r.headers["Content-Type"] == "image/png" and r.headers.get("Content-Encoding") is None
    assert "Vary" not in r.headers
    assert r.body == SITE["img/logo.png"]


def test_conditional_requests(site, serve):
    out, m = site
    _, client = serve(out)
    target = url(m, "css/app.css")
    first = client.get(target)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    r = client.get(target, If_None_Match=etag)
    assert r.status == 304 and r.body == b""
    assert r.headers["ETag"] == etag and r.headers["Cache-Control"] == IMMUTABLE
    assert r.headers["Vary"] == "Accept-Encoding"
    assert client.get(target, If_None_Match=f'"nope", W/{etag}').status == 304  # weak comparison, lists
    assert client.get(target, If_None_Match="*").status == 304
    assert client.get(target, If_None_Match='"other"').status == 200
    assert client.request(target, method="HEAD", headers={"If-None-Match": etag}).status == 304

    assert client.get(target, If_Modified_Since=last_modified).status == 304
    later = email.utils.formatdate(os.stat(out / m.path("css/app.css")).st_mtime + 3600, usegmt=True)
    assert client.get(target, If_Modified_Since=later).status == 304
    earlier = email.utils.formatdate(os.stat(out / m.path("css/app.css")).st_mtime - 3600, usegmt=True)
    assert client.get(target, If_Modified_Since=earlier).status == 200
    assert client.get(target, If_Modified_Since="not a date").status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert client.get(target, If_None_Match='"other"', If_Modified_Since=last_modified).status == 200


def test_byte_ranges_of_identity_responses(site, serve):
    """Safari plays video only from a server that answers ranges (RFC 9110 §14)."""
    out, m = site
    _, client = serve(out)
    target = url(m, "img/logo.png")
    body = SITE["img/logo.png"]
    whole = client.get(target)
    assert whole.status == 200 and whole.headers["Accept-Ranges"] == "bytes"
    size = len(body)
    for asked, (first, last) in {"bytes=0-1": (0, 1), "bytes=10-": (10, size - 1), "bytes=-5": (size - 5, size - 1),
                                 "bytes=100-99999": (100, size - 1), "bytes=-99999": (0, size - 1)}.items():
        r = client.get(target, Range=asked)
        assert r.status == 206, asked
        assert r.headers["Content-Range"] == f"bytes {first}-{last}/{size}", asked
        assert r.headers["Content-Length"] == str(last - first + 1) and r.body == body[first:last + 1], asked
    r = client.get(target, Range=f"bytes={size}-")
    assert r.status == 416 and r.headers["Content-Range"] == f"bytes */{size}"
    for ignored in ("bytes=0-1, 4-5", "items=0-1", "bytes=abc", "bytes=5-2"):  # served whole, as RFC 9110 allows
        r = client.get(target, Range=ignored)
        assert r.status == 200 and r.body == body, ignored
    # If-Range: the range only while the representation is the one the client has
    assert client.get(target, Range="bytes=0-1", If_Range=whole.headers["ETag"]).status == 206
    # a date is never strong here: a file rewritten within the same second has the same one
    assert client.get(target, Range="bytes=0-1", If_Range=whole.headers["Last-Modified"]).status == 200
    assert client.get(target, Range="bytes=0-1", If_Range='"older"').status == 200
    assert client.get(target, Range="bytes=0-1", If_Range="W/" + whole.headers["ETag"]).status == 200  # strong only
    # a conditional request that matches is still a 304
    assert client.get(target, Range="bytes=0-1", If_None_Match=whole.headers["ETag"]).status == 304
    head = client.request(target, method="HEAD", headers={"Range": "bytes=0-1"})
    assert head.status == 200 and head.headers["Content-Length"] == str(size)


def test_a_suffix_range_of_an_empty_file_is_the_whole_empty_file(tmp_path, serve):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain/empty.txt").write_bytes(b"")
    _, client = serve(tmp_path / "plain")
    for asked, status in (("bytes=-5", 200), ("bytes=0-", 416), ("bytes=0-0", 416)):
        r = client.get("/empty.txt", Range=asked)
        assert r.status == status, asked
        assert r.headers.get("Content-Range") == (None if status == 200 else "bytes */0"), asked


def test_encoded_variants_are_sent_whole(site, serve):
    out, m = site
    _, client = serve(out)
    r = client.get(url(m, "css/app.css"), Accept_Encoding="br", Range="bytes=0-1")
    assert r.status == 200 and r.headers["Content-Encoding"] == "br" and "Accept-Ranges" not in r.headers
    assert brotli.decompress(r.body) == (out / m.path("css/app.css")).read_bytes()


def test_unchanged_rebuild_keeps_answering_304(site, serve, tmp_path):
    out, m = site
    _, client = serve(out)
    etag = client.get(url(m, "robots.txt")).headers["ETag"]
    assetpub.build([tmp_path / "src"], out=out)
    assert client.get(url(m, "robots.txt"), If_None_Match=etag).status == 304


def test_files_of_older_builds_are_still_served(site, serve, tmp_path):
    out, old = site
    _, client = serve(out)
    (tmp_path / "src/css/app.css").write_text(CSS + ".new { color: red; }\n")
    new = assetpub.build([tmp_path / "src"], out=out).manifest
    assert new.path("css/app.css") != old.path("css/app.css")

    r = client.get(url(old, "css/app.css"), Accept_Encoding="gzip")  # not in the current manifest
    assert r.status == 200
    assert r.headers["Content-Type"] == "text/css; charset=utf-8"
    assert r.headers["Cache-Control"] == IMMUTABLE  # its name carries a fingerprint
    assert r.headers["Content-Encoding"] == "gzip" and r.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(r.body) == (out / old.path("css/app.css")).read_bytes()

    (out / "img/logo.0123456789ab.png").write_bytes(b"old png")  # an older build's output without variants
    r = client.get("/assets/img/logo.0123456789ab.png", Accept_Encoding="gzip, br")
    assert r.headers["Cache-Control"] == IMMUTABLE and "Vary" not in r.headers and r.body == b"old png"

    (out / "notes.txt").write_text("left by hand")  # unlisted, no fingerprint: revalidate
    r = client.get("/assets/notes.txt")
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8" and r.headers["Cache-Control"] == REVALIDATE


def test_the_manifest_is_reread_when_a_build_replaces_it(site, serve, tmp_path):
    out, _ = site
    _, client = serve(out)
    write_tree(tmp_path / "src", {"data/new.json": '{"a": 1}'})
    m = assetpub.build([tmp_path / "src"], out=out).manifest
    r = client.get(url(m, "data/new.json"))
    assert r.status == 200 and r.headers["Content-Type"] == "application/json; charset=utf-8"


def test_variants_requested_by_name(site, serve):
    out, m = site
    _, client = serve(out)
    br_path = "/assets/" + m.entry("css/app.css").encodings["br"].path
    r = client.get(br_path, Accept_Encoding="br")
    assert r.headers["Content-Encoding"] == "br" and r.headers["Content-Type"] == "text/css; charset=utf-8"
    r = client.get(br_path)  # never an encoding the client did not accept: opaque bytes instead
    assert r.headers.get("Content-Encoding") is None and r.headers["Content-Type"] == "application/x-brotli"


def test_unknown_paths_and_private_files_are_404(site, serve):
    out, _ = site
    _, client = serve(out)
    (out / ".env").write_text("SECRET=1")
    for target in ("/assets/nope.css", "/assets/css/", "/assets/.env", "/assets/.assetpub/manifests/000001.json",
                   "/nope", "/", "/assets/css"):
        r = client.get(target)
        assert r.status == 404, target
        assert b"SECRET" not in r.body


def test_only_get_and_head(site, serve):
    out, m = site
    _, client = serve(out)
    for method in ("POST", "PUT", "DELETE"):
        assert client.request(url(m, "robots.txt"), method=method).status == 501
    assert (out / m.path("robots.txt")).read_bytes() == SITE["robots.txt"].encode()


def test_directory_index(site, serve):
    out, _ = site
    _, client = serve(out)
    r = client.get("/assets/")
    assert r.status == 200 and r.body == (out / "index.html").read_bytes()
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"


def test_path_traversal_never_leaves_the_root(site, serve, tmp_path):
    out, _ = site
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", out / "link.txt")
    os.symlink(tmp_path, out / "linkdir")
    _, client = serve(out)
    attempts = [
        "/assets/../secret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/secret.txt",
        "/assets/%2E%2E/%2e%2e/secret.txt",
        "/assets/.%2e/secret.txt",
        "/assets/..%2fsecret.txt",
        "/assets/%2e%2e%2fsecret.txt",
        "/assets/..%5csecret.txt",
        "/assets/css/..%2f..%2f..%2fsecret.txt",
        "/assets/%252e%252e/secret.txt",
        "//etc/passwd",
        "/assets//etc/passwd",
        "/assets/%2fetc/passwd",
        "/etc/passwd",
        "/assets/link.txt",
        "/assets/linkdir/secret.txt",
        "/assets/%00",
        "/assets/secret.txt%00.css",
        "/assets/%ff%fe",
        "http://127.0.0.1/assets/../secret.txt",
        "http://evil.example/../../secret.txt",
        "*",
        "secret.txt",
    ]
    for target in attempts:
        r = client.get(target)
        assert r.status in (400, 404), target
        assert b"TOP SECRET" not in r.body and b"root:" not in r.body, target


def test_symlinks_inside_the_root_are_served(site, serve):
    out, m = site
    os.symlink(out / m.path("robots.txt"), out / "alias.txt")
    _, client = serve(out)
    assert client.get("/assets/alias.txt").body == SITE["robots.txt"].encode()


def test_directory_origin_prefers_the_header_sidecar(site, serve, tmp_path):
    out, m = site
    origin = tmp_path / "origin"
    shutil.copytree(out, origin, ignore=shutil.ignore_patterns(".assetpub"))
    css = m.entry("css/app.css")
    objects = {
        css.path: {"content_type": "text/css; charset=utf-8", "cache_control": "public, max-age=60"},
        css.encodings["br"].path: {
            "content_type": "text/css; charset=utf-8", "cache_control": "public, max-age=60", "content_encoding": "br"},
        "robots.txt": {"content_type": "text/plain; charset=utf-8", "cache_control": "no-cache"},
    }
    (origin / "_assetpub").mkdir()
    (origin / "_assetpub/headers.json").write_text(json.dumps({"version": 1, "objects": objects}))
    (origin / "_assetpub/deploys.json").write_text("{}")
    _, client = serve(origin)

    r = client.get(url(m, "css/app.css"), Accept_Encoding="br, gzip")
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["Content-Encoding"] == "br"  # the sidecar lists the br key and the manifest the gzip one
    assert client.get(url(m, "robots.txt")).headers["Cache-Control"] == "no-cache"
    assert client.get(url(m, "img/logo.png")).headers["Cache-Control"] == IMMUTABLE  # only in the manifest
    for private in ("/assets/_assetpub/headers.json", "/assets/_assetpub/deploys.json", "/assets/_assetpub/"):
        assert client.get(private).status == 404


def test_explicit_prefix(site, serve):
    out, m = site
    _, client = serve(out, prefix="/")
    assert client.get("/" + m.path("robots.txt")).status == 200
    assert client.get(url(m, "robots.txt")).status == 404


def test_live_reload_injects_a_script_and_streams_reload_events(site, serve):
    out, _ = site
    server, client = serve(out, live_reload=True)
    page = client.get("/assets/index.html", Accept_Encoding="br, gzip")
    assert page.headers.get("Content-Encoding") is None  # injected, so identity
    assert b'<script src="/__assetpub/livereload.js"></script></body>' in page.body
    assert int(page.headers["Content-Length"]) == len(page.body)
    script = client.get("/__assetpub/livereload.js")
    assert script.status == 200 and b"EventSource" in script.body

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    conn.request("GET", "/__assetpub/livereload")
    resp = conn.getresponse()
    assert resp.headers["Content-Type"] == "text/event-stream"
    assert resp.fp.readline() == b": connected\n"
    resp.fp.readline()
    server.reload()
    assert resp.fp.readline() == b"event: reload\n"
    conn.close()


def test_live_reload_is_off_by_default(site, serve):
    out, _ = site
    _, client = serve(out)
    assert b"livereload" not in client.get("/assets/index.html").body
    assert client.get("/__assetpub/livereload.js").status == 404


def test_serve_errors_are_one_line(tmp_path):
    from assetpub.devserver import ServeError, make_server

    with pytest.raises(ServeError, match="not a directory"):
        make_server(tmp_path / "missing", port=0)
    taken = make_server(tmp_path, port=0)
    try:
        with pytest.raises(ServeError, match=f"cannot listen on 127.0.0.1:{taken.port}"):
            make_server(tmp_path, port=taken.port)
    finally:
        taken.stop()


def test_well_known_is_served_like_the_build_publishes_it(tmp_path, serve):
    src = write_tree(tmp_path / "src", {".well-known/security.txt": "Contact: mailto:x@example.com\n"})
    result = assetpub.build([src], out=tmp_path / "out")
    if ".well-known/security.txt" not in result.manifest:
        pytest.skip("this build does not publish .well-known/")
    _, client = serve(result.out)
    r = client.get(url(result.manifest, ".well-known/security.txt"))
    assert r.status == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_serve_live_reload_follows_manifest_replacements(site, serve, tmp_path):
    """`serve --live-reload` without watch: a build replacing the manifest tells clients to reload."""
    from assetpub.devserver.follow import follow_manifest

    out, _ = site
    server, _ = serve(out, live_reload=True)
    observer = follow_manifest(server)
    try:
        seen = server.reload_hub.generation
        (tmp_path / "src/robots.txt").write_text("changed\n")
        assetpub.build([tmp_path / "src"], out=out)
        generation, (event, _) = server.reload_hub.wait(seen, TIMEOUT)
        assert generation == seen + 1 and event == "reload"

        (tmp_path / "src/css/app.css").write_text(".changed { color: red; }\n")
        assetpub.build([tmp_path / "src"], out=out)
        generation, (event, data) = server.reload_hub.wait(generation, TIMEOUT)
        assert event == "restyle" and "/assets/css/app." in data
    finally:
        observer.stop()
        observer.join()


def test_the_audit_of_the_dev_server_passes(site, serve):
    """Cross-check with `assetpub audit` (another part of the project), which checks what
    an origin serves against the manifest as a CDN would see it."""
    runner = pytest.importorskip("assetpub.audit.runner")
    out, m = site
    server, _ = serve(out)
    report = runner.audit(server.url, m)
    assert report.ok, [(a.target.entry.path, [c for c in a.checks if c.result != "ok"]) for a in report.assets]
    assert len(report.assets) == len(m)


def test_a_directory_origin_written_by_publish(site, serve, tmp_path):
    """The real `assetpub publish` to a directory, then serve the origin: every object
    gets the headers its sidecar records, and the records under _assetpub/ stay private."""
    from click.testing import CliRunner

    from assetpub.cli import main

    if "publish" not in main.commands:
        pytest.skip("no publish command in this tree")
    out, m = site
    origin = tmp_path / "origin"
    result = CliRunner().invoke(main, ["publish", str(out), "--to", str(origin), "-y"])
    assert result.exit_code == 0, result.output
    sidecar = json.loads((origin / "_assetpub/headers.json").read_text())["objects"]
    _, client = serve(origin)
    for key, headers in sidecar.items():
        if headers.get("content_encoding"):
            continue
        r = client.get("/assets/" + url_path(key), Accept_Encoding="br, gzip")
        assert r.status == 200, key
        assert r.headers["Content-Type"] == headers["content_type"], key
        assert r.headers["Cache-Control"] == headers["cache_control"], key
        variant = r.headers.get("Content-Encoding")
        ext = {"br": ".br", "gzip": ".gz", None: ""}[variant]
        assert r.body == (origin / (key + ext)).read_bytes(), key
        assert variant == ("br" if key + ".br" in sidecar else "gzip" if key + ".gz" in sidecar else None), key
    for private in ("/assets/_assetpub/headers.json", "/assets/_assetpub/current.json"):
        assert client.get(private).status == 404
    runner = pytest.importorskip("assetpub.audit.runner")
    assert runner.audit(client_url(client), m).ok


def client_url(client) -> str:
    return f"http://127.0.0.1:{client.port}/assets/"


class _Records(logging.Handler):
    """Log records of one logger, waited on with a timeout."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.cond:
            self.records.append(record)
            self.cond.notify_all()

    def wait(self, count: int) -> list[logging.LogRecord]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.records) >= count, TIMEOUT), self.records
            return list(self.records)


def test_a_client_that_resets_the_connection_is_no_traceback(site, serve, capfd):
    """Browsers cancel requests (navigation, reload); the console must not fill with tracebacks."""
    out, _ = site
    server, client = serve(out)
    logger = logging.getLogger("assetpub.devserver.server")
    records, level = _Records(), logger.level
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends RST
        sock.sendall(b"GET /assets/index.html HTTP/1.1\r\nHost: x\r\n")  # headers not finished: it must read on
        sock.close()
        seen = records.wait(1)
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)
    assert all(r.levelno == logging.DEBUG and "went away" in r.getMessage() for r in seen), seen
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
    assert client.get("/assets/index.html").status == 200  # and it keeps serving
