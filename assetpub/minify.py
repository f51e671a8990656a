"""Minification with rcssmin and rjsmin: whitespace and comments only, license
comments (`/*! … */`) kept. Never for `*.min.*` files, and never for a file that
carries a source map (the map's columns would no longer match)."""

from __future__ import annotations

import posixpath
import re

import rcssmin
import rjsmin

from .compilers import css, rewrite

# A quoted url() with whitespace in it: rcssmin strips whitespace inside url(), quoted or
# not (its documented rule, except for data: URLs), which would turn "a b.png" into "ab.png".
_QUOTED_URL_WITH_SPACE = re.compile(r"""url\(\s*(["'])[^"'\n]*?\s""", re.I)


def should_minify(name: str, kind: str, has_source_map: bool) -> bool:
    stem = posixpath.splitext(posixpath.basename(name))[0]
    return kind in ("css", "js") and not stem.endswith(".min") and not has_source_map


def minify(text: str, kind: str) -> str:
    if kind == "css":
        if _QUOTED_URL_WITH_SPACE.search(text):
            text = _encode_url_spaces(text)
        return rcssmin.cssmin(text, keep_bang_comments=True)
    if kind == "js":
        return rjsmin.jsmin(text, keep_bang_comments=True)
    return text


def _encode_url_spaces(text: str) -> str:
    """Percent-encode spaces and tabs in url() references: the same URL to a browser, and
    it survives rcssmin. Left alone: data: URLs (rcssmin keeps them) and CSS escapes."""
    refs, _ = css.references(text)
    edits = [
        (r.start, r.end, r.url.replace(" ", "%20").replace("\t", "%09"))
        for r in refs
        if r.kind == "url" and ("\\" not in r.url) and not r.url.lower().startswith("data:") and re.search(r"[ \t]", r.url)
    ]
    return rewrite(text, edits) if edits else text


def versions() -> str:
    return f"rcssmin {rcssmin.__version__}, rjsmin {rjsmin.__version__}"
