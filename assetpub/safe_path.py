"""The one rule for a path that comes from state or input (deploy records, journals, the
headers sidecar, manifests, a build's history, a user's `--deploy ID`).

Such a path is a *key*: relative POSIX segments, none empty, `.` or `..`, no backslash,
no drive, no control character. A key is checked where it is read (`check_key`), and
every filesystem operation on an origin, a build directory or a cache goes through
`inside(root, key)`, which also resolves symlinks and refuses anything that lands
outside `root`. Nothing read back from storage is trusted to stay in its root otherwise.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import UnsafePath

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
# a deploy id as new_deploy_id() makes it (20261126T031500123Z-1a2b3c); older ids are similar
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def key_problem(key: object) -> str | None:
    """Why `key` is not a safe relative key, or None."""
    if not isinstance(key, str):
        return f"is a {type(key).__name__}, not a string"
    if not key:
        return "is empty"
    if _CONTROL.search(key):
        return "contains a control character"
    if key.startswith("/") or _DRIVE.match(key):
        return "is absolute"
    if "\\" in key:
        return "contains a backslash"
    parts = key.split("/")
    if "" in parts:
        return "has an empty segment"
    if ".." in parts or "." in parts:
        return "has a '.' or '..' segment"
    return None


def is_safe_key(key: object) -> bool:
    return key_problem(key) is None


def check_key(key: object, *, what: str) -> str:
    """Return `key` if safe; else raise UnsafePath naming `what` (the file and field)."""
    problem = key_problem(key)
    if problem:
        raise UnsafePath(f"{what}: unsafe path {key!r} ({problem})")
    return key  # type: ignore[return-value]


def id_problem(value: object) -> str | None:
    """Why `value` is not a usable deploy id (it becomes part of a key), or None."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    if not _ID.fullmatch(value) or ".." in value:
        return "is not valid (a deploy id has letters, digits, '.', '_' and '-'; no '..')"
    return None


def check_id(value: object, *, what: str) -> str:
    problem = id_problem(value)
    if problem:
        raise UnsafePath(f"{what} {value!r} {problem}")
    return value  # type: ignore[return-value]


def is_sha256(value: object) -> bool:
    """A lowercase hex SHA-256 (it names a stash object, so it is a path segment too)."""
    return isinstance(value, str) and bool(_SHA256.fullmatch(value))


def within(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Whether `path`, symlinks resolved, is `root` or lies under it (symlinks resolved too)."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def inside(root: str | os.PathLike, key: str, *, what: str | None = None) -> Path:
    """`root / key`, after checking the key and that the path, symlinks resolved, stays in
    `root`. Raises UnsafePath otherwise. The path returned is the unresolved one."""
    check_key(key, what=what or str(root))
    path = Path(root) / key
    if not within(root, path):
        raise UnsafePath(f"{path}: resolves outside {root} (through a symlink); refusing to touch it")
    return path
