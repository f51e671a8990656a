"""Sources -> logical names.

A logical name is the POSIX path of a file relative to its source root
(`css/app.css`). With several roots, the first root that has a name wins.
Never picked up: dotfiles and dot-directories (except a top-level `.well-known/`),
editor leftovers, symlinks that
leave their root, user `exclude` globs, and the output directory itself.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable

from .errors import BuildError, ConfigError
from .globs import matches
from .origin import PUBLIC_DOT_DIRS
from .safe_path import key_problem

log = logging.getLogger(__name__)

EDITOR_LEFTOVERS = ("*~", "*.swp", "*.swo", "*.swx", "#*#", "*.tmp", "*.bak", "4913")
_IGNORED = re.compile("|".join(fnmatch.translate(p) for p in (".*", *EDITOR_LEFTOVERS)))  # one match per name


@dataclass(frozen=True)
class SourceFile:
    name: str  # logical name
    file: str  # file on disk
    root: Path

    @cached_property
    def path(self) -> Path:
        """`file` as a Path, made when first asked for (a walk of 100k files makes none)."""
        return Path(self.file)


def is_ignored_basename(basename: str) -> bool:
    """A dotfile or an editor's leftover (EDITOR_LEFTOVERS, case-sensitive as fnmatchcase)."""
    return _IGNORED.match(basename) is not None


def require_source_dirs(roots: Iterable[Path]) -> None:
    """Raise ConfigError (a usage mistake: exit 2) unless every source root is a directory."""
    for root in roots:
        if not Path(root).is_dir():
            raise ConfigError(f"source directory {str(root)!r} does not exist or is not a directory")


def discover(
    roots: Iterable[Path], *, exclude: Iterable[str] = (), skip: Iterable[Path] = ()
) -> tuple[dict[str, SourceFile], list[str]]:
    """Walk the roots; return ({logical name: SourceFile}, warnings)."""
    exclude = tuple(exclude)
    skip_real = {os.path.realpath(p) for p in skip}
    found: dict[str, SourceFile] = {}
    warnings: list[str] = []
    roots = [Path(root) for root in roots]
    require_source_dirs(roots)
    for root in roots:
        real_root = os.path.realpath(root)
        for name, path in _walk(root, real_root, "", exclude, skip_real, warnings, {real_root}):
            found.setdefault(name, SourceFile(name, path, root))
    return dict(sorted(found.items())), warnings


def _walk(root, real_root, prefix, exclude, skip_real, warnings, seen_dirs):
    directory = os.path.join(root, prefix) if prefix else str(root)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as e:
        raise BuildError(f"cannot read directory: {e.strerror}", file=directory) from None
    for entry in entries:
        if is_ignored_basename(entry.name) and not (prefix == "" and entry.name in PUBLIC_DOT_DIRS and entry.is_dir()):
            continue
        name = f"{prefix}{entry.name}"
        if "\\" in name:
            warnings.append(f"{os.path.join(directory, entry.name)}: skipped: backslash in file name")
            continue
        if key_problem(name):  # a control character: it could never be a URL path or a key
            warnings.append(f"{os.path.join(directory, entry.name)!r}: skipped: file name {key_problem(name)}")
            continue
        if exclude and matches(name, exclude):
            continue
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            if not (target == real_root or target.startswith(real_root + os.sep)):
                warnings.append(f"{entry.path}: skipped: symlink points outside its source root")
                continue
            if not os.path.exists(target):
                warnings.append(f"{entry.path}: skipped: broken symlink")
                continue
        if entry.is_dir():
            real = os.path.realpath(entry.path)
            if real in skip_real or real in seen_dirs:
                continue
            yield from _walk(root, real_root, name + "/", exclude, skip_real, warnings, seen_dirs | {real})
        elif entry.is_file():
            yield name, entry.path
