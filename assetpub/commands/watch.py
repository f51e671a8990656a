"""`assetpub watch` and `assetpub serve`: rebuild on save, and a development server with
production headers. Both run until Ctrl-C or SIGTERM, then stop cleanly (exit 0)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from ._shared import Setting
from .build import build_options_with

WATCH_BROTLI_QUALITY = 5  # docs/watch.md: ~50x faster than q11, ~15% larger; only names and .br bytes differ

_host = click.option("--host", default="127.0.0.1", show_default=True,
                     help="Address to listen on (a development server: keep it local).")
_port = click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
                     help="Port to listen on (0: any free port).")
_prefix = click.option("--prefix", cls=Setting, default_text="the manifest's base_url path",
                       help="URL path to serve the files under.")
_live_reload = click.option("--live-reload", is_flag=True,
                            help="Restyle or reload open pages after each rebuild (injects a small script into HTML).")


@click.command(short_help="Build, then rebuild whenever a source file changes.")
@build_options_with(click.option(
    "--brotli-quality", type=int, default=WATCH_BROTLI_QUALITY, cls=Setting,
    default_text=str(WATCH_BROTLI_QUALITY), range_text="0<=x<=11",
    help="Brotli quality while watching, at most the config's (11 gives the same output as `assetpub build`)."))
@click.option("--debounce", type=click.IntRange(0, 10000), default=50, show_default=True,
              help="Milliseconds of quiet to wait for before rebuilding.")
@click.option("--serve", "serve_too", is_flag=True, help="Also serve --out with the development server.")
@_host
@_port
@_prefix
@_live_reload
def watch(sources, out, base_url, strict, minify, brotli_quality, jobs, debounce, config_file, serve_too, host, port,
          prefix, live_reload):
    """Build SOURCES into --out, then rebuild whenever a source file changes.

    Bursts of changes (a checkout, a formatter) become one rebuild; each rebuild prints
    one line. A file that fails to build is reported once, with file and line; the last
    good build stays in place (and keeps being served) until the file is fixed.
    With --serve, the output is also served as `assetpub serve` would. Ctrl-C stops."""
    from ..config import check, load_config
    from ..devserver import make_server
    from ..load_path import require_source_dirs
    from ..origin import served_prefix
    from ..watch import Watcher, watch_config

    check("brotli_quality", brotli_quality, "--brotli-quality")
    config = load_config(config_file, overrides_from="flag", sources=tuple(sources), out=out, base_url=base_url,
                         strict=strict, minify=minify, jobs=jobs)
    config = watch_config(config, brotli_quality=brotli_quality)
    server = None
    if serve_too and config.out is not None:
        require_source_dirs(config.sources)  # a mistake leaves no empty --out behind
        Path(config.out).mkdir(parents=True, exist_ok=True)
        # from the config, not the manifest: there is none yet if the first build fails
        prefix = served_prefix(prefix or None, config.base_url)
        server = make_server(config.out, host=host, port=port, prefix=prefix, live_reload=live_reload)
    printer = _Printer(server)
    watcher = Watcher(config, debounce=debounce / 1000, on_rebuild=printer)
    try:
        watcher.start()
        if server is not None:
            server.start()
            click.echo(f"serving {_shown(config.out)} at {server.url} (development server)")
        roots = ", ".join(_shown(s) for s in config.sources)
        _wait_for_ctrl_c(f"watching {roots} (Ctrl-C to stop)")
    finally:
        watcher.stop()
        if server is not None:
            server.stop()
    click.echo("stopped")


@click.command(short_help="Serve a build or an origin with production headers (development).")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@_host
@_port
@_prefix
@_live_reload
def serve(directory, host, port, prefix, live_reload):
    """Development server: serve DIRECTORY (a build output or a directory origin)
    with the headers production sends. Not for production use.

    DIRECTORY is a build's --out or a directory origin written by `assetpub publish`.

    Content-Type and Cache-Control come from the origin's _assetpub/headers.json or the
    build's assetpub-manifest.json; ETag and Last-Modified from the files; 304 for
    conditional requests; the .br/.gz variant the client accepts, with Vary:
    Accept-Encoding. Dotfiles, _assetpub/ and paths outside DIRECTORY are never served."""
    from ..devserver import make_server
    from ..devserver.follow import follow_manifest
    from ..manifest import MANIFEST_NAME
    from ..origin import SIDECAR

    server = make_server(directory, host=host, port=port, prefix=prefix, live_reload=live_reload)
    if server.headers_table.base_path is None and not (directory / SIDECAR).is_file():
        click.echo(f"warning: {directory} has no {MANIFEST_NAME} nor {SIDECAR}: headers from file names only", err=True)
    follower = follow_manifest(server) if live_reload else None
    try:
        server.start()
        _wait_for_ctrl_c(f"serving {directory} at {server.url} (development server; Ctrl-C to stop)")
    finally:
        if follower is not None:
            follower.stop()
            follower.join()
        server.stop()
    click.echo("stopped")


class _Printer:
    """One line per rebuild; each build warning once (not again on every rebuild)."""

    def __init__(self, server):
        self.server = server
        self.warned: set[str] = set()
        self.manifest = None  # of the last good build, to tell a restyle from a reload

    def __call__(self, rebuild) -> None:
        if rebuild.result is not None:
            for warning in rebuild.result.warnings:
                if warning not in self.warned:
                    click.echo(f"warning: {warning}", err=True)
            self.warned = set(rebuild.result.warnings)
        line = rebuild.line()
        if line is not None:
            click.echo(line, err=not rebuild.ok)
        if rebuild.ok and self.server is not None:
            if rebuild.number > 0:
                self.server.reload(previous=self.manifest, current=rebuild.result.manifest)
            self.manifest = rebuild.result.manifest


def _shown(path) -> str:
    """A path as the user would write it: relative to the current directory when inside it."""
    path = Path(path).absolute()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _wait_for_ctrl_c(message: str) -> None:
    """Say `message`, then block the main thread until Ctrl-C (SIGINT) or SIGTERM (a
    process manager, `docker stop`, `kill`): from here on, either is the normal way to
    stop (exit 0), not an interruption."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        click.echo(message)
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        click.echo("")
    finally:
        signal.signal(signal.SIGTERM, previous)


