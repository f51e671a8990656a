"""Bounded waits for the network: a hung or silent endpoint is a clear network error in
bounded time, each retry is announced on stderr, 503 SlowDown bursts are survived."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import PublishError, TargetError, open_target, publish
from assetpub.publish.network import ENV, NetworkLimits

from .conftest import STALL

FAST = NetworkLimits(connect=1, read=0.5, give_up=2, attempts=6)  # the defaults' rules, in test time


def test_the_default_limits():
    assert NetworkLimits() == NetworkLimits(connect=5, read=10, give_up=30, attempts=6)
    target = open_target("s3://b/p", endpoint_url="http://127.0.0.1:9")
    config = target.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (5, 10)
    assert config.retries == {"mode": "standard", "total_max_attempts": 6}


def test_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv(ENV, "read=1.5, attempts=3")
    assert NetworkLimits.from_env() == NetworkLimits(connect=5, read=1.5, give_up=30, attempts=3)
    assert open_target("s3://b/p", endpoint_url="http://127.0.0.1:9").client.meta.config.read_timeout == 1.5
    for bad in ("read=0", "read=soon", "timeout=3", "attempts=1.5"):
        monkeypatch.setenv(ENV, bad)
        with pytest.raises(PublishError, match=f"{ENV}=.*expected connect=SECONDS"):
            NetworkLimits.from_env()


def test_a_hung_server_mid_publish_is_a_network_error_not_a_file_error(proxy, bucket, built):
    proxy.inject(STALL, lambda r: r.method == "PUT" and "/css/" in r.path, times=100)
    target = open_target(f"s3://{bucket}/site", endpoint_url=proxy.url, limits=FAST)
    with pytest.raises(TargetError) as failed:
        publish(built, target=target, workers=1)
    message = str(failed.value)
    assert "/css/" in message and "the S3 endpoint did not answer in time" in message
    assert "cannot read" not in message


def test_a_silent_endpoint_gives_up_after_a_few_tries_saying_so(silent, built):
    env = {**os.environ, ENV: "connect=1,read=0.5,give_up=2"}
    proc = subprocess.run(
        [sys.executable, "-m", "assetpub.cli", "publish", str(built), "--to", "s3://b/site", "--endpoint-url", silent.url],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "did not answer in time" in lines[-1], proc.stderr
    assert "Traceback" not in proc.stderr
    retries = [line for line in lines if "retrying" in line]
    assert retries and "ReadTimeoutError; attempt 2 of 6" in retries[0], proc.stderr
    tries = silent.count("current.json")
    assert 2 <= tries <= 4  # each try waits 0.5 s: given up after 2 s, not after all 6 tries


def test_a_burst_of_slowdowns_is_survived_and_each_retry_announced(proxy, bucket, built, caplog):
    proxy.inject((503, "SlowDown"), lambda r: r.method == "PUT" and "/css/" in r.path, times=3)
    target = open_target(f"s3://{bucket}/site", endpoint_url=proxy.url, limits=FAST)
    with caplog.at_level(logging.WARNING, logger="assetpub.publish.retry"):
        result = publish(built, target=target, workers=1)
    assert result.applied.uploaded == len(Manifest.load(built).paths()) + 1
    assert [r.status for r in proxy.requests].count(503) == 3
    notes = [r.getMessage() for r in caplog.records if r.name == "assetpub.publish.retry"]
    assert len(notes) == 3 and all("retrying PutObject (503 SlowDown; attempt" in n for n in notes), notes


def test_a_refused_connection_is_announced_once_per_attempt_not_per_request(built):
    """Publish asks for the record and lists the state at once: both are refused alike,
    and the retries of the two share their lines."""
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, ENV: "connect=1,read=0.5,give_up=5"}
    proc = subprocess.run(
        [sys.executable, "-m", "assetpub.cli", "publish", str(built), "--to", "s3://b/site",
         "--endpoint-url", f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error: cannot reach the S3 endpoint"), proc.stderr
    retries = lines[:-1]
    assert retries and all("retrying" in line and "EndpointConnectionError" in line for line in retries), proc.stderr
    attempts = [line.rsplit("attempt ", 1)[1] for line in retries]
    assert len(attempts) == len(set(attempts)) <= 5, proc.stderr
