"""Fixtures for watch and serve: a real watchdog observer on a temporary tree, and the
dev server on a free port in a thread, exercised with http.client."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from assetpub.config import load_config
from assetpub.devserver import make_server
from assetpub.watch import Rebuild, Watcher
from tests.conftest import write_tree

TIMEOUT = 20.0  # seconds: generous for a loaded 2-core machine; never slept, only waited on


class Rebuilds:
    """Collects every Rebuild from the watcher's callback; tests wait on it with a timeout."""

    def __init__(self) -> None:
        self.items: list[Rebuild] = []
        self._cond = threading.Condition()

    def __call__(self, rebuild: Rebuild) -> None:
        with self._cond:
            self.items.append(rebuild)
            self._cond.notify_all()

    def wait(self, predicate: Callable[[Rebuild], bool] = lambda r: True, *, after: int = 0,
             timeout: float = TIMEOUT) -> Rebuild:
        """The first rebuild numbered > `after` that satisfies `predicate`."""
        def found():
            return next((r for r in self.items if r.number > after and predicate(r)), None)

        with self._cond:
            if not self._cond.wait_for(found, timeout):
                seen = [(r.number, r.status, [str(c) for c in r.changes]) for r in self.items]
                raise AssertionError(f"no matching rebuild after #{after} within {timeout}s; saw {seen}")
            return found()

    @property
    def last(self) -> Rebuild:
        with self._cond:
            return self.items[-1]


@dataclass
class Session:
    src: Path
    out: Path
    watcher: Watcher
    rebuilds: Rebuilds

    def marker(self) -> Rebuild:
        """Change a marker file and wait for the rebuild that carries it. inotify delivers
        events in order, so every earlier event has been handled (in this rebuild or before)."""
        path = self.src / "marker.txt"
        after = self.rebuilds.last.number
        path.write_text(f"marker {after}\n")
        return self.rebuilds.wait(lambda r: any(c.name == "marker.txt" for c in r.changes), after=after)


@pytest.fixture
def watch_session(tmp_path):
    """watch_session(files, out=None, debounce=0.05, **config) -> a started Session."""
    started: list[Watcher] = []

    def start(files: dict, *, out: Path | None = None, debounce: float = 0.05, **options) -> Session:
        src = write_tree(tmp_path / "src", {"marker.txt": "marker\n", **files})
        out = out or tmp_path / "out"
        config = load_config(None, discover=False, sources=(src,), out=out, **options)
        rebuilds = Rebuilds()
        watcher = Watcher(config, debounce=debounce, on_rebuild=rebuilds)
        started.append(watcher)
        watcher.start()
        return Session(src, out, watcher, rebuilds)

    yield start
    for watcher in started:
        watcher.stop()


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Client:
    """A tiny http.client wrapper: raw request targets go out exactly as written."""

    def __init__(self, port: int):
        self.port = port

    def request(self, target: str, *, method: str = "GET", headers: dict | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            return Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def get(self, target: str, **headers: str) -> Response:
        return self.request(target, headers={k.replace("_", "-"): v for k, v in headers.items()})


@pytest.fixture
def serve():
    """serve(root, **options) -> (server, Client); the server runs in a thread on a free port."""
    servers = []

    def start(root: Path, **options):
        server = make_server(root, port=0, **options).start()
        servers.append(server)
        return server, Client(server.port)

    yield start
    for server in servers:
        server.stop()


def pytest_collection_modifyitems(items):
    # watchdog's inotify emitter warns when a new directory's watch is added twice (a race
    # inside watchdog between its walk of a created directory and the kernel's event)
    for item in items:
        if "tests/watch/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning"))
