"""HTML references: src, href, poster and srcset attributes, outside comments and
outside <script>/<style> bodies (inline <style> bodies and style="…" attributes are
scanned with the CSS scanner)."""

from __future__ import annotations

import re

from . import Note, Ref, css

_TOKEN = re.compile(
    r"""
      (?P<comment><!--.*?(?:-->|\Z))
    | (?P<style><style\b[^>]*>)(?P<css>.*?)</style\s*>
    | (?P<script><script\b[^>]*>).*?</script\s*>
    | (?P<tag><[a-zA-Z][^\s/>]*)(?P<attrs>(?:[^>"']|"[^"]*"|'[^']*')*)>
    """,
    re.S | re.X | re.I,
)
# Every attribute, name and value, in one pass: a value is never rescanned for names
# (alt="see src=x"), and a bound attribute (`:src`, `v-bind:src`) is not `src`.
_ATTR = re.compile(
    r"""(?P<name>[^\s"'=<>/`]+)(?:\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\s"'=<>`]+)))?"""
)
_URL_ATTRS = frozenset({"src", "href", "poster", "srcset", "style", "xlink:href"})
# A value built by a template engine ({{ x }}, {% … %}, ${x}, <%= x %>) names no file.
_TEMPLATE = re.compile(r"\{\{|\{%|\$\{|<%")
# <a href> and <area href> point at pages, which may live outside the asset tree:
# rewritten when they name an asset, never reported as missing.
_NAVIGATION_TAGS = frozenset({"a", "area"})
_SRCSET_ITEM = re.compile(r"\s*([^\s,]+)(?:\s+[^,]*)?,?")


def references(text: str) -> tuple[list[Ref], list[Note]]:
    refs: list[Ref] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if m.group("style") is not None:
            body_refs, _ = css.references(m.group("css"))
            refs.extend(Ref(r.url, r.start + m.start("css"), r.end + m.start("css"), r.kind) for r in body_refs)
            continue
        if m.group("script") is not None:
            _attrs(m.start("script"), m.group("script"), refs)
        elif m.group("tag") is not None:
            _attrs(m.start(), m.group(), refs, navigation=m.group("tag")[1:].lower() in _NAVIGATION_TAGS)
        del kind
    return refs, []


def _attrs(offset: int, tag: str, refs: list[Ref], navigation: bool = False) -> None:
    for a in _ATTR.finditer(tag):
        name = a.group("name").lower()
        g = next((g for g in ("dq", "sq", "uq") if a.group(g) is not None), None)
        if name not in _URL_ATTRS or g is None or _TEMPLATE.search(a.group(g)):
            continue
        value, start = a.group(g), offset + a.start(g)
        if name == "style":
            body_refs, _ = css.references(value)
            # a URL written with character references (&quot;) is left alone, not guessed at
            refs.extend(Ref(r.url, start + r.start, start + r.end) for r in body_refs if "&" not in r.url)
        elif name == "srcset":
            for item in _SRCSET_ITEM.finditer(value):
                if item.group(1):
                    refs.append(Ref(item.group(1), start + item.start(1), start + item.end(1)))
        else:
            kind = "navigation" if navigation and name in ("href", "xlink:href") else "url"
            refs.append(Ref(value, start, start + len(value), kind))
