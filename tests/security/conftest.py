"""Security fixtures: a sandbox (origin, build and victims side by side) and a snapshot of
everything around it, so a test can assert that nothing outside the sandbox root changed."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import write_tree
from tests.publish.conftest import (  # noqa: F401 - fixtures: the targets (moto and SeaweedFS behind proxies, a directory)
    aws_env,
    backend,
    bucket,
    built,
    moto_url,
    proxy,
    proxy_server,
    s3,
    seaweed_proxy_server,
    seaweed_url,
    site,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)

SITE = {
    "css/base.css": "body{color:red}\n.logo{background:url(../img/logo.png)}\n",
    "img/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(64)),
    "index.html": '<link rel="stylesheet" href="css/base.css">\n' + "<p>hello</p>\n" * 10,
    "robots.txt": "User-agent: *\n",
}


def snapshot(root: Path) -> dict[str, str]:
    """{relative path: sha256 (or 'dir' / 'link -> target')} of everything under root."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = "link -> " + str(path.readlink())
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class Sandbox:
    """tmp/outer/{victim.txt, sandbox/{origin, build, src, victim.txt}}: the outer directory's
    files outside `sandbox/origin` (or the build) are what a hostile record aims at."""

    def __init__(self, tmp_path: Path):
        self.outer = tmp_path / "outer"
        self.root = self.outer / "sandbox"
        self.origin = self.root / "origin"
        self.out = self.root / "build"
        self.src = write_tree(self.root / "src", SITE)
        write_tree(self.outer, {"victim.txt": "outer victim\n", "x.json": "{}\n"})
        write_tree(self.root, {"victim.txt": "sandbox victim\n", "outside.txt": "keep me\n", "x.json": "{}\n"})

    def outside(self) -> dict[str, str]:
        """Snapshot of the outer directory minus the origin and build directories' contents."""
        return {
            k: v
            for k, v in snapshot(self.outer).items()
            if not k.startswith(("sandbox/origin/", "sandbox/build/", "sandbox/src/"))
        }

    def build(self):
        from assetpub import build

        return build([self.src], out=self.out)

    def edit(self, n: int) -> None:
        page = self.src / "index.html"
        page.write_text(page.read_text() + f"<p>v{n}</p>\n")

    def target(self):
        from assetpub.publish import open_target

        return open_target(str(self.origin))

    def record(self, key: str) -> dict:
        from tests.publish.conftest import record_json

        return record_json((self.origin / key).read_bytes())

    def write_record(self, key: str, data: dict) -> None:
        """A record written as format 1 (plain JSON), as an earlier assetpub wrote it: still read."""
        (self.origin / key).write_text(json.dumps(data))


@pytest.fixture
def sandbox(tmp_path) -> Sandbox:
    return Sandbox(tmp_path)
