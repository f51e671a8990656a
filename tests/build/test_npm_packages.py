"""Real, large, modern packages from the npm registry: lodash-es (a graph of 640 ES
modules) and three.js's ES module builds build under --strict, and their built,
minified entry points compute under node what the originals compute.

Skips, saying why, when npm or node is missing or the registry cannot be reached."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tarfile
from pathlib import Path

import pytest

import assetpub

NODE = shutil.which("node")
NPM = shutil.which("npm")
PACKAGES = {"lodash-es": "lodash-es@4", "three": "three@0"}

LODASH_PROBE = """
import * as _ from "%s";
const out = {
  chunk: _.chunk([1, 2, 3, 4, 5], 2),
  camel: _.camelCase("--foo-bar baz"),
  words: _.words("fred, barney, & pebbles"),
  escape: _.escapeRegExp("[lodash](https://lodash.com/)"),
  template: _.template("hello <%%= user %%>! ${ 1 + 1 }")({ user: "fred" }),
  merge: _.merge({ a: [{ b: 2 }] }, { a: [{ c: 3 }] }),
  sorted: _.sortBy([{ n: "b", a: 2 }, { n: "a", a: 1 }], ["a"]).map((o) => o.n),
  trim: _.trim("  -_-abc-_-  ", " _-"),
  deburr: _.deburr("déjà vu"),
  uniq: _.uniqBy([2.1, 1.2, 2.3], Math.floor),
  keys: Object.keys(_).length,
  get: _.get({ a: [{ b: { c: 3 } }] }, "a[0].b.c"),
  debounce: typeof _.debounce(() => 1, 10).cancel,
};
console.log(JSON.stringify(out));
"""

THREE_PROBE = """
import * as THREE from "%s";
const m = new THREE.Matrix4().makeRotationX(0.5).multiply(new THREE.Matrix4().makeScale(2, 3, 4));
const box = new THREE.BoxGeometry(1, 2, 3, 2, 2, 2);
const out = {
  vector: new THREE.Vector3(1, 2, 3).applyMatrix4(m).toArray().map((x) => x.toFixed(6)),
  color: new THREE.Color("rgb(10, 20, 30)").getHexString(),
  hsl: new THREE.Color("hsl(120, 50%%, 50%%)").getStyle(),
  quat: new THREE.Quaternion().setFromEuler(new THREE.Euler(0.1, 0.2, 0.3)).toArray().map((x) => x.toFixed(6)),
  box: [box.attributes.position.count, box.index.count],
  sphere: new THREE.SphereGeometry(1, 8, 6).attributes.position.count,
  keys: Object.keys(THREE).length,
  uuid: THREE.MathUtils.generateUUID().length,
};
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    if NODE is None or NPM is None:
        pytest.skip("npm and node are needed to fetch and run real packages")
    where = tmp_path_factory.mktemp("npm")
    proc = subprocess.Popen(
        [NPM, "pack", "--silent", *PACKAGES.values()], cwd=where, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )
    try:
        _, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        pytest.skip("npm pack took over 120 s: the npm registry is not reachable")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    if proc.returncode != 0:
        pytest.skip(f"npm pack failed, the npm registry is not reachable: {stderr.strip()[-300:]}")
    unpacked = {}
    for name in PACKAGES:
        tgz = next(where.glob(f"{name}-*.tgz"))
        with tarfile.open(tgz) as tar:
            tar.extractall(where / name, filter="data")
        unpacked[name] = where / name / "package"
    return unpacked


def _run(probe: str, directory: Path) -> dict:
    (directory / "probe.mjs").write_text(probe)
    proc = subprocess.run([NODE, "probe.mjs"], cwd=directory, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _build(src: Path, out: Path):
    result = assetpub.build([src], out=out, strict=True, brotli_quality=5)
    (out / "package.json").write_text('{"type": "module"}')
    return result


def test_lodash_es_builds_strict_and_runs_like_the_original(packages, tmp_path):
    src = packages["lodash-es"]
    result = _build(src, tmp_path / "out")
    assert len(result.manifest.assets) > 600 and not result.warnings
    built_entry = result.manifest.path("lodash.js")
    modules = [n for n in result.manifest.assets if n.endswith(".js")]
    built_bytes = sum(result.manifest.assets[n]["size"] for n in modules)
    assert built_bytes < 0.5 * sum((src / n).stat().st_size for n in modules)  # JSDoc comments gone
    assert len(result.notes) < 5, result.notes
    original = _run(LODASH_PROBE % "./lodash.js", src)
    built = _run(LODASH_PROBE % f"./{built_entry}", tmp_path / "out")
    assert built == original and original["keys"] > 300


def test_three_module_builds_strict_and_runs_like_the_original(packages, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("three.core.js", "three.module.js"):
        shutil.copy(packages["three"] / "build" / name, src / name)
    (src / "package.json").write_text('{"type": "module"}')
    result = _build(src, tmp_path / "out")
    assert not result.warnings
    built_entry = result.manifest.path("three.module.js")
    for name in ("three.core.js", "three.module.js"):  # minified, or left whole with a note
        built = (tmp_path / "out" / result.manifest.path(name)).stat().st_size
        noted = any(n.split(": not minified")[0].endswith(name) for n in result.notes)
        assert noted or built < 0.8 * (src / name).stat().st_size, (name, result.notes)
    original = _run(THREE_PROBE % "./three.module.js", src)
    built = _run(THREE_PROBE % f"./{built_entry}", tmp_path / "out")
    assert built == original and original["keys"] > 400
