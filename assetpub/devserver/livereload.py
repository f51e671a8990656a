"""Live reload: a Server-Sent Events stream that says "reload" after each rebuild,
and the few lines of JavaScript that listen to it. Off unless asked for."""

from __future__ import annotations

import threading

EVENTS_PATH = "/__assetpub/livereload"
SCRIPT_PATH = "/__assetpub/livereload.js"
KEEPALIVE = 15.0  # seconds between comment lines, so proxies and browsers keep the stream open

SCRIPT = b"""// assetpub dev server: reload the page when a rebuild finishes
(() => {
  const here = document.currentScript ? document.currentScript.src : location.href;
  const events = new EventSource(new URL("%s", here));
  events.addEventListener("reload", () => location.reload());
})();
""" % EVENTS_PATH.encode()

TAG = b'<script src="%s"></script>' % SCRIPT_PATH.encode()


def inject(html: bytes) -> bytes:
    """Add the script tag before the last </body> (or at the end when there is none)."""
    at = html.lower().rfind(b"</body>")
    return html + TAG if at < 0 else html[:at] + TAG + html[at:]


class ReloadHub:
    """A generation counter that event streams wait on; `notify()` bumps it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        self._closed = False

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int | None:
        """The generation after `seen` (or `seen` again on timeout); None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._generation != seen, timeout)
            return None if self._closed else self._generation
