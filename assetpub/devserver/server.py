"""A development server for a build output or a directory origin, with the headers
production will send (see docs/watch.md). Not for production: it is the stdlib's
ThreadingHTTPServer with a small handler, bound to 127.0.0.1 unless told otherwise.

    >>> server = make_server("build", port=0)
    >>> server.start()            # in a thread; or server.serve_forever()
    >>> server.url                # 'http://127.0.0.1:43117/assets/'
    >>> server.stop()
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ServeError
from ..manifest import Manifest
from ..origin import url_prefix
from . import livereload
from .handler import Handler
from .headers import HeaderTable
from .livereload import ReloadHub

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class DevServer(ThreadingHTTPServer):
    """Serves `root` under `prefix` (default: the path of the manifest's base_url, else '/')."""

    daemon_threads = True  # open live-reload streams must not keep the process alive
    allow_reuse_address = True

    def __init__(self, root: Path, *, host: str, port: int, prefix: str | None, live_reload: bool):
        self.root = Path(root)
        self.root_real = os.path.realpath(root)
        self.headers_table = HeaderTable(self.root)
        self.fixed_prefix = url_prefix(prefix, what="--prefix") if prefix is not None else None
        self.live_reload = live_reload
        self.reload_hub = ReloadHub()
        self._thread: threading.Thread | None = None
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)

    def handle_error(self, request, client_address) -> None:
        """Browsers cancel requests (a navigation, a reload) by resetting the connection: a
        debug line, not the stdlib's traceback on stderr. Anything else is logged with its
        traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):  # reset, aborted, broken pipe
            log.debug("client %s went away (%s)", client_address[0], error.__class__.__name__)
            return
        log.error("error while serving a request from %s", client_address[0], exc_info=error)

    @property
    def prefix(self) -> str:
        """Re-read per request: a manifest can appear (or change its base URL) while serving."""
        return self.fixed_prefix or self.headers_table.base_path or "/"

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        host = self.server_address[0]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}{self.prefix}"

    def start(self) -> DevServer:
        """Serve in a background thread."""
        # a short poll keeps stop() quick; the loop is idle otherwise (select with a timeout)
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="assetpub-serve", daemon=True)
        self._thread.start()
        return self

    def reload(self, *, previous: Manifest | None = None, current: Manifest | None = None) -> None:
        """Tell live-reload clients that a rebuild finished. Given the manifests before and
        after it, a change to stylesheets alone restyles pages instead of reloading them."""
        event = livereload.message(previous, current, self.prefix)
        if event is not None:  # a save that changed no output changes no page
            self.reload_hub.notify(event)

    def stop(self) -> None:
        """Stop serving, end live-reload streams, close the socket."""
        self.reload_hub.close()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(
    root: str | os.PathLike,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    prefix: str | None = None,
    live_reload: bool = False,
) -> DevServer:
    """A DevServer for `root` (a build output or a directory origin), bound but not yet serving.
    `port=0` picks a free port. Raises ServeError with a one-line reason."""
    root = Path(root)
    if not root.is_dir():
        raise ServeError(f"{root}: not a directory")
    try:
        return DevServer(root, host=host, port=port, prefix=prefix, live_reload=live_reload)
    except OSError as e:
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
