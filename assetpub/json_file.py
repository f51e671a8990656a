"""Large JSON state files (the build cache, the publish hash cache: 79 MB and 39 MB at
100,000 files) read with their digest and written as a stream: never the whole text held
twice (as str and as bytes) next to the tables it encodes, and not written at all when the
bytes are the ones read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterator

from .output import write_chunks_atomic

_COMPACT = json.JSONEncoder(separators=(",", ":"))
BATCH = 4096  # entries of a large table encoded at a time (by the C encoder)


def read(path: Path) -> tuple[Any, str]:
    """(the parsed JSON, the SHA-256 of its bytes). Raises OSError and ValueError as read does."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    return json.loads(raw), digest


def chunks(obj: dict[str, Any], *, batch: int = BATCH) -> Iterator[bytes]:
    """The bytes of `json.dumps(obj, separators=(",", ":"))`, in pieces: a value that is a
    dict of more than `batch` entries is encoded `batch` entries at a time."""
    dump = _COMPACT.encode
    yield b"{"
    for i, (key, value) in enumerate(obj.items()):
        yield (b"," if i else b"") + dump(key).encode() + b":"
        if isinstance(value, dict) and len(value) > batch:
            items = iter(value.items())
            yield b"{"
            first = True
            while True:
                part = _take(items, batch)
                if not part:
                    break
                yield (b"" if first else b",") + dump(part)[1:-1].encode()
                first = False
            yield b"}"
        else:
            yield dump(value).encode()
    yield b"}"


def _take(items: Iterator, n: int) -> dict:
    part = {}
    for key, value in items:
        part[key] = value
        if len(part) == n:
            break
    return part


def write(path: Path, obj: dict[str, Any], *, unless: str | None = None) -> str:
    """Write `obj` as compact JSON (atomically); unless its bytes hash to `unless`. Returns
    the digest of the bytes."""
    return write_chunks_atomic(path, chunks(obj), unless=unless)
