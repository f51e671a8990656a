"""Minification with rcssmin and rjsmin: whitespace and comments only, license
comments (`/*! … */`) kept. Never for `*.min.*` files, and never for a file that
carries a source map (the map's columns would no longer match).

A minified text is used only when minify_check shows it is the same program (the same
tokens, no line break removed where ASI could apply; for CSS the same rules,
declarations and strings). Otherwise the source is used as it is, with a note saying
what the minifier would have changed: a fingerprinted file is cached for a year."""

from __future__ import annotations

import posixpath
import re

import rcssmin
import rjsmin

from .compilers import css, rewrite
from .errors import ConfigError
from .minify_check import css_difference, js_difference

# A quoted url() with whitespace in it: rcssmin strips whitespace inside url(), quoted or
# not (its documented rule, except for data: URLs), which would turn "a b.png" into "ab.png".
_QUOTED_URL_WITH_SPACE = re.compile(r"""url\(\s*(["'])[^"'\n]*?\s""", re.I)


def js_minifier(setting: str | bool) -> str | None:
    """The JS minifier a `minify_js` setting selects: rjsmin for "auto" and "rjsmin",
    None for false. Why no parser-based minifier: docs/minify.md."""
    if setting is False:
        return None
    if setting in ("auto", "rjsmin"):
        return "rjsmin"
    raise ConfigError(f'minify_js must be "auto", "rjsmin" or false, not {setting!r} (see docs/minify.md)')


def should_minify(name: str, kind: str, has_source_map: bool) -> bool:
    stem = posixpath.splitext(posixpath.basename(name))[0]
    return kind in ("css", "js") and not stem.endswith(".min") and not has_source_map


def minify(text: str, kind: str) -> tuple[str, str | None]:
    """(output, note): the minified text, or the text itself and why it was not minified."""
    if kind == "css":
        prepared = _encode_url_spaces(text) if _QUOTED_URL_WITH_SPACE.search(text) else text
        out = rcssmin.cssmin(prepared, keep_bang_comments=True)
        why = css_difference(prepared, out)
        return (text, f"not minified (rcssmin): {why}") if why else (out, None)
    if kind == "js":
        out = rjsmin.jsmin(text, keep_bang_comments=True)
        why = js_difference(text, out)
        return (text, f"not minified (rjsmin): {why}") if why else (out, None)
    return text, None


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
