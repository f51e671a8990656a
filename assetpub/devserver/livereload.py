"""Live reload: a Server-Sent Events stream that tells open pages about each rebuild,
and the few lines of JavaScript that listen to it. Off unless asked for.

When a rebuild changed only stylesheets, the event is `restyle` with the old and new
URL paths (and SRI values): the page swaps its `<link rel="stylesheet">` hrefs and keeps
its state (scroll position, form input). Anything else, or a restyle that matches none
of the page's stylesheets, reloads the page."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from ..manifest import Manifest, url_path

EVENTS_PATH = "/__assetpub/livereload"
SCRIPT_PATH = "/__assetpub/livereload.js"
KEEPALIVE = 15.0  # seconds between comment lines, so proxies and browsers keep the stream open
RELOAD = ("reload", "{}")

SCRIPT = b"""// assetpub dev server: restyle or reload the page when a rebuild finishes
(() => {
  const here = document.currentScript ? document.currentScript.src : location.href;
  const events = new EventSource(new URL("%s", here));
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("restyle", (event) => {
    const moved = JSON.parse(event.data);  // old URL path -> [new URL path, integrity]
    let swapped = 0;
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      const next = moved[url.pathname];
      if (!next) continue;
      url.pathname = next[0];
      if (link.integrity) link.integrity = next[1];
      link.href = url.href;
      swapped++;
    }
    if (!swapped) location.reload();
  });
})();
""" % EVENTS_PATH.encode()

TAG = b'<script src="%s"></script>' % SCRIPT_PATH.encode()


def inject(html: bytes) -> bytes:
    """Add the script tag before the last </body> (or at the end when there is none)."""
    at = html.lower().rfind(b"</body>")
    return html + TAG if at < 0 else html[:at] + TAG + html[at:]


def message(previous: Manifest | None, current: Manifest | None, prefix: str) -> tuple[str, str] | None:
    """('restyle', JSON) when the rebuild changed stylesheets and nothing else, None when it
    changed nothing, else ('reload', '{}')."""
    if previous is None or current is None:
        return RELOAD
    old, new = previous.assets, current.assets
    changed = [n for n in set(old) | set(new) if _identity(old.get(n)) != _identity(new.get(n))]
    if not changed:
        return None
    if any(n not in old or n not in new or not _is_css(new[n]) for n in changed):
        return RELOAD
    moved = {
        prefix + url_path(old[n]["path"]): [prefix + url_path(new[n]["path"]), new[n].get("integrity", "")]
        for n in sorted(changed)
    }
    return "restyle", json.dumps(moved, sort_keys=True)


def _identity(entry: Mapping[str, Any] | None) -> tuple | None:
    return None if entry is None else (entry.get("path"), entry.get("integrity"))


def _is_css(entry: Mapping[str, Any]) -> bool:
    return str(entry.get("content_type", "")).startswith("text/css")


class ReloadHub:
    """The latest event and a generation counter that event streams wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        self._event = RELOAD
        self._closed = False

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self, event: tuple[str, str] = RELOAD) -> None:
        with self._cond:
            self._generation += 1
            self._event = event
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, tuple[str, str]] | None:
        """(generation, event) once the generation moves past `seen` (still `seen` after
        `timeout`: time for a keep-alive); None once closed. A client that missed an event
        gets a reload: a restyle is only safe from the state just before it."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._generation != seen, timeout)
            if self._closed:
                return None
            event = self._event if self._generation == seen + 1 else RELOAD
            return self._generation, event
