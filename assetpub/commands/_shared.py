"""What the commands share: their options (Setting, options), their output (json_text,
Progress) and how a one-shot command runs (paused_gc). cli.py is the entry point only;
the option groups of the build live in commands/build.py (build_options)."""

from __future__ import annotations

import gc
import json
import sys
import time
from contextlib import contextmanager

import click


class Setting(click.Option):
    """An option whose default click cannot know: a flag that overrides a config setting
    (not given: the config file's value, else the built-in default; its value is checked
    by the config's rules, config.check, not by click), or one whose default depends on
    the input. The help shows `default_text` the way click shows every default: `[default: …]`."""

    def __init__(self, *args, default_text: str, range_text: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_text = default_text
        self.range_text = range_text

    def get_help_extra(self, ctx: click.Context):
        extra = super().get_help_extra(ctx)
        extra["default"] = self.default_text
        if self.range_text:
            extra["range"] = self.range_text  # as click shows an IntRange's
        return extra


def options(*decorators):
    """One decorator applying `decorators` in the order they are listed (as they appear in --help)."""
    def apply(fn):
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return fn

    return apply


def json_text(value) -> str:
    """Sorted, indented JSON with each element of a list of objects on one line: as easy
    to read and diff as `indent=2`, but written by the C encoder (docs/performance.md)."""
    return _json_lines(value, "")


def _json_lines(value, pad: str) -> str:
    if isinstance(value, dict) and value:
        inner = pad + "  "
        items = [f"{inner}{json.dumps(str(k))}: {_json_lines(v, inner)}" for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value:
        inner = pad + "  "
        if all(isinstance(v, dict) for v in value):
            items = [inner + json.dumps(v, sort_keys=True) for v in value]
        else:
            items = [inner + _json_lines(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, sort_keys=True)


@contextmanager
def paused_gc():
    """No cyclic garbage collection inside the block (one-shot publish commands: their
    heap is parsed JSON and botocore's models, which each collection would walk again;
    a first publish of 2,318 objects peaks at the same 68 MB either way)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Progress:
    """The one progress bar of every command: click's, on stderr, only on a terminal, and
    only once the work has taken longer than a moment (CI logs and pipes get the summary
    line alone). Called as `progress(phase, done, total)`; a new phase starts a new bar.
    `delay`: seconds of work before a bar is worth drawing."""

    def __init__(self, *, enabled: bool | None = None, stream=None, delay: float = 0.5):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.delay = delay
        self.started = time.monotonic()
        self._bar = None
        self._phase: str | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < self.delay:
            return
        if phase != self._phase:
            self.close()
            self._phase = phase
            self._bar = click.progressbar(length=total, label=phase, file=self.stream, show_pos=True)
            self._bar.__enter__()
        if self._bar is not None:
            self._bar.update(done - self._bar.pos)
            if done >= total:
                self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
