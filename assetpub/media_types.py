"""Content-Type and compressibility, from a table assetpub owns.

Never from the OS's `mimetypes` database: it differs between machines (aws-cli#1249
had no `.woff`, s3cmd#791 no `.woff2`) and guesses an *encoding* for `.gz` files
(django-storages#451).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

# extension -> (media type, text?, compressible?)
_TABLE: dict[str, tuple[str, bool, bool]] = {
    ".css": ("text/css", True, True),
    ".js": ("text/javascript", True, True),
    ".mjs": ("text/javascript", True, True),
    ".cjs": ("text/javascript", True, True),
    ".json": ("application/json", True, True),
    ".map": ("application/json", True, True),
    ".webmanifest": ("application/manifest+json", True, True),
    ".html": ("text/html", True, True),
    ".htm": ("text/html", True, True),
    ".txt": ("text/plain", True, True),
    ".md": ("text/markdown", True, True),
    ".csv": ("text/csv", True, True),
    ".xml": ("application/xml", True, True),
    ".rss": ("application/rss+xml", True, True),
    ".atom": ("application/atom+xml", True, True),
    ".svg": ("image/svg+xml", True, True),
    ".ico": ("image/vnd.microsoft.icon", False, True),
    ".wasm": ("application/wasm", False, True),
    ".ttf": ("font/ttf", False, True),
    ".otf": ("font/otf", False, True),
    ".eot": ("application/vnd.ms-fontobject", False, True),
    ".woff": ("font/woff", False, False),
    ".woff2": ("font/woff2", False, False),
    ".png": ("image/png", False, False),
    ".jpg": ("image/jpeg", False, False),
    ".jpeg": ("image/jpeg", False, False),
    ".gif": ("image/gif", False, False),
    ".webp": ("image/webp", False, False),
    ".avif": ("image/avif", False, False),
    ".bmp": ("image/bmp", False, True),
    ".mp4": ("video/mp4", False, False),
    ".webm": ("video/webm", False, False),
    ".mp3": ("audio/mpeg", False, False),
    ".ogg": ("audio/ogg", False, False),
    ".wav": ("audio/wav", False, True),
    ".pdf": ("application/pdf", False, False),
    ".zip": ("application/zip", False, False),
    ".gz": ("application/gzip", False, False),
    ".br": ("application/x-brotli", False, False),
}
DEFAULT = "application/octet-stream"


@dataclass(frozen=True)
class MediaType:
    extension: str  # ".css"
    media_type: str  # "text/css" (no parameters)
    text: bool  # served with charset=utf-8
    compressible: bool


def table() -> list[MediaType]:
    """The whole table, sorted by extension, for generators (nginx `types {}`, …)."""
    return [MediaType(ext, *row) for ext, row in sorted(_TABLE.items())]


def _entry(name: str) -> tuple[str, bool, bool] | None:
    return _TABLE.get(posixpath.splitext(name)[1].lower())


def content_type(name: str) -> str:
    """The Content-Type header for a logical or output name (`charset=utf-8` for text)."""
    entry = _entry(name)
    if entry is None:
        return DEFAULT
    media, text, _ = entry
    return f"{media}; charset=utf-8" if text else media


def is_compressible(name: str) -> bool:
    entry = _entry(name)
    return bool(entry and entry[2])


def kind(name: str) -> str:
    """The compiler family of a name: 'css', 'js', 'html' or 'other'."""
    ext = posixpath.splitext(name)[1].lower()
    if ext == ".css":
        return "css"
    if ext in (".js", ".mjs"):
        return "js"
    if ext in (".html", ".htm"):
        return "html"
    return "other"
