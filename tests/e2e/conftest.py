"""End to end: the sample site deployed with the real CLI to a directory origin, served by
real nginx with the config `assetpub nginx-config` prints, loaded in Debian's headless
Chromium through Playwright (the system browser; Playwright never downloads one)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import assetpub
from assetpub.manifest import url_path
from tests.conftest import missing
from tests.edge.servers import Nginx, free_port, get, nginx_binary, start_nginx

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_site"
PAGES = ("index.html", "visit.html", "about.html")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = "html[data-js=ready]"  # main.js sets it after everything it renders, dynamic imports included
TIMEOUT_MS = 20_000
_LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        missing("chromium not found (.ci/run installs Debian's chromium)")
    return found


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The installed `assetpub` command, as a user runs it."""
    script = Path(sys.executable).with_name("assetpub")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from assetpub.cli import main; main()"]
    result = subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"assetpub {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass
class Site:
    """A copy of sample_site/, deployed to its directory origin and served by nginx."""

    root: Path
    nginx: Nginx | None = None

    @property
    def origin(self) -> Path:
        return self.root / "_origin"

    @property
    def base(self) -> str:
        assert self.nginx is not None
        return self.nginx.base

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def manifest(self) -> assetpub.Manifest:
        return assetpub.Manifest.load(self.origin / "assetpub-manifest.json")

    def deploy(self) -> str:
        """`assetpub deploy` with the sample's own config: build, publish to ./_origin."""
        return run_cli("deploy", cwd=self.root).stdout

    def access_log(self) -> Path:
        assert self.nginx is not None
        return self.nginx.rundir / "access.log"

    def requests_since(self, offset: int) -> list[tuple[str, str, int]]:
        """(method, decoded path, status) of each request nginx logged after byte `offset`."""
        with open(self.access_log(), "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        return [(m["method"], unquote(m["path"].split("?")[0]), int(m["status"])) for m in _LOG_LINE.finditer(text)]

    def fingerprinted_paths(self) -> set[str]:
        """URL paths of every fingerprinted file of the current manifest."""
        return {"/" + url_path(e["path"]) for e in self.manifest().assets.values() if e.get("fingerprinted")}

    def get(self, path: str, headers: dict[str, str] | None = None):
        return get(self.base, path, headers)


def make_site(dest: Path) -> Site:
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("_build", "_origin", "__pycache__"))
    site = Site(dest)
    site.deploy()
    return site


def serve(site: Site, rundir: Path) -> Site:
    nginx_binary()
    port = free_port()
    conf = run_cli(
        "nginx-config", str(site.origin), "--listen", f"127.0.0.1:{port}", "--prefix", "/",
        "--standalone", str(rundir), cwd=site.root,
    ).stdout
    site.nginx = start_nginx(conf, rundir, port)
    return site


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The sample site deployed and served, shared by the tests that only read it."""
    nginx_binary()
    chromium()
    tmp = tmp_path_factory.mktemp("e2e")
    site = serve(make_site(tmp / "site"), tmp / "nginx")
    yield site
    site.nginx.stop()


@pytest.fixture
def own_site(tmp_path):
    """A deployed and served copy of the sample site that the test may change."""
    nginx_binary()
    chromium()
    site = serve(make_site(tmp_path / "site"), tmp_path / "nginx")
    yield site
    site.nginx.stop()


@pytest.fixture(scope="session")
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extras)")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright, tmp_path):
    """A fresh Chromium profile (its own HTTP cache) for this test."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium(),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@dataclass
class Visit:
    """One page and everything it did: responses, failed requests, console errors."""

    page: object
    responses: list = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self) -> Visit:
        self.page.on("response", lambda r: self.responses.append(r))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        return self

    def reset(self) -> None:
        self.responses.clear()
        self.failed.clear()
        self.errors.clear()

    def by_path(self) -> dict[str, object]:
        return {urlsplit(r.url).path: r for r in self.responses}


def visit(browser, url: str, *, ready: bool = True) -> Visit:
    """Open `url` in a new tab; wait until main.js reports it rendered everything (`ready`)
    and the network is quiet (images referenced from CSS load after that)."""
    seen = Visit(browser.new_page()).attach()
    seen.page.goto(url, wait_until="load")
    if ready:
        seen.page.wait_for_selector(READY, state="attached")
    seen.page.wait_for_load_state("networkidle")
    return seen


def importmap_integrity(page) -> dict[str, str]:
    """The import map's `integrity` table, keyed by absolute URL."""
    text = page.evaluate("document.querySelector('script[type=importmap]').textContent")
    base = page.url
    from urllib.parse import urljoin

    return {urljoin(base, url): value for url, value in json.loads(text).get("integrity", {}).items()}
