"""Property: whatever keys and ids a hostile deploy record, journal, sidecar or build
history holds, publish, prune, --verify, deploys, rollback and clean never touch a path
outside the sandbox root (a snapshot of its parent is the same before and after), and
fail, if they fail, with an AssetpubError (one line), never a traceback."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetpub.errors import AssetpubError
from assetpub.output import clean
from assetpub.publish import publish
from assetpub.publish.prune import Retention
from assetpub.publish.record import CURRENT_KEY
from assetpub.publish.rollback import deploys, rollback

from .conftest import T0, Sandbox, snapshot

SEGMENTS = ["..", ".", "", "a", "victim.txt", "outside.txt", "x.json", "_assetpub", "deploys", "css", "\\..", "a\nb"]
FIXED = [
    "../outside.txt",
    "../../victim.txt",
    "../../../x",
    "/tmp",
    "C:/x",
    "..\\..\\victim.txt",
    "_assetpub/current.json",
    "_assetpub/deploys/../../../outside.txt",
    "css/../../outside.txt",
]
keys = st.one_of(
    st.sampled_from(FIXED),
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6).map("/".join),
    st.text(min_size=0, max_size=12),
)
ids = st.one_of(keys, st.integers(), st.none(), st.sampled_from(["../../../x", "..", "a/b", "/x"]))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A sandbox with two deploys published and a build with history, built once."""
    box = Sandbox(tmp_path_factory.mktemp("template"))
    box.build()
    publish(box.out, target=box.target(), now=T0)
    box.edit(2)
    box.build()
    publish(box.out, target=box.target(), now=T0 + timedelta(hours=1))
    return box.outer


def fresh(template: Path) -> tuple[Path, Sandbox]:
    """A copy of the template in a new directory; the Sandbox object points into it."""
    parent = Path(tempfile.mkdtemp(prefix="assetpub-hostile-"))
    shutil.copytree(template, parent / "outer", symlinks=True)
    box = Sandbox.__new__(Sandbox)
    box.outer, box.root = parent / "outer", parent / "outer/sandbox"
    box.origin, box.out, box.src = box.root / "origin", box.root / "build", box.root / "src"
    return parent, box


def absolute(box: Sandbox, key):
    """Some generated keys point at the victims by absolute path."""
    if key == "/tmp":
        return str(box.root / "victim.txt")
    return key


def tamper(box: Sandbox, key, deploy_id, where: int) -> None:
    stored = sorted((box.origin / "_assetpub/deploys").iterdir())
    first = box.record(stored[0].relative_to(box.origin).as_posix())
    live = box.record(CURRENT_KEY)
    entry = dict(next(iter(live["objects"].values())))
    if where == 0:  # a key in an old record, which pruning deletes
        first["objects"][key] = entry
        stored[0].write_text(json.dumps(first))
    elif where == 1:  # an old record's id, which pruning deletes and rollback reads
        first["id"] = deploy_id
        stored[0].write_text(json.dumps(first))
    elif where == 2:  # the live record: a key, and an id in its history
        live["objects"][key] = entry
        live["history"] = [{"id": deploy_id, "time": "2026-03-01T12:00:00Z", "objects": 1, "bytes": 1}]
        box.write_record(CURRENT_KEY, live)
    elif where == 3:  # the journal and the sidecar
        (box.origin / "_assetpub/journal.json").write_text(json.dumps({"deploy": "x", "keys": [key, "index.html"]}))
        sidecar = json.loads((box.origin / "_assetpub/headers.json").read_text())
        sidecar["objects"][key] = {"content_type": "text/plain", "cache_control": "no-cache"}
        (box.origin / "_assetpub/headers.json").write_text(json.dumps(sidecar))
    # and always: the build's history lists the key as an old output, for clean
    manifest = json.loads((box.out / "assetpub-manifest.json").read_text())
    name = next(iter(manifest["assets"]))
    manifest["assets"]["hostile"] = {**manifest["assets"][name], "path": key, "encodings": {}}
    (box.out / ".assetpub/manifests/000000.json").write_text(json.dumps(manifest))


def run_everything(box: Sandbox, deploy_id) -> None:
    later = T0 + timedelta(days=30)
    operations = [
        lambda: publish(box.out, target=box.target(), now=later, retention=Retention(keep=1, grace=timedelta(0))),
        lambda: deploys(box.target()),
        lambda: rollback(box.target(), now=later + timedelta(hours=1)),
        lambda: rollback(box.target(), deploy_id=deploy_id, now=later + timedelta(hours=2)),
        lambda: publish(
            box.out, target=box.target(), now=later + timedelta(hours=3), verify=True,
            retention=Retention(keep=1, grace=timedelta(0), delete_unknown=True),
        ),
        lambda: clean(box.out, keep=1),
    ]
    for operation in operations:
        try:
            operation()
        except AssetpubError as e:
            assert "\n" not in str(e)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=keys, deploy_id=ids, where=st.integers(0, 3))
def test_hostile_state_never_touches_anything_outside_the_sandbox(template, key, deploy_id, where):
    parent, box = fresh(template)
    try:
        key = absolute(box, key)
        tamper(box, key, deploy_id, where)
        outside = {k: v for k, v in snapshot(parent).items() if not k.startswith(("outer/sandbox/origin/", "outer/sandbox/build/"))}
        run_everything(box, deploy_id if isinstance(deploy_id, str) else "x")
        after = {k: v for k, v in snapshot(parent).items() if not k.startswith(("outer/sandbox/origin/", "outer/sandbox/build/"))}
        assert after == outside
    finally:
        shutil.rmtree(parent, ignore_errors=True)
