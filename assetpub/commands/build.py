"""`assetpub build` and `assetpub clean`."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from ..budgets import human_bytes
from ..config import load_config
from ._shared import Progress, Setting, json_text, options

SOURCES = click.argument("sources", nargs=-1, type=click.Path(file_okay=False, path_type=Path))
OUT = click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), help="Output directory.")
BASE_URL = click.option("--base-url", cls=Setting, default_text="/assets/",
                        help="Where the output is served: a path from the site root or a CDN URL"
                        " (https://cdn.example.com/assets/).")
STRICT = click.option("--strict/--no-strict", default=None, cls=Setting, default_text="no-strict",
                      help="Fail on a missing reference instead of warning.")
MINIFY = click.option("--minify/--no-minify", default=None, cls=Setting, default_text="minify",
                      help="Minify CSS and JS.")
BROTLI_QUALITY = click.option("--brotli-quality", type=int, cls=Setting, default_text="11", range_text="0<=x<=11",
                              help="Brotli quality.")
JOBS = click.option("--jobs", "-j", type=int, cls=Setting, default_text="0 = all cores", range_text="0<=x<=256",
                    help="Worker processes.")
CONFIG = click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), cls=Setting,
                      default_text="./assetpub.toml, else [tool.assetpub] in ./pyproject.toml",
                      help="Config file; flags override its settings.")
QUIET = click.option("--quiet", "-q", is_flag=True, help="Print warnings and errors only.")
BUDGETS = click.option("--budgets", "budget_mode", type=click.Choice(["fail", "warn"]), default="fail",
                       show_default=True, help="When a budget in the config is exceeded: fail (exit code 1) or only warn.")


def build_options_with(brotli_quality) -> Callable:
    """The build's options, declared once, with the --brotli-quality option given (watch
    builds at a lower quality by default)."""
    return options(SOURCES, OUT, BASE_URL, STRICT, MINIFY, brotli_quality, JOBS, CONFIG)


build_options = build_options_with(BROTLI_QUALITY)  # build, deploy


def config_from_options(*, sources, config_file, **overrides):
    """A Config from the build options (and any other settings given as flags): the
    config file's settings, flags that were given on top."""
    return load_config(config_file, overrides_from="flag", sources=tuple(sources), **overrides)


@click.command(short_help="Build SOURCES into --out: fingerprint, rewrite, minify, precompress.")
@build_options
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@QUIET
@BUDGETS
def build(as_json, quiet, budget_mode, **options):
    """Build SOURCES (one or more directories; the first wins for a name) into --out.

    Every file is fingerprinted by content (css/app.css -> css/app.<hash>.css),
    references between assets are rewritten, CSS and JS are minified, text files
    get .br and .gz variants, and DIR/assetpub-manifest.json maps logical names to
    the output. Earlier outputs stay (open pages need them); remove them with
    `assetpub clean`. Rebuilds are incremental (cache in DIR/.assetpub/, safe to
    delete). Exit code 1 on an error, with the file and line, or when a file is over
    a budget of the config (docs/report.md)."""
    from ..builder import build as run_build

    config = config_from_options(**options)
    result = run_build(config=config, progress=Progress(enabled=None if not (quiet or as_json) else False))
    uses = _budget_uses(config, result)
    if as_json:
        click.echo(json_text({**result.summary(), **({"budgets": [u.to_dict() for u in uses]} if uses else {})}))
        _check_budgets(uses, budget_mode, show=False)
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
    _check_budgets(uses, budget_mode, quiet=quiet)


def _budget_uses(config, result) -> list:
    """Every budget of the config against the build's manifest (rendered pages included)."""
    if not config.budgets:
        return []
    from ..budgets import check_budgets

    return check_budgets(result.manifest.entries, config.budgets)


def _check_budgets(uses, mode: str, **how) -> None:
    if uses:
        from .report import check_budgets

        check_budgets(uses, mode=mode, **how)


@click.command(short_help="Remove outputs that none of the last N builds reference.")
@click.argument("out", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--keep", default=3, show_default=True, type=int, cls=Setting, default_text="3", range_text="x>=1",
              help="Keep files referenced by the last N manifests.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def clean(out, keep, dry_run):
    """Remove outputs in OUT that none of the last N builds' manifests reference.

    Only files an earlier assetpub build wrote are ever removed."""
    from ..config import check
    from ..output import clean as run_clean

    check("keep", keep, "--keep")
    removed = run_clean(out, keep=keep, dry_run=dry_run)
    for rel in removed:
        click.echo(("would remove " if dry_run else "removed ") + rel)
    click.echo(f"{'would remove' if dry_run else 'removed'} {len(removed)} file{'s' if len(removed) != 1 else ''}")



