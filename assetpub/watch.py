"""Watch mode: one build, then a rebuild after every burst of changes in the source roots.

    >>> watcher = Watcher(config, on_rebuild=print)
    >>> watcher.start()             # the first build, then watching
    >>> watcher.wait_for(1, timeout=10)
    >>> watcher.stop()

Every rebuild is `assetpub.build(config=...)`: the builder decides what work an edit
needs (it skips unchanged files) and swaps the manifest last, atomically; a build that
fails writes nothing, so the last good build stays in place and keeps being served.
The watcher only decides *when* to build: watchdog events that concern a source file
(not the output directory, not what the build ignores) are collected until the tree has
been quiet for `debounce` seconds (or `max_delay` has passed since the first one), then
one build runs. Changes made while a build runs are collected for the next one.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import (
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

try:  # watchdog >= 5 reports chmod/touch as its own event; 4 reports it as modified
    from watchdog.events import EVENT_TYPE_ATTRIB, FileAttribEvent
except ImportError:  # pragma: no cover - watchdog 4
    EVENT_TYPE_ATTRIB, FileAttribEvent = None, None

from .builder import BuildMemo, BuildResult, build
from .config import Config
from .errors import AssetpubError, ConfigError, WatchError
from .globs import matches
from .load_path import is_ignored_basename, require_source_dirs
from .origin import PUBLIC_DOT_DIRS
from .workers import Pool

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

log = logging.getLogger(__name__)

DEBOUNCE = 0.05  # seconds of quiet before a rebuild: an editor's save is a few events within ~1 ms
MAX_DELAY = 2.0  # a never-ending stream of changes still gets a build this often
# The event types worth a rebuild; opens and closes would fire on the build's own reads.
# Attribute changes count: making an unreadable file readable again is a chmod.
EVENT_FILTER = [
    FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
    *([FileAttribEvent] if FileAttribEvent is not None else []),
]


@dataclass(frozen=True)
class Change:
    """One file-system change: kind is 'created', 'modified', 'deleted' or 'moved'."""

    kind: str
    name: str  # relative to its source root, POSIX
    dest: str | None = None  # for 'moved'

    def __str__(self) -> str:
        if self.kind == "moved":
            return f"{self.name} -> {self.dest}"
        return {"created": "+", "deleted": "-"}.get(self.kind, "") + self.name


@dataclass(frozen=True)
class Rebuild:
    """The outcome of one build: number 0 is the first build, then 1, 2, ...

    `status` is 'ok', 'failed' (a new error: report it), 'failed-again' (the error
    already reported: say nothing) or 'superseded' (failed while more changes were
    arriving, e.g. in the middle of a save: a rebuild follows at once, say nothing)."""

    number: int
    changes: tuple[Change, ...]
    status: str
    seconds: float
    result: BuildResult | None = None
    error: str | None = None
    recovered: bool = False  # ok after a failure

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def processed(self) -> int:
        """How many assets this build actually processed (the rest came from the build cache)."""
        if self.result is None:
            return 0
        return len(self.result.processed)

    def line(self) -> str | None:
        """The one line to print for this rebuild, or None when there is nothing new to say."""
        if self.status == "failed":
            return f"error: {self.error} (the last good build stays in place)"
        if self.status != "ok":
            return None
        r = self.result
        rebuilt = f"rebuilt {self.processed} of {r.files} file{'s' if r.files != 1 else ''}"
        what = "built" if self.number == 0 else describe(self.changes)
        fixed = " (fixed)" if self.recovered else ""
        return f"{what}{fixed}: {rebuilt} in {self.seconds:.2f}s"


def describe(changes: tuple[Change, ...], *, limit: int = 3) -> str:
    """'css/a.css, +img/b.png and 98 more'"""
    shown = ", ".join(str(c) for c in changes[:limit]) or "no file"
    return shown + (f" and {len(changes) - limit} more" if len(changes) > limit else "")


class Watcher:
    """Builds `config` once, then rebuilds on changes until `stop()`.

    `on_rebuild(rebuild)` is called after every build (build #0 from the thread that
    calls `start()`, the others from the watcher's thread); `wait_for(number,
    timeout=...)` blocks until that build has finished."""

    def __init__(
        self,
        config: Config,
        *,
        debounce: float = DEBOUNCE,
        max_delay: float = MAX_DELAY,
        on_rebuild: Callable[[Rebuild], None] | None = None,
    ):
        if config.out is None:
            raise ConfigError("no output directory given (pass --out DIR or set 'out' in the config)")
        self.config = config
        self.debounce = debounce
        self.max_delay = max_delay
        self.on_rebuild = on_rebuild
        self._filter = _Filter(config)
        self._cond = threading.Condition()
        self._pending: dict[tuple[str, str | None], Change] = {}
        self._first_event = self._last_event = 0.0
        self._stopping = False
        self._last: Rebuild | None = None
        self._last_error: str | None = None
        self._observer: Observer | None = None
        self._thread: threading.Thread | None = None
        self._pool: Pool | None = None  # worker processes kept across rebuilds
        self._memo = BuildMemo()  # what one build leaves for the next (builder.BuildMemo)

    # -- the public surface --------------------------------------------------------
    def start(self) -> Rebuild:
        """Start watching, run the first build (a failing file does not stop watching), return it."""
        require_source_dirs(self.config.sources)
        self._pool = Pool(self.config.jobs)
        self._observer = self._observe()  # before the build: edits made during it are not lost
        try:
            first = self._build((), number=0)
        except BaseException:  # a ConfigError, or Ctrl-C during the first build
            self._stop_observer()
            self._pool.close()
            self._pool = None
            raise
        self._thread = threading.Thread(target=self._loop, name="assetpub-watch", daemon=True)
        self._thread.start()
        return first

    def stop(self) -> None:
        """Stop watching; a build in progress finishes first (no half-written output)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        try:
            self._memo.flush()  # the build cache save that watch defers
        except OSError as e:
            log.debug("cannot save the build cache: %s", e)
        self._stop_observer()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @property
    def last(self) -> Rebuild | None:
        return self._last

    def wait_for(self, number: int, *, timeout: float) -> Rebuild:
        """Block until build `number` (or a later one) has finished; TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._last is not None and self._last.number >= number, timeout):
                raise TimeoutError(f"no build #{number} within {timeout}s")
            return self._last

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- events ----------------------------------------------------------------------
    def _observe(self) -> Observer:
        observer = Observer()
        handler = _Handler(self)
        try:
            for root in self._filter.watched():
                observer.schedule(handler, root, recursive=True, event_filter=EVENT_FILTER)
            observer.start()
        except OSError as e:
            observer.stop()
            hint = " (raise fs.inotify.max_user_watches)" if e.errno == 28 else ""
            raise WatchError(f"cannot watch the source directories: {e.strerror or e}{hint}") from None
        return observer

    def _stop_observer(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None

    def _record(self, change: Change) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first_event = now
            self._last_event = now
            key = (change.name, change.dest)
            seen = self._pending.get(key)
            if seen is None:
                self._pending[key] = change
            elif {seen.kind, change.kind} == {"created", "deleted"}:  # replaced: it changed
                self._pending[key] = Change("modified", change.name)
            self._cond.notify_all()

    # -- the loop --------------------------------------------------------------------
    def _loop(self) -> None:
        number = 0
        while True:
            changes = self._next_batch()
            if changes is None:
                return
            number += 1
            self._build(changes, number=number)

    def _next_batch(self) -> tuple[Change, ...] | None:
        """Wait for changes, then for quiet; None when stopping."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending or self._stopping)
            while not self._stopping:
                now = time.monotonic()
                left = min(self._last_event + self.debounce, self._first_event + self.max_delay) - now
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._stopping:
                return None
            changes, self._pending = tuple(self._pending.values()), {}
            return changes

    def _build(self, changes: tuple[Change, ...], *, number: int) -> Rebuild:
        started = time.perf_counter()
        result, error = None, None
        collecting = gc.isenabled()
        gc.disable()  # no collection walks the memo's large heap during a rebuild: one follows it
        try:
            result = build(config=self.config, pool=self._pool, record_hashes=False,  # watch never publishes
                           memo=self._memo, changed=_modified_only(changes) if number else None)
        except AssetpubError as e:
            if number == 0 and isinstance(e, ConfigError):
                raise
            error = str(e)
        except Exception as e:  # a bug must not end a session of edits; say what happened
            log.exception("build #%d failed unexpectedly", number)
            error = f"internal error: {e!r}"
        seconds = time.perf_counter() - started
        with self._cond:
            if error is None:
                status = "ok"
            elif self._pending and not self._stopping:
                status = "superseded"
            else:
                status = "failed-again" if error == self._last_error else "failed"
            recovered = error is None and self._last_error is not None
            if status in ("ok", "failed", "failed-again"):
                self._last_error = error
            rebuild = Rebuild(number, changes, status, seconds, result, error, recovered)
        if self.on_rebuild is not None:
            try:
                self.on_rebuild(rebuild)
            except Exception:
                log.exception("on_rebuild callback failed")
        with self._cond:
            self._last = rebuild
            self._cond.notify_all()
        self._after(number, collecting)
        return rebuild

    def _after(self, number: int, collecting: bool) -> None:
        """Housekeeping once a rebuild is out: the deferred cache save, young garbage (and
        every 50 rebuilds all of it), so that none of it delays the next rebuild much."""
        if collecting:
            gc.enable()
            gc.collect(2 if number % 50 == 0 else 1)
        if self._memo.due():
            try:
                self._memo.flush()
            except OSError as e:  # a full disk: the cache is only an accelerator
                log.debug("cannot save the build cache: %s", e)


class _Filter:
    """Which paths concern the build: inside a source root or the pages directory, not in
    the output directory, not ignored by the build (dotfiles, editor leftovers, and in
    source roots the exclude globs; in the pages directory `_partials` do count)."""

    def __init__(self, config: Config):
        roots = [(os.path.abspath(r), "") for r in config.sources]
        if config.pages is not None:  # shown as "<pages dir name>/<name>"
            roots.append((os.path.abspath(config.pages), Path(config.pages).name + "/"))
        # the most specific root first: a pages directory may sit inside a source root
        self.roots = sorted(roots, key=lambda r: -len(r[0]))
        out = Path(config.out)
        self.skip = {os.path.abspath(out), os.path.realpath(out)}
        self.exclude = tuple(config.exclude)

    def watched(self) -> list[str]:
        """The directories to observe: every root that exists and is not inside another."""
        paths = sorted({root for root, _ in self.roots if os.path.isdir(root)})
        return [p for p in paths if not any(p.startswith(q + os.sep) for q in paths)]

    def name(self, path: str) -> str | None:
        """The path's name relative to its root, or None if no build would read it."""
        if any(path == s or path.startswith(s + os.sep) for s in self.skip):
            return None
        for root, label in self.roots:
            if path.startswith(root + os.sep):
                rel = path[len(root) + 1:].replace(os.sep, "/")
                parts = rel.split("/")
                if parts[0] in PUBLIC_DOT_DIRS and not label:
                    parts = parts[1:]
                if any(is_ignored_basename(part) for part in parts):
                    return None
                if self.exclude and not label and matches(rel, self.exclude):
                    return None
                return label + rel
        return None


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher):
        self.watcher = watcher
        self.filter = watcher._filter

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
            return  # its entries' own events say what changed
        src = self.filter.name(os.fsdecode(event.src_path))
        if event.event_type == EVENT_TYPE_MOVED:
            dest = self.filter.name(os.fsdecode(event.dest_path))
            if src and dest:
                change = Change("moved", src, dest)
            elif dest:  # an editor's atomic save: temp file renamed over the original
                change = Change("modified", dest)
            elif src:  # moved out of the tree, or to a name the build ignores
                change = Change("deleted", src)
            else:
                return
        elif src and event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_DELETED):
            change = Change(event.event_type, src)
        elif src and event.event_type == EVENT_TYPE_ATTRIB and not event.is_directory:
            change = Change("modified", src)
        else:
            return
        self.watcher._record(change)


def watch_config(config: Config, *, brotli_quality: int | None) -> Config:
    """The config watch mode builds with: brotli at most `brotli_quality` (None: unchanged)."""
    if brotli_quality is None or brotli_quality >= config.brotli_quality:
        return config
    return config.replace(brotli_quality=brotli_quality)


def _modified_only(changes: tuple[Change, ...]) -> set[str] | None:
    """The names of a batch that only modified existing files, else None (the build then
    walks the tree again: a file came, went or moved)."""
    if not changes or any(c.kind != "modified" for c in changes):
        return None
    return {c.name for c in changes}
