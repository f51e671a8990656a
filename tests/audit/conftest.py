"""Fixtures for audit tests: nginx serving a built origin with the generated config (or a
deliberately broken one; `serve` and `origin` come from tests/edge), moto's standalone S3
server, and nginx as a caching proxy in front of it (the CDN shape)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

import assetpub
from assetpub.cli import main
from assetpub.compress import EXTENSIONS
from tests import processes
from tests.edge.conftest import origin, serve  # noqa: F401  (fixtures: a built origin, nginx serving it)
from tests.edge.servers import free_port, nginx_binary, start_nginx, wait_for_port

BUCKET = "assetpub-audit"
PREFIX = "assets/"


@pytest.fixture
def moto_s3(tmp_path):
    """moto's standalone server on a free 127.0.0.1 port (a separate process); yields (endpoint, client)."""
    port = free_port()
    log = tmp_path / "moto.log"
    with open(log, "wb") as out:
        proc = processes.spawn([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc=proc, log=log, timeout=30)
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.create_bucket(Bucket=BUCKET)
        # the proxy reads anonymously, as a CDN with a public-read origin would
        client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
        yield endpoint, client
    finally:
        processes.stop(proc)


def upload(client, build_dir: Path, *, gzip_only: tuple[str, ...] = ()) -> None:
    """Put every manifest file into the bucket with the manifest's headers; variants at NAME.br/NAME.gz
    with their Content-Encoding. Names in `gzip_only` are stored the broken way: gzip bytes at the
    identity key with Content-Encoding: gzip (what some publishers do)."""
    manifest = assetpub.Manifest.load(build_dir)
    for name, entry in manifest.assets.items():
        headers = {"ContentType": entry["content_type"], "CacheControl": entry["cache_control"]}
        key = PREFIX + entry["path"]
        if name in gzip_only:
            body = (build_dir / entry["encodings"]["gzip"]["path"]).read_bytes()
            client.put_object(Bucket=BUCKET, Key=key, Body=body, ContentEncoding="gzip", **headers)
            continue
        client.put_object(Bucket=BUCKET, Key=key, Body=(build_dir / entry["path"]).read_bytes(), **headers)
        for enc, variant in entry.get("encodings", {}).items():
            assert variant["path"] == entry["path"] + EXTENSIONS[enc]
            client.put_object(Bucket=BUCKET, Key=PREFIX + variant["path"], Body=(build_dir / variant["path"]).read_bytes(),
                              ContentEncoding=enc, **headers)
    client.put_object(Bucket=BUCKET, Key=PREFIX + "assetpub-manifest.json", Body=manifest.to_json(),
                      ContentType="application/json; charset=utf-8", CacheControl="public, max-age=0, must-revalidate")


def proxy_conf(rundir: Path, port: int, upstream: str) -> str:
    """nginx as a CDN in front of the bucket: proxy_cache, revalidation, X-Cache-Status."""
    return f"""
daemon off;
master_process off;
pid {rundir}/nginx.pid;
error_log {rundir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {rundir}/access.log;
    client_body_temp_path {rundir}/client_body;
    proxy_temp_path {rundir}/proxy;
    fastcgi_temp_path {rundir}/fastcgi;
    uwsgi_temp_path {rundir}/uwsgi;
    scgi_temp_path {rundir}/scgi;
    proxy_cache_path {rundir}/cache levels=1:2 keys_zone=edge:1m max_size=64m inactive=1h use_temp_path=off;
    server {{
        listen 127.0.0.1:{port};
        location /{PREFIX} {{
            proxy_pass {upstream}/{BUCKET}/{PREFIX};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache edge;
            proxy_cache_revalidate on;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


@pytest.fixture
def caching_proxy(tmp_path):
    """caching_proxy(upstream) -> running nginx proxy_cache in front of `upstream`."""
    nginx_binary()
    started = []

    def run(upstream: str):
        port = free_port()
        rundir = tmp_path / f"proxy-{len(started)}"
        server = start_nginx(proxy_conf(rundir, port, upstream), rundir, port)
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


def run_audit(*args: str):
    """(exit code, parsed JSON or text) of `assetpub audit ... --json`."""
    result = CliRunner().invoke(main, ["audit", *args])
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.output
