"""Fixtures for edge tests: a built origin and real nginx serving it with the generated config."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import assetpub
from assetpub.cli import main
from tests.edge.servers import free_port, nginx_binary, start_nginx
from tests.edge.sites import make_site


@pytest.fixture
def origin(tmp_path) -> Path:
    """A build output directory (the same layout as a published directory origin)."""
    src = make_site(tmp_path / "src")
    assetpub.build([src], out=tmp_path / "origin")
    return tmp_path / "origin"


def generate(origin: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["nginx-config", str(origin), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def serve(tmp_path):
    """serve(origin_dir, *extra_cli_args, edit=None) -> running Nginx with the generated config."""
    nginx_binary()
    started = []

    def run(origin: Path, *args: str, edit=None):
        port = free_port()
        rundir = tmp_path / f"nginx-{len(started)}"
        conf = generate(origin, "--listen", f"127.0.0.1:{port}", "--standalone", str(rundir), *args)
        if edit is not None:
            conf = edit(conf)
        server = start_nginx(conf, rundir, port)
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()
