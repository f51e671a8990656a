"""N concurrent `assetpub publish` processes of different builds to one prefix, with and
without a stale lock planted, repeated: one deploy goes live per holding of the lock,
every stored record is in the history, nothing is torn. ASSETPUB_RACE_ROUNDS raises the
number of rounds (200 were run by hand: docs/publishing.md)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from assetpub.publish import open_target, publish
from assetpub.publish.lock import LOCK_KEY
from assetpub.publish.record import CURRENT_KEY
from assetpub.publish.state import Headers
from tests.publish.conftest import record_json

from .conftest import S3Backend, build_site
from .consistency import problems

ROUNDS = int(os.environ.get("ASSETPUB_RACE_ROUNDS", "2"))
PUBLISHES = 3


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """A base build and PUBLISHES different builds of the same site."""
    from tests.conftest import write_tree

    from .conftest import SITE

    root = tmp_path_factory.mktemp("race")
    site = write_tree(root / "src", SITE)
    out = []
    for n in range(PUBLISHES + 1):
        (site / "index.html").write_text(SITE["index.html"] + f"<p>build {n}</p>\n")
        (site / "css/base.css").write_text(SITE["css/base.css"] + f".build{n}{{color:red}}\n")
        out.append(build_site(site, root / f"build{n}").out)
    return out


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("stale", ["no lock", "stale lock"])
def test_concurrent_publishes_one_live_deploy_per_lock(s3server, builds, stale):
    backend = S3Backend(s3server.client, s3server.bucket, s3server.proxy.url)
    for round_ in range(ROUNDS):
        backend.prefix = f"race{round_}"
        backend.url = f"s3://{s3server.bucket}/{backend.prefix}"
        publish(builds[0], target=backend.target())
        base = record_json(backend.read(CURRENT_KEY))["id"]
        if stale == "stale lock":  # left by a publish killed on this machine
            holder = {"owner": f"{socket.gethostname()}:{dead_pid()}:killed", "purpose": "publish",
                      "created": "2026-01-01T00:00:00Z", "expires": "2999-01-01T00:00:00Z"}  # fmt: skip
            backend.target().put_bytes(LOCK_KEY, json.dumps(holder).encode(), Headers("application/json", "no-store"))
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "assetpub.cli", "publish", str(build), *backend.cli_args(), "--workers", "4"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            )  # fmt: skip
            for build in builds[1:]
        ]
        try:
            results = [(p.wait(120), *p.communicate()) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(10)
        won = [n for n, (code, _, _) in enumerate(results) if code == 0]
        for code, _, err in results:
            assert code == 0 or "locked by another publish" in err or "lost its lock" in err, err
        assert won, results  # somebody published
        record = record_json(backend.read(CURRENT_KEY))
        history = [h["id"] for h in record["history"]]
        new = [record["id"], *history[: history.index(base)]]
        assert len(new) == len(won), (results, new)  # exactly one deploy per successful publish
        live_manifest = json.loads(backend.read("assetpub-manifest.json"))
        assert live_manifest in [json.loads((builds[1 + n] / "assetpub-manifest.json").read_text()) for n in won]
        assert problems(backend) == [], f"round {round_}"
        # and the target takes the next publish as usual
        publish(builds[0], target=open_target(backend.url, endpoint_url=s3server.proxy.url))
        assert problems(backend) == []
