"""`assetpub report`, and the budget check `build` and `report` share."""

from __future__ import annotations

from pathlib import Path

import click

from ..budgets import human_bytes
from ..config import load_config
from ._shared import json_text
from .build import BUDGETS
from .publish import _connection_options, _open


def check_budgets(uses, *, mode: str, quiet: bool = False, show: bool = True) -> None:
    """Print each budget's use (unless quiet or not `show`), then fail (BudgetExceeded,
    exit code 1) or warn for every file or total over its budget."""
    from ..budgets import enforce

    if show and not quiet:
        for use in uses:
            click.echo(use.line(human_bytes))
    for line in enforce(uses, human_bytes, mode=mode):
        click.echo(f"warning: {line}", err=True)


def write_report(report: dict, path: Path) -> None:
    from ..output import write_atomic
    from ..report import render_html

    write_atomic(Path(path), render_html(report).encode("utf-8"))


@click.command(short_help="Show what a build or deploy ships: sizes, treemap, changes, budgets.")
@click.argument("build_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@_connection_options
@click.option("--against", metavar="DEPLOY_ID|BUILD_DIR",
              help="Compare with a build directory or a deploy of TARGET ('live': the live one).")
@click.option("--out", "-o", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report as one self-contained HTML page.")
@click.option("--json", "as_json", is_flag=True, help="Print the report's data as JSON.")
@BUDGETS
def report(build_dir, target, endpoint_url, region, profile, config_file, against, out_file, as_json, budget_mode):
    """Report what BUILD_DIR (not given: the config's `out`), or the live deploy of --to
    TARGET, ships: every file's raw, gzip and brotli size and cache class, totals, a
    treemap, what changed against an earlier build or deploy (--against; with a target:
    the deploy before, or for a build the live deploy) and what each change cascaded to,
    the target's deploy history, and the use of every budget in the config.

    Without --out or --json: a short text summary. Exit code 1 when a budget is
    exceeded (unless --budgets=warn)."""
    from ..report.collect import collect
    from ..report.text import summary

    config = load_config(config_file, overrides_from="flag", target=target, endpoint_url=endpoint_url, region=region,
                         profile=profile)
    if build_dir is None and target is None:
        build_dir = config.out  # the config's build; a target only when asked for (--to)
    opened = _open(config) if (target is not None or (against and not Path(against).is_dir() and config.target)) else None
    data, uses = collect(build_dir, target=opened, against=against, budgets=config.budgets)
    if out_file is not None:
        write_report(data, out_file)
    if as_json:
        click.echo(json_text(data))
    elif out_file is None:
        click.echo(summary(data))
    else:
        t = data["totals"]["all"]
        click.echo(f"wrote {out_file}: {t['files']} files, {human_bytes(t['br'])} downloaded")
    check_budgets(uses, mode=budget_mode, show=not as_json)

