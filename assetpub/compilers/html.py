"""HTML references: src, href, poster and srcset attributes, outside comments and
outside <script>/<style> bodies (inline <style> bodies and style="…" attributes are
scanned with the CSS scanner).

Tags and attributes are read as the HTML tokenizer reads them, in one pass: every
character is looked at a bounded number of times (a tag whose quote or `>` never comes
runs to the end of the text, as in a browser), so scanning is linear in the input."""

from __future__ import annotations

import re

from . import Note, Ref, css
from .jslex import LexError

_MARKUP = re.compile(r"<(?:(?P<comment>!--)|(?P<tag>[a-zA-Z][^\s/>]*))")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/>=]*")
_SPACE = re.compile(r"[\s/]*")
_UNQUOTED = re.compile(r"[^\s>]*")
_RAW_TEXT = {"style": re.compile(r"</style", re.I), "script": re.compile(r"</script", re.I)}
_URL_ATTRS = frozenset({"src", "href", "poster", "srcset", "style", "xlink:href"})
# A value built by a template engine ({{ x }}, {% … %}, ${x}, <%= x %>) names no file.
_TEMPLATE = re.compile(r"\{\{|\{%|\$\{|<%")
# <a href> and <area href> point at pages, which may live outside the asset tree:
# rewritten when they name an asset, never reported as missing.
_NAVIGATION_TAGS = frozenset({"a", "area"})
_SRCSET_ITEM = re.compile(r"([^\s,]+)(?:\s[^,]*)?")


def references(text: str) -> tuple[list[Ref], list[Note]]:
    refs: list[Ref] = []
    pos = 0
    n = len(text)
    while (m := _MARKUP.search(text, pos)) is not None:
        if m.group("comment"):
            end = text.find("-->", m.end())
            pos = n if end < 0 else end + 3
            continue
        tag = m.group("tag").lower()
        attrs, pos = _read_tag(text, m.end())
        _attrs(attrs, refs, navigation=tag in _NAVIGATION_TAGS)
        if pos >= n:
            break
        raw = _RAW_TEXT.get(tag)
        if raw is not None:  # a <style> or <script> body: raw text up to its end tag
            close = raw.search(text, pos)
            body_end = n if close is None else close.start()
            if tag == "style":
                refs.extend(Ref(r.url, r.start + pos, r.end + pos, r.kind) for r in _css(text[pos:body_end], pos))
            pos = body_end if close is None else close.end()
    return refs, []


def _read_tag(text: str, pos: int) -> tuple[list[tuple[str, str | None, int]], int]:
    """Attributes (name, value or None, value start) from after a tag's name to just after
    its `>` (or the end of the text)."""
    n = len(text)
    attrs: list[tuple[str, str | None, int]] = []
    while True:
        pos = _SPACE.match(text, pos).end()
        if pos >= n:
            return attrs, n
        if text[pos] == ">":
            return attrs, pos + 1
        name_end = _ATTR_NAME.match(text, pos).end()
        name = text[pos:name_end]
        pos = _skip_ws(text, name_end)
        if not text.startswith("=", pos):
            attrs.append((name, None, pos))
            continue
        pos = _skip_ws(text, pos + 1)
        if pos < n and text[pos] in "\"'":
            close = text.find(text[pos], pos + 1)
            if close < 0:  # the value runs to the end of the text: so does the tag
                return attrs, n
            attrs.append((name, text[pos + 1 : close], pos + 1))
            pos = close + 1
        else:
            end = _UNQUOTED.match(text, pos).end()
            attrs.append((name, text[pos:end] if end > pos else None, pos))
            pos = end


_WS = re.compile(r"\s*")


def _skip_ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


def _css(text: str, offset: int) -> list[Ref]:
    """References in an inline style sheet or style attribute (spans relative to it)."""
    try:
        return css.references(text)[0]
    except LexError as e:
        raise LexError(e.pos + offset, str(e)) from None


def _attrs(attrs, refs: list[Ref], navigation: bool = False) -> None:
    for raw_name, value, start in attrs:
        name = raw_name.lower()
        if name not in _URL_ATTRS or value is None or _TEMPLATE.search(value):
            continue
        if name == "style":
            body_refs = _css(value, start)
            # a URL written with character references (&quot;) is left alone, not guessed at
            refs.extend(Ref(r.url, start + r.start, start + r.end) for r in body_refs if "&" not in r.url)
        elif name == "srcset":
            for item in _SRCSET_ITEM.finditer(value):
                if item.group(1):
                    refs.append(Ref(item.group(1), start + item.start(1), start + item.end(1)))
        else:
            kind = "navigation" if navigation and name in ("href", "xlink:href") else "url"
            refs.append(Ref(value, start, start + len(value), kind))
