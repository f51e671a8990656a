"""`assetpub audit`: what the CDN serves, checked against the manifest. Exit 0 when
every check passes, 1 when any fails, 2 on usage errors (including an unreadable
manifest or an unusable URL)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..status import ExitStatus
from ._shared import json_text


@click.command("audit", short_help="Check what a CDN or origin really serves against the manifest.")
@click.argument("url")
@click.option("--manifest", "manifest", required=True, metavar="PATH_OR_URL",
              help="The manifest to check against: a file, a build directory, or an http(s) URL.")
@click.option("--sample", type=click.IntRange(min=1), metavar="N",
              help="Audit N random fingerprinted files plus every file that keeps its name.")
@click.option("--seed", type=int, help="Seed for --sample, to audit the same files again.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 32),
              help="Requests in flight at most.")
@click.option("--max-requests", default=10000, show_default=True, type=click.IntRange(min=1),
              help="Refuse to start an audit that would need more requests.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1), help="Seconds per request.")
@click.option("--previous", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="An earlier `--json` report: flags Last-Modified values that changed for unchanged files.")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def audit(url, manifest, sample, seed, concurrency, max_requests, timeout, previous, as_json):
    """Fetch every manifest entry from URL (the public base URL of the assets) the way
    browsers do and check status, Content-Type, SRI, Cache-Control, compression and
    Vary, the uncompressed response, validators and 304s; report time to first byte
    per file class. Sends only GET requests and needs no credentials.

    Exit code 0 when every check passes, 1 when any fails, 2 on a usage error."""
    from ..audit import AuditUsageError, render_table, to_dict
    from ..audit import audit as run_audit
    from ..errors import AssetpubError, UsageError

    try:
        earlier = _read_previous(previous) if previous else None
        report = run_audit(url, manifest, sample=sample, seed=seed, concurrency=concurrency,
                           max_requests=max_requests, timeout=timeout, previous=earlier)
    except AssetpubError as e:
        if isinstance(e, UsageError):
            raise
        raise AuditUsageError(str(e)) from None  # an audit that cannot start: its arguments are unusable
    unreachable = [a.primary.error for a in report.assets if a.primary.status is None]
    if as_json:
        click.echo(json_text(to_dict(report)))
    elif report.assets and len(unreachable) == len(report.assets):
        # a server that is down (or a wrong port): one line, not a table of identical failures
        click.echo(f"error: no response from {report.url} for any of the {len(report.assets)} files "
                   f"(first: {unreachable[0]})", err=True)
    else:
        click.echo(render_table(report, style=click.style), nl=False)  # click drops colours off a terminal
    sys.exit(ExitStatus.OK if report.ok else ExitStatus.FAILED)


def _read_previous(path: Path):
    from ..audit import AuditUsageError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise AuditUsageError(f"{path}: not a readable `assetpub audit --json` report: {e}") from None


