"""Build time: resolving a reference as written (`../img/a.png?v=2#x`) to a logical name, and
rewriting it to the fingerprinted name while keeping its form (relative stays
relative, the author's percent-encoding is kept, query and fragment are kept). (Template
time, a logical name to its URL: resolver.py.)"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from ..digest import split_extension
from ..manifest import split_suffix, url_path

_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
# 'http-diagram.jpg' or 'database.jpg' are files: a scheme needs a colon.


@dataclass(frozen=True)
class LocalRef:
    """A reference to one of our own assets, resolved."""

    name: str  # the logical name it points to (may not exist)
    path: str  # the path part as written
    suffix: str  # '?query#fragment' as written


def local_target(url: str, referrer: str, base_path: str, *, kind: str = "url") -> LocalRef | None:
    """The logical name a reference points to, or None when it is not ours to rewrite
    (external, data:, fragment-only, empty, outside the base path, bare module specifier)."""
    # The same reference appears many times in one directory (every stylesheet in css/
    # points at ../img/…): resolve each (url, directory) once.
    return _resolve(url, posixpath.dirname(referrer), base_path, kind == "module")


@lru_cache(maxsize=65536)
def _resolve(url: str, directory: str, base_path: str, module: bool) -> LocalRef | None:
    url = url.strip()
    if not url or url.startswith("#") or url.startswith("//") or _SCHEME.match(url):
        return None
    if module and not url.startswith(("./", "../", "/")):
        return None  # a bare specifier ("lodash", "app/util.js"): the import map's business
    path, suffix = split_suffix(url)
    if not path or path.endswith("/") or posixpath.basename(path) in (".", ".."):
        return None  # a directory (`new URL(".", import.meta.url)`), not a file
    decoded = unquote(path)
    if decoded.startswith("/"):
        if not decoded.startswith(base_path):
            return None  # an absolute path outside our assets (served by someone else)
        name = posixpath.normpath(decoded[len(base_path):])
    else:
        name = posixpath.normpath(posixpath.join(directory, decoded))
    return LocalRef(name, path, suffix)


def rewritten(target: LocalRef, out_name: str) -> str:
    """The written path with its last segment replaced by the output file's name."""
    head, _, written_base = target.path.rpartition("/")
    stem, ext = split_extension(posixpath.basename(target.name))
    out_base = posixpath.basename(out_name)
    if out_base == posixpath.basename(target.name):
        new_base = written_base
    elif written_base.endswith(ext) and unquote(written_base) == stem + ext:
        # insert the fingerprint where the extension starts, keeping the author's encoding
        cut = len(written_base) - len(ext)
        new_base = written_base[:cut] + out_base[len(stem):len(out_base) - len(ext)] + written_base[cut:]
    else:
        new_base = url_path(out_base)
    return (f"{head}/" if target.path.count("/") else "") + new_base + target.suffix
