"""The `assetpub` command's entry point, and nothing else: the command table (COMMANDS,
loaded lazily from assetpub/commands/), the error-to-exit-code mapping and the console
script. Each command is options -> Config -> one library call; what the commands share
(options, JSON output, the progress bar) is in commands/_shared.py.

Errors become one line on stderr (`error: …`) and the exit code of status.ExitStatus,
mapped in one place, `_Commands.invoke`: every command follows the same table. No
tracebacks for anything the user can fix."""

from __future__ import annotations

import atexit
import gc
import importlib
import logging

import click

from . import __version__
from .errors import AssetpubError
from .status import ExitStatus

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


if __name__ == "__main__":  # pragma: no cover
    run()
