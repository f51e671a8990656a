"""`assetpub publish` and `assetpub deploy`: options -> Config -> one library call."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..budgets import human_bytes
from ..config import load_config
from ._shared import Progress, Setting, json_text, options, paused_gc
from .build import CONFIG, QUIET, build_options, config_from_options

_KEEP = click.option("--keep", type=int, cls=Setting, default_text="3", range_text="x>=1",
                     help="Keep objects that the last N deploys reference.")
_GRACE = click.option("--grace", metavar="DURATION", cls=Setting, default_text="7d",
                      help="Delete an unreferenced object only after this long (30m, 12h, 1d12h, 0s).")
_MAX_DELETES = click.option("--max-deletes", type=int, cls=Setting, default_text="500, and half the live deploy",
                            range_text="x>=0",
                            help="Refuse the whole publish, before changing anything, if it would delete more"
                            " objects, or retire more than half of the live deploy's (the wrong folder published).")
_DELETE_UNKNOWN = click.option("--delete-unknown", is_flag=True,
                               help="Also delete objects assetpub did not create (after the grace).")
_CLOUDFRONT = click.option("--cloudfront-distribution", metavar="ID",
                           help="Invalidate changed keep-name paths on this CloudFront distribution.")
_TO = click.option("--to", "target", metavar="TARGET", help="s3://bucket[/prefix], file:///path or a directory.")
_ENDPOINT_URL = click.option("--endpoint-url", help="S3-compatible endpoint (MinIO, R2, ...).")
_REGION = click.option("--region", help="AWS region.")
_PROFILE = click.option("--profile", help="AWS profile (credentials come from boto3's standard chain).")
_DRY_RUN = click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")

_retention_options = options(_KEEP, _GRACE, _MAX_DELETES, _DELETE_UNKNOWN, _CLOUDFRONT)
_connection_options = options(_TO, _ENDPOINT_URL, _REGION, _PROFILE, CONFIG)
_target_options = options(
    _TO,
    _DRY_RUN,
    click.option("--json", "as_json", is_flag=True, help="Print plan and result as JSON."),
    click.option("--workers", type=int, cls=Setting, default_text="0 = 16", range_text="0<=x<=1024",
                 help="Concurrent uploads."),
    click.option("--verify", is_flag=True, help="List the target, compare hashes and headers, repair drift."),
    click.option("--yes", "-y", is_flag=True, help="Confirm --delete-unknown without asking."),
    _ENDPOINT_URL,
    _REGION,
    _PROFILE,
    click.option("--acl", cls=Setting, default_text="none: the bucket's policy decides",
                 help="Canned ACL for uploaded objects (private, public-read, ...)."),
    QUIET,
)


@click.command(short_help="Publish a build directory to TARGET, uploading only what changed.")
@click.argument("build_dir", type=click.Path(path_type=Path))
@CONFIG
@_target_options
@_retention_options
def publish(build_dir, config_file, dry_run, as_json, verify, yes, quiet, delete_unknown, **options):
    """Publish BUILD_DIR (an `assetpub build` output) to TARGET, uploading only what changed.

    Fingerprinted files go first, then files that keep their names, then the manifest and
    the deploy record, so a failed or interrupted publish never breaks the live site;
    running it again finishes the job."""
    config = load_config(config_file, overrides_from="flag", **options)  # flags given override the config file
    with paused_gc():
        from ..publish.publisher import publish as run_publish

        with _Reporter(as_json=as_json, quiet=quiet, dry_run=dry_run, yes=yes) as reporter:
            result = run_publish(build_dir, quick=not (as_json or dry_run or verify),
                                 **_run_options(config, reporter, dry_run, verify, delete_unknown, options))
        reporter.report(result)  # after the progress bar is closed


@click.command(short_help="Build SOURCES, then publish the result to TARGET.")
@build_options
@_target_options
@_retention_options
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML report of what was published (`assetpub report`) to this file.")
def deploy(dry_run, as_json, verify, yes, quiet, delete_unknown, report_file, **options):
    """Build SOURCES, then publish to TARGET (settings from the config's `target = ...` or flags).

    Assets whose fingerprint the target already holds are not built again, so a fresh CI
    checkout deploys in time proportional to what changed. Without --out (or `out` in the
    config) the build goes to a temporary directory."""
    from ..publish.deploy import deploy as run_deploy

    config = config_from_options(**options)
    with _Reporter(as_json=as_json, quiet=quiet, dry_run=dry_run, yes=yes) as reporter:
        built, result = run_deploy(config, **_run_options(config, reporter, dry_run, verify, delete_unknown, options))
    for warning in built.warnings:
        if not as_json:
            click.echo(f"warning: {warning}", err=True)
    result.extra["build"] = built.summary()
    reporter.report(result)
    if report_file is not None:
        _deploy_report(config, built, result, report_file, dry_run=dry_run, quiet=quiet or as_json)


def _deploy_report(config, built, result, path: Path, *, dry_run: bool, quiet: bool) -> None:
    """The report of the deploy just published (nothing to publish: the live one), against
    the deploy before it; a dry run's: the build's, against the live deploy."""
    from ..report.collect import collect
    from ..report.snapshot import Snapshot
    from .report import write_report

    record = result.plan.record
    snapshot = Snapshot(f"build for {config.target}", built.manifest.assets, lambda key: None) if dry_run else None
    data, _ = collect(target=_open(config), deploy=record.id if record and not dry_run else None,
                      snapshot=snapshot, budgets=config.budgets)
    write_report(data, path)
    if not quiet:
        click.echo(f"wrote {path}")


def _run_options(config, reporter, dry_run: bool, verify: bool, delete_unknown: bool, options: dict) -> dict:
    """The keyword arguments publish() and deploy() share."""
    return {
        "target": _open(config),
        "dry_run": dry_run,
        "verify": verify,
        "workers": config.workers or 16,
        "progress": reporter.progress,
        "on_plan": reporter.on_plan,
        **_publish_settings(config, delete_unknown),
    }


def _publish_settings(config, delete_unknown: bool) -> dict:
    from ..durations import parse_duration
    from ..publish.prune import Retention

    return {
        "retention": Retention(
            keep=config.keep,
            grace=parse_duration(config.grace),  # checked when the config was loaded
            max_deletes=config.max_deletes,
            delete_unknown=delete_unknown,
        ),
        "cloudfront_distribution": config.cloudfront_distribution,
        "cloudfront_options": {"profile": config.profile},
    }


def _open(config):
    from ..publish.target import open_target

    return open_target(
        config.target or "",
        endpoint_url=config.endpoint_url,
        region=config.region,
        profile=config.profile,
        acl=config.acl,
        workers=config.workers or 16,
    )


class _Reporter:
    """Progress bar (on a terminal only) and the final text or JSON."""

    def __init__(self, *, as_json: bool, quiet: bool, dry_run: bool, yes: bool = False, label: str = "publishing"):
        self.label = label
        self.as_json = as_json
        self.quiet = quiet
        self.dry_run = dry_run
        self.yes = yes
        self.bar = Progress(enabled=None if not (dry_run or as_json or quiet) else False, delay=0)
        self.todo = self.done = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()
        return False

    def on_plan(self, plan) -> None:
        from ..publish.actions import Cause, Kind
        from ..publish.errors import PublishError

        unknown = [a for a in plan.deletions if a.why is Cause.UNKNOWN]
        if unknown and not self.dry_run and not self.yes:
            if not sys.stdin.isatty():
                raise PublishError(
                    f"--delete-unknown would delete {len(unknown)} objects assetpub did not create "
                    f"(first: {unknown[0].key}); add --yes to confirm"
                )
            if not click.confirm(f"delete {len(unknown)} objects assetpub did not create (first: {unknown[0].key})?"):
                raise PublishError("cancelled; nothing was changed")
        self.todo = sum(1 for a in plan.files if a.kind is not Kind.SKIP)

    def progress(self, action) -> None:
        self.done += 1
        self.bar(self.label, self.done, self.todo)

    def report(self, result) -> None:
        from ..publish.actions import Kind

        if self.as_json:
            click.echo(json_text(result.to_dict()))
            return
        plan = result.plan
        if self.dry_run:
            for action in plan.files:
                if action.kind is not Kind.SKIP:
                    click.echo(f"{action.kind.value:<15} {action.key}  ({action.reason})")
            for key in plan.unknown:
                click.echo(f"{'unknown':<15} {key}  (on the target, in no deploy record)")
            for action in plan.deletions:
                click.echo(f"{'delete':<15} {action.key}  ({action.reason})")
            c = plan.counts()
            upload_bytes = sum(a.size for a in plan.files if a.kind.sends)
            click.echo(
                f"dry run: would upload {c['upload'] + c['overwrite']} ({human_bytes(upload_bytes)}), "
                f"update {c['update-headers']}, skip {c['skip']}, delete {c['delete']}"
                + (f" and {c['delete-records']} of assetpub's own (old deploy records, rollback copies)"
                   if c["delete-records"] else "")
                + f" -> {result.target}"
            )
            return
        for key in plan.unknown:
            click.echo(f"warning: unknown object on the target (left alone): {key}", err=True)
        if self.quiet:
            return
        a = result.applied
        click.echo(
            f"published to {result.target}: uploaded {a.uploaded} ({human_bytes(a.uploaded_bytes)}), "
            f"updated {a.updated}, skipped {a.skipped}, deleted {a.deleted}, in {result.seconds:.2f}s"
            + (f" (deploy {plan.record.id})" if plan.record
               else " (finished what an interrupted publish left)" if plan.options and plan.options.pending
               else " (nothing to do)")
        )
        self.invalidated(result)

    def invalidated(self, result) -> None:
        if result.invalidation:
            inv = result.invalidation
            click.echo(f"invalidated {len(inv['paths'])} paths on CloudFront {inv['distribution']} ({inv['id']})")


@click.command(short_help="List the deploys stored in TARGET, the live one marked.")
@_connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def deploys(target, endpoint_url, region, profile, config_file, as_json):
    """List the deploys stored in TARGET, newest first (the live one marked)."""
    from ..publish.rollback import deploys as list_deploys

    config = load_config(config_file, overrides_from="flag", target=target, endpoint_url=endpoint_url, region=region,
                         profile=profile)
    rows = list_deploys(_open(config))
    if as_json:
        click.echo(json_text(rows))
        return
    if not rows:
        click.echo(f"no deploys in {config.target}")
    for row in rows:
        click.echo(
            f"{'*' if row['live'] else ' '} {row['id']}  {row['time']}  {row['objects']:>6} objects  "
            f"{human_bytes(row['bytes']):>9}  {row['tool']}"
        )


@click.command(short_help="Make an earlier deploy live again.")
@_connection_options
@click.option(
    "--deploy",
    "deploy_id",
    metavar="ID",
    cls=Setting,
    default_text="the one before the live one",
    help="The deploy to make live, an ID from `assetpub deploys`.",
)
@_DRY_RUN
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the result as JSON (as publish does).")
@_CLOUDFRONT
@QUIET
def rollback(target, endpoint_url, region, profile, config_file, deploy_id, dry_run, as_json, cloudfront_distribution,
             quiet):
    """Make an earlier deploy live again: its pages and manifest are put back from the
    target itself (fingerprinted files are still there thanks to retention). If any file
    it needs is gone, nothing is changed. Planned and applied like a publish: the journal,
    the lock, --dry-run, --json and the CloudFront invalidation work the same way."""
    from ..publish.rollback import rollback as run_rollback

    config = load_config(
        config_file,
        overrides_from="flag",
        target=target,
        endpoint_url=endpoint_url,
        region=region,
        profile=profile,
        cloudfront_distribution=cloudfront_distribution,
    )
    with _Reporter(as_json=as_json, quiet=quiet, dry_run=dry_run, label="rolling back") as reporter:
        result = run_rollback(
            _open(config),
            deploy_id=deploy_id,
            dry_run=dry_run,
            cloudfront_distribution=config.cloudfront_distribution,
            cloudfront_options={"profile": config.profile},
            workers=config.workers or 16,
            progress=reporter.progress,
            on_plan=reporter.on_plan,
        )
    if as_json:
        click.echo(json_text(result.to_dict()))
    elif dry_run:
        for key in result.restored:
            click.echo(f"restore {key}")
        click.echo(f"dry run: would make deploy {result.restored_from} live again ({len(result.restored)} files)")
    elif not quiet:
        click.echo(
            f"rolled back {result.target} to deploy {result.restored_from}: restored {len(result.restored)} files "
            f"(new deploy {result.deploy})"
        )
        reporter.invalidated(result)
