"""Request target -> a file inside the served root, or a refusal.

Refused (the caller answers 400 for targets that are not plain paths, 404 otherwise):
`..` and `.` segments, raw or percent-encoded (`%2e%2e`, or `%2f` hiding a slash),
backslashes and NUL bytes, empty segments (`//etc/passwd`), dotfiles and
dot-directories (except a top-level `.well-known/`, which the build publishes), the
reserved `_assetpub/` prefix of a directory origin, and anything
whose real path (symlinks resolved) leaves the root or lands on one of those.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from ..origin import is_served


class BadRequest(Exception):
    """The request target is not a plain path (answer 400)."""


def url_path(target: str) -> str:
    """The decoded path of a request target (origin-form or absolute-form)."""
    if not target.startswith("/"):
        if "://" not in target:
            raise BadRequest(f"not a path: {target!r}")
        target = urlsplit(target).path or "/"
    raw = target.split("?", 1)[0].split("#", 1)[0]
    try:
        segments = [unquote(s, errors="strict") for s in raw.split("/")[1:]]
    except UnicodeDecodeError:
        raise BadRequest(f"not UTF-8: {raw!r}") from None
    for segment in segments:
        if segment in (".", "..") or any(c in segment for c in "/\\\0"):
            raise BadRequest(f"not a plain path: {raw!r}")
    return "/" + "/".join(segments)


def relative_name(path: str, prefix: str) -> str | None:
    """'/assets/css/a.css' under prefix '/assets/' -> 'css/a.css'; None if it is not servable.
    A directory path means its index.html."""
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix):]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return rel if is_served(rel) else None


def resolve(root_real: str, rel: str) -> str | None:
    """The real path of `rel` under the root, if it is a servable regular file inside it."""
    real = os.path.realpath(os.path.join(root_real, *rel.split("/")))
    inside = root_real.rstrip(os.sep) + os.sep
    if not real.startswith(inside) or not is_served("/".join(real[len(inside):].split(os.sep))):
        return None
    return real if os.path.isfile(real) else None


