"""json_file: large state files streamed, byte for byte what json.dumps writes."""

from __future__ import annotations

import json

import pytest

from assetpub import json_file


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 9])
@pytest.mark.parametrize("batch", [1, 2, 4])
def test_chunks_are_json_dumps_in_pieces(n, batch):
    obj = {"format": 1, "name": "é\n\"", "table": {f"k{i}é": [i, None, {"x": 1.5}] for i in range(n)}, "empty": {}}
    pieces = list(json_file.chunks(obj, batch=batch))
    assert b"".join(pieces) == json.dumps(obj, separators=(",", ":")).encode()
    if n > batch:  # a large table is never one piece
        assert max(len(p) for p in pieces) < len(json.dumps(obj["table"]))


def test_write_leaves_a_file_with_the_same_bytes_alone(tmp_path):
    path = tmp_path / "state.json"
    digest = json_file.write(path, {"a": {"b": 1}})
    before = path.stat()
    data, read_digest = json_file.read(path)
    assert data == {"a": {"b": 1}} and read_digest == digest
    assert json_file.write(path, data, unless=digest) == digest
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert list(tmp_path.iterdir()) == [path]  # the temporary file is gone
    json_file.write(path, {"a": {"b": 2}}, unless=digest)
    assert json.loads(path.read_bytes()) == {"a": {"b": 2}}
