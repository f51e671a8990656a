"""Minification with rcssmin and rjsmin: whitespace and comments only, license
comments (`/*! … */`) kept. Never for `*.min.*` files, and never for a file that
carries a source map (the map's columns would no longer match)."""

from __future__ import annotations

import posixpath

import rcssmin
import rjsmin


def should_minify(name: str, kind: str, has_source_map: bool) -> bool:
    stem = posixpath.splitext(posixpath.basename(name))[0]
    return kind in ("css", "js") and not stem.endswith(".min") and not has_source_map


def minify(text: str, kind: str) -> str:
    if kind == "css":
        return rcssmin.cssmin(text, keep_bang_comments=True)
    if kind == "js":
        return rjsmin.jsmin(text, keep_bang_comments=True)
    return text


def versions() -> str:
    return f"rcssmin {rcssmin.__version__}, rjsmin {rjsmin.__version__}"
