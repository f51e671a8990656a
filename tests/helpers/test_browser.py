"""End to end in Debian's headless Chromium: a static page rendered by the build loads
its CSS and JS modules from a second origin (a stand-in CDN) through the import map,
with SRI enforced. Proves the tags, the import map and the integrity values are right
for a real browser, not just well-formed."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from functools import partial
from pathlib import Path

import pytest

import assetpub
from assetpub.config import load_config
from assetpub.media_types import content_type
from tests.conftest import missing

pytestmark = pytest.mark.e2e
HOST = "127.0.0.1"

PAGE = """<!doctype html>
<html><head>
{{ asset_importmap() }}
{{ asset_preload("js/util.js") }}
{{ asset_tag("css/app.css") }}
{{ asset_tag("js/main.js") }}
</head><body><p id="out">not run</p></body></html>
"""
MAIN = """import { util } from "./util.js";
import { dom } from "lib/dom.js";
import { version } from "vendor";
document.getElementById("out").textContent = `ran ${util()} ${dom()} ${version}`;
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory with assetpub's Content-Types and, as a CDN does, CORS for everyone."""

    def guess_type(self, path):
        return content_type(str(path))

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    servers = []

    def start(directory: Path) -> str:
        server = http.server.ThreadingHTTPServer((HOST, 0), partial(_Handler, directory=str(directory)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://{HOST}:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        missing("chromium not found (.ci/run installs it)")
    return found


def _dom(url: str, profile: Path) -> str:
    result = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", url],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def cdn_site(site, serve, tmp_path):
    """Pages on one origin, assets under /assets/ on another (the CDN)."""
    site.write("js/main.js", MAIN)
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.html").write_text(PAGE, encoding="utf-8")
    cdn_root = tmp_path / "cdn"
    cdn = serve(cdn_root)
    out = cdn_root / "assets"
    config = load_config(
        None, discover=False, sources=(site.src,), out=out, pages=pages, strict=True,
        base_url=f"{cdn}/assets/", importmap={"vendor": "vendor/version.js"},
    )
    assetpub.build(config=config)
    origin = tmp_path / "origin"
    origin.mkdir()
    shutil.copy(out / "index.html", origin / "index.html")
    return out, serve(origin) + "/index.html"


def test_page_runs_modules_through_the_import_map_with_sri(cdn_site, tmp_path):
    _, url = cdn_site
    assert ">ran 1 dom 1.0<" in _dom(url, tmp_path / "profile")


@pytest.mark.parametrize("name", ["js/main.js", "lib/dom.js"])
def test_tampered_module_is_blocked_by_integrity(cdn_site, tmp_path, name):
    out, url = cdn_site
    published = out / assetpub.Manifest.load(out).path(name)
    published.write_bytes(published.read_bytes() + b"\n// tampered\n")
    # lib/dom.js is only reached by a bare import: its check comes from the import map's integrity table
    assert ">not run<" in _dom(url, tmp_path / "profile")
