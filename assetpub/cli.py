"""The `assetpub` command: options -> Config -> one library call -> exit code.

Errors become one line on stderr (`error: …`) and the exit code of status.ExitStatus,
mapped in one place, `_Commands.invoke`: every command follows the same table. No
tracebacks for anything the user can fix."""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import logging
import sys
import time
from contextlib import contextmanager

import click

from . import __version__
from .errors import AssetpubError
from .status import ExitStatus


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


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


# The one command table: name -> "module:function" in assetpub/commands/. Running one
# command imports only its module (a no-op publish should not pay for audit's or watch's
# imports): click's documented lazy group.
COMMANDS = {
    "audit": "audit:audit",
    "build": "build:build",
    "clean": "build:clean",
    "cloudfront-function": "edge:cloudfront_function",
    "deploy": "publish:deploy",
    "deploys": "publish:deploys",
    "nginx-config": "edge:nginx_config",
    "publish": "publish:publish",
    "report": "report:report",
    "rollback": "publish:rollback",
    "serve": "watch:serve",
    "watch": "watch:watch",
}


class _Commands(click.Group):
    """Commands from COMMANDS, imported on first lookup (all of them for --help only)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str):
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, function = spec.split(":")
        return getattr(importlib.import_module(f"{__package__}.commands.{module}"), function)

    def invoke(self, ctx: click.Context):
        """Run the command; the one place where errors become exit codes (status.ExitStatus):
        click's own usage errors exit 2 on their way out of here, as UsageError does."""
        try:
            return super().invoke(ctx)
        except click.UsageError as e:  # click's own: one line too, in the same words
            where = e.ctx.command_path if e.ctx is not None else "assetpub"
            click.echo(f"error: {e.format_message()} (see '{where} --help')", err=True)
            ctx.exit(ExitStatus.USAGE)
        except AssetpubError as e:
            for line in (str(e), *e.details):
                click.echo(f"error: {line}", err=True)
            ctx.exit(e.exit_status)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(ExitStatus.INTERRUPTED)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list with each summary whole (click cuts them at 45 characters)."""
        rows = [(name, cmd.get_short_help_str(limit=200)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assetpub")
def main() -> None:
    """assetpub: fingerprint, rewrite, minify and precompress static assets, write a
    manifest, and publish the result to a CDN origin (S3 or a directory).

    Settings come from --config FILE, else ./assetpub.toml, else [tool.assetpub] in
    ./pyproject.toml; command-line flags override them.

    Exit codes: 0 success; 1 the job failed; 2 a usage or configuration mistake;
    75 another publish holds the target's lock (try again later); 130 Ctrl-C."""
    logging.basicConfig(format="%(message)s", level=logging.ERROR)


def run() -> None:
    """The `assetpub` console script: process-wide settings a library must not impose on
    the process it is imported into, then main().

    A command run allocates many long-lived objects (parsed manifests and records,
    botocore's service models) and little cyclic garbage: collect the young generation
    less often, and leave everything out of the full collection at exit (the process
    ends, the OS takes the memory back; files are closed by `with` and the standard
    streams are flushed by the interpreter). What it saves is measured in
    docs/performance.md, in the no-op publish table."""
    gc.set_threshold(100_000, 10, 10)  # older generations at their defaults: watch runs for hours
    atexit.register(gc.freeze)
    main()


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


if __name__ == "__main__":  # pragma: no cover
    run()
