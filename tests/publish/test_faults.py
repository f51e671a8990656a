"""The fault matrix: a publish that meets a fault at each step of its plan (the journal,
the fingerprinted files, the keep-name files, the records, removing the journal, pruning)
— a slow answer, a dropped connection, a TCP reset, 503 SlowDown, a server that stops
answering, or the publish killed with SIGKILL — then a re-run; the target must then pass
the consistency check (tests/publish/consistency.py) and serve the new build.

Faults other than delay persist through every retry the limits allow, so the publish
meeting them fails there (a delay is survived); a 503 or a dropped request once is
survived too (test_network.py). On SeaweedFS the default run takes the kill at every step
and every fault at the keep-name step; ASSETPUB_FAULTS=all runs the whole matrix there
too (docs/publishing.md has the table)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from assetpub.manifest import Manifest
from assetpub.publish import PublishError, open_target, publish
from assetpub.publish.network import NetworkLimits
from assetpub.publish.prune import Retention
from assetpub.publish.record import CURRENT_KEY
from tests.publish.conftest import record_json

from .conftest import DROP, RESET, STALL, S3Backend, build_site
from .consistency import problems

# Tight enough that a stall fails fast, loose enough that a request the fault does not touch
# never times out on a busy machine: with read=0.5 s a publish under load (average 8 on two
# cores) gave up before it reached step 4, and the fault was never injected.
LIMITS = NetworkLimits(connect=5, read=2.0, give_up=4.5, attempts=2)
RETENTION = Retention(keep=1, grace=timedelta(0), max_deletes=1000)  # so that step 5 prunes
CLI_RETENTION = ["--keep", "1", "--grace", "0s", "--max-deletes", "1000"]

STEPS = {  # the first request of each step, as the proxy sees it (path under /BUCKET/site/)
    "0-journal": lambda m, p, h: m == "PUT" and p.endswith("/_assetpub/journal.json"),
    "1-fingerprinted": lambda m, p, h: m == "PUT" and bool(re.search(r"/css/base\.[0-9a-f]{12}\.css$", p)),
    "2-keep-name": lambda m, p, h: m == "PUT" and p.endswith("/index.html")  # uploaded, or copied from its stash
    and ("x-amz-copy-source" not in h or "/_assetpub/objects/" in h["x-amz-copy-source"]),
    "3-records": lambda m, p, h: m == "PUT" and p.endswith("/_assetpub/current.json"),
    "4-journal-removed": lambda m, p, h: m == "DELETE" and p.endswith("/_assetpub/journal.json"),
    "5-prune": lambda m, p, h: m == "POST" and "delete" in p.split("?", 1)[-1],
}
FAULTS = {
    "delay": ("delay", 0.2),
    "drop": DROP,
    "reset": RESET,
    "503": (503, "SlowDown"),
    "stall": STALL,
    "kill -9": "kill",
}
FULL = os.environ.get("ASSETPUB_FAULTS", "") == "all"


def cases():
    for server in ("moto", "seaweedfs"):
        for step in STEPS:
            for fault in FAULTS:
                if server == "seaweedfs" and not FULL and fault != "kill -9" and step != "2-keep-name":
                    continue
                yield pytest.param(server, step, fault, id=f"{server}-{step}-{fault}")


@pytest.fixture
def versions(site, tmp_path):
    v1 = build_site(site, tmp_path / "v1").out
    (site / "css/base.css").write_text((site / "css/base.css").read_text() + ".v2{color:green}\n")
    (site / "index.html").write_text((site / "index.html").read_text() + "<p>v2</p>\n")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /v2\n")
    v2 = build_site(site, tmp_path / "v2").out
    return v1, v2


@pytest.mark.parametrize(("server", "step", "fault"), list(cases()))
def test_a_fault_at_each_step_then_a_rerun_leaves_a_consistent_target(request, server, step, fault, versions):
    from .conftest import _s3_server

    s3 = _s3_server(request, server)
    backend = S3Backend(s3.client, s3.bucket, s3.proxy.url)
    v1, v2 = versions
    publish(v1, target=backend.target(), retention=RETENTION)
    matches = STEPS[step]
    arrived = s3.proxy.inject(
        STALL if fault == "kill -9" else FAULTS[fault],
        lambda r: matches(r.method, r.path, r.headers),
        times=1 if fault in ("delay", "kill -9") else LIMITS.attempts,
    )
    if fault == "kill -9":
        proc = subprocess.Popen(
            [sys.executable, "-m", "assetpub.cli", "publish", str(v2), *backend.cli_args(), "--workers", "2", *CLI_RETENTION],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        try:
            assert arrived.wait(60), "the publish never reached the step"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
    else:
        failed = None
        try:  # fails there, unless the fault is only a delay
            publish(v2, target=backend.target(limits=LIMITS), retention=RETENTION, workers=2)
        except PublishError as e:
            failed = e
        assert arrived.is_set(), f"the fault was never injected (the publish: {failed or 'succeeded'})"
    s3.proxy.reset()
    if fault != "delay" and step in ("0-journal", "1-fingerprinted", "2-keep-name"):  # stopped before step 3
        assert record_json(backend.read(CURRENT_KEY))["manifest"] == Manifest.load(v1).to_dict()
        assert json.loads(backend.read("assetpub-manifest.json")) == Manifest.load(v1).to_dict()
    # the re-run finishes the job
    publish(v2, target=open_target(backend.url, endpoint_url=s3.proxy.url), retention=RETENTION)
    assert problems(backend) == []
    assert record_json(backend.read(CURRENT_KEY))["manifest"] == Manifest.load(v2).to_dict()
    assert backend.read("index.html") == (v2 / "index.html").read_bytes()
