"""Live reload in Debian's headless Chromium: a page served by the dev server reloads
itself after a watch-mode rebuild (the injected script, the SSE stream, the rebuild hook)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading

import pytest

import assetpub
from assetpub.config import load_config
from assetpub.devserver import make_server
from assetpub.watch import Watcher
from tests import processes
from tests.conftest import missing, write_tree
from tests.watch.conftest import TIMEOUT

pytestmark = pytest.mark.e2e


class RequestLog(logging.Handler):
    """The dev server logs one line per request; tests wait for the line they expect."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.cond:
            self.lines.append(record.getMessage())
            self.cond.notify_all()

    def wait(self, fragment: str, count: int = 1) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: sum(fragment in line for line in self.lines) >= count, TIMEOUT):
                raise AssertionError(f"no {count}x {fragment!r} within {TIMEOUT}s; saw {self.lines}")


@pytest.fixture
def request_log():
    log = logging.getLogger("assetpub.devserver.handler")
    handler, level = RequestLog(), log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield handler
    log.removeHandler(handler)
    log.setLevel(level)


def test_page_reloads_after_a_rebuild(tmp_path, request_log):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        missing("chromium not found (.ci/run installs it)")
    src = write_tree(tmp_path / "src", {"index.html": "<!doctype html><html><body><p>one</p></body></html>\n"})
    config = load_config(None, discover=False, sources=(src,), out=tmp_path / "out")
    watcher = Watcher(config, on_rebuild=lambda r: server.reload() if r.ok and r.number else None)
    watcher.start()
    server = make_server(config.out, port=0, live_reload=True).start()
    browser = None
    try:
        browser = processes.spawn(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", server.url + "index.html"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        request_log.wait('"GET /assets/index.html HTTP/1.1" 200')
        request_log.wait('"GET /__assetpub/livereload HTTP/1.1" 200')  # the page is listening

        (src / "index.html").write_text("<!doctype html><html><body><p>two</p></body></html>\n")
        # the browser asks again; the page changed, so its validator no longer matches: 200, not 304
        request_log.wait('"GET /assets/index.html HTTP/1.1" 200', count=2)
    finally:
        if browser is not None:
            processes.stop(browser)
        watcher.stop()
        server.stop()


def test_a_stylesheet_edit_restyles_without_reloading(tmp_path, request_log):
    """A page the build does not own (the app's, here a file beside the output) keeps its
    state: only the stylesheet link is swapped to the new fingerprinted URL."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        missing("chromium not found (.ci/run installs it)")
    src = write_tree(tmp_path / "src", {"css/base.css": ".a { color: red; }\n", "css/app.css": '@import "base.css";\n'})
    config = load_config(None, discover=False, sources=(src,), out=tmp_path / "out")
    manifests = {}
    watcher = Watcher(config, on_rebuild=lambda r: _restyle(r, manifests))
    watcher.start()
    server = make_server(config.out, port=0, live_reload=True).start()
    manifests["server"] = server
    first = assetpub.Manifest.load(config.out)
    (config.out / "page.html").write_text(
        f'<!doctype html><html><head><link rel="stylesheet" href="{first.url("css/app.css")}" '
        f'integrity="{first.integrity("css/app.css")}"></head><body><p class="a">x</p></body></html>\n'
    )
    browser = None
    try:
        browser = processes.spawn(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", server.url + "page.html"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        request_log.wait(f'"GET {first.url("css/app.css")} HTTP/1.1" 200')
        request_log.wait('"GET /__assetpub/livereload HTTP/1.1" 200')

        (src / "css/base.css").write_text(".a { color: blue; }\n")
        new = watcher.wait_for(1, timeout=TIMEOUT).result.manifest
        request_log.wait(f'"GET {new.url("css/app.css")} HTTP/1.1" 200')  # the swapped link
        request_log.wait(f'"GET {new.url("css/base.css")} HTTP/1.1" 200')  # and what it imports
        assert sum('"GET /assets/page.html ' in line for line in request_log.lines) == 1  # no reload
    finally:
        if browser is not None:
            processes.stop(browser)
        watcher.stop()
        server.stop()


def _restyle(rebuild, state):
    """What `assetpub watch --serve` does after each build: restyle or reload with both manifests."""
    if rebuild.ok:
        if rebuild.number and "server" in state:
            state["server"].reload(previous=state["manifest"], current=rebuild.result.manifest)
        state["manifest"] = rebuild.result.manifest
