"""`assetpub nginx-config` and `assetpub cloudfront-function`: edge configuration that
serves the precompressed variant a client accepts, generated from the build."""

from __future__ import annotations

from pathlib import Path

import click

from ._shared import Setting, json_text


@click.command("nginx-config", short_help="Print an nginx server block that serves a directory origin.")
@click.argument("origin_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--listen", default="127.0.0.1:8080", show_default=True, help="nginx `listen` value.")
@click.option("--prefix", cls=Setting, default_text="the manifest's base URL path",
              help="URL path the assets are served under.")
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              cls=Setting, default_text="ORIGIN_DIR/assetpub-manifest.json, or the one below it",
              help="Manifest to serve.")
@click.option("--brotli/--no-brotli", default=True, show_default=True,
              help="Emit brotli_static (needs ngx_http_brotli_static_module).")
@click.option("--standalone", "rundir", metavar="RUNDIR", type=click.Path(file_okay=False, path_type=Path),
              help="Print a complete nginx.conf (daemon off) with pid, logs and temp files in RUNDIR.")
@click.option("--brotli-module", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              cls=Setting, default_text="found in the usual places",
              help="With --standalone: the brotli_static module file.")
def nginx_config(origin_dir, listen, prefix, manifest, brotli, rundir, brotli_module):
    """Print an nginx server block serving the directory origin ORIGIN_DIR.

    It serves .br/.gz files only to clients that accept them (with Vary), sends the
    manifest's Cache-Control per file (immutable for fingerprinted files,
    revalidating for files that keep their names), assetpub's content types, and a
    404 for anything missing; _assetpub/ and dot-files are never served.

    \b
    assetpub nginx-config /srv/origin --listen 80 > /etc/nginx/conf.d/assets.conf
    assetpub nginx-config _origin --standalone /tmp/run > /tmp/run.conf   # a quick local look"""
    from ..edge import load_origin
    from ..edge import nginx_config as render

    origin = load_origin(origin_dir, manifest=manifest)
    click.echo(
        render(origin, listen=listen, prefix=prefix, brotli=brotli, standalone=rundir, brotli_module=brotli_module),
        nl=False,
    )


@click.command("cloudfront-function", short_help="Print a CloudFront Function that serves the .br/.gz variants.")
@click.argument("build_dir", required=False, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--manifest", "manifest", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The manifest to read (instead of BUILD_DIR/assetpub-manifest.json).")
@click.option("--prefix", cls=Setting, default_text="the manifest's base URL path",
              help="URL path the assets are served under.")
@click.option("--settings", "settings", is_flag=True,
              help="Print the cache-policy / response-headers settings the function needs (JSON) instead.")
def cloudfront_function(build_dir, manifest, prefix, settings):
    """Print a CloudFront Function (viewer request, cloudfront-js-2.0) that rewrites a
    request to the .br or .gz variant the viewer accepts, for files that have one.

    It embeds which files have variants, so regenerate and republish it after each
    deploy. Use --settings for the cache policy it needs (Accept-Encoding
    normalisation on, objects' Cache-Control respected) and a Vary header."""

    from ..edge.cloudfront import cache_settings
    from ..edge.cloudfront import cloudfront_function as render
    from ..manifest import Manifest

    if settings:
        click.echo(json_text(cache_settings()))
        return
    if (build_dir is None) == (manifest is None):
        raise click.UsageError("give either BUILD_DIR or --manifest PATH")
    loaded = Manifest.load(manifest or build_dir)  # ManifestError names an entry it cannot use
    click.echo(render(loaded, prefix=prefix), nl=False)


