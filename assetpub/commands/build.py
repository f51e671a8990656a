"""`assetpub build` and `assetpub clean`."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import TerminalProgress, fail_cleanly, human_bytes, json_text
from ..config import load_config


def build_options(fn):
    """The options every command that builds takes (build, deploy, watch)."""
    for option in reversed(
        [
            click.argument("sources", nargs=-1, type=click.Path(file_okay=False, path_type=Path)),
            click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), help="Output directory."),
            click.option("--base-url", help="Where the output is served: a path from the site root"
                         " (default /assets/) or a CDN URL (https://cdn.example.com/assets/)."),
            click.option("--strict/--no-strict", default=None, help="Fail on a missing reference (default: warn)."),
            click.option("--minify/--no-minify", default=None, help="Minify CSS and JS (default: on)."),
            click.option("--brotli-quality", type=click.IntRange(0, 11), help="Brotli quality, 0-11 (default 11)."),
            click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes (default, or 0: all cores)."),
            click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
                         help="Config file (default: ./assetpub.toml, else [tool.assetpub] in"
                         " ./pyproject.toml); flags override it."),
        ]
    ):
        fn = option(fn)
    return fn


def config_from_options(*, sources, config_file, **overrides):
    """A Config from the build options (and any other settings given as flags): the
    config file's settings, flags that were given on top."""
    return load_config(config_file, sources=tuple(sources), **overrides)


@click.command()
@build_options
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", "-q", is_flag=True, help="Print warnings and errors only.")
@fail_cleanly
def build(as_json, quiet, **options):
    """Build SOURCES (one or more directories; the first wins for a name) into --out.

    Every file is fingerprinted by content (css/app.css -> css/app.<hash>.css),
    references between assets are rewritten, CSS and JS are minified, text files
    get .br and .gz variants, and DIR/assetpub-manifest.json maps logical names to
    the output. Earlier outputs stay (open pages need them); remove them with
    `assetpub clean`. Rebuilds are incremental (cache in DIR/.assetpub/, safe to
    delete). Exit code 1 on an error, with the file and line."""
    from ..builder import build as run_build

    config = config_from_options(**options)
    result = run_build(config=config, progress=TerminalProgress(enabled=None if not (quiet or as_json) else False))
    if as_json:
        click.echo(json_text(result.summary()))
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not quiet:
        for note in result.notes:
            click.echo(f"note: {note}")
        click.echo(
            f"built {result.files} file{'s' if result.files != 1 else ''} ({human_bytes(result.bytes)}), wrote {result.written}, "
            f"{len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''}, "
            f"in {result.seconds:.2f}s -> {result.out / 'assetpub-manifest.json'}"
        )


@click.command()
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--keep", default=3, show_default=True, type=click.IntRange(min=1),
              help="Keep files referenced by the last N manifests.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@fail_cleanly
def clean(out, keep, dry_run):
    """Remove outputs in OUT that none of the last N builds' manifests reference.

    Only files an earlier assetpub build wrote are ever removed."""
    from ..output import clean as run_clean

    removed = run_clean(out, keep=keep, dry_run=dry_run)
    for rel in removed:
        click.echo(("would remove " if dry_run else "removed ") + rel)
    click.echo(f"{'would remove' if dry_run else 'removed'} {len(removed)} file{'s' if len(removed) != 1 else ''}")



COMMANDS = [build, clean]
