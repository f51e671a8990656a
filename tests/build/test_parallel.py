"""The process pool: a build on several workers gives the same tree as one in-process."""

from __future__ import annotations

import assetpub
from assetpub.workers import PARALLEL_MIN_BYTES, Pool
from tests.conftest import read_tree

RULES = "".join(f".r{i} {{ margin: {i}px; color: #{i:06x}; }}\n" for i in range(4000))


def test_parallel_build_equals_serial_build(make_site, tmp_path):
    files = {f"css/s{i}.css": f'@import "s{(i + 1) % 6}.css";\n/* {i} */\n{RULES}' for i in range(6)}
    files["js/app.js"] = 'import "./b.js";\n' + "export const a = 1;\n" * 5000
    files["js/b.js"] = 'import "./app.js";\n'
    src = make_site(files)
    assert sum(len(v) for v in files.values()) > PARALLEL_MIN_BYTES  # enough work to start the pool
    with Pool(2) as pool:
        parallel = assetpub.build([src], out=tmp_path / "parallel", brotli_quality=4, pool=pool)
        assert pool._executor is not None  # the work really ran in worker processes
    serial = assetpub.build([src], out=tmp_path / "serial", brotli_quality=4, jobs=1)
    assert parallel.manifest.to_dict() == serial.manifest.to_dict()

    def outputs(root):
        return {k: v for k, v in read_tree(root).items() if not k.startswith(".assetpub/")}

    assert outputs(tmp_path / "parallel") == outputs(tmp_path / "serial")
