"""Issue 15, item 12: errors name the destination, not a temporary file; a no-op build
writes nothing at all (so it also works on a read-only output)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import assetpub
from assetpub.output import write_atomic
from tests.conftest import write_tree


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (a directory nobody can create files in)")
def test_a_failed_atomic_write_names_the_destination():
    dest = Path("/proc/assetpub-test-destination")
    with pytest.raises(OSError) as info:
        write_atomic(dest, b"x")
    assert info.value.filename == str(dest)


def test_a_noop_build_writes_nothing(tmp_path):
    src = write_tree(tmp_path / "src", {"css/a.css": ".a{color:red}\n" * 30, "index.html": '<link href="css/a.css">\n'})
    out = tmp_path / "out"
    assetpub.build([src], out=out)
    assetpub.build([src], out=out)  # the state directory now exists: sources are remembered

    def state():  # files only: the stamp marker (stamps.Reference) comes and goes, and copes with read-only
        return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}

    before = state()
    result = assetpub.build([src], out=out)
    assert result.processed == [] and result.written == 0
    assert state() == before
