"""CSS references: url() in all its forms, @import with a string, image-set() strings,
and a trailing `/*# sourceMappingURL=… */`. Comments and ordinary strings are skipped,
so `/* url(x.png) */` and `content: "url(x.png)"` are not references."""

from __future__ import annotations

import re

from . import Note, Ref

_DQ = r'"(?:\\.|[^"\\\n])*"'
_SQ = r"'(?:\\.|[^'\\\n])*'"
_TOKEN = re.compile(
    rf"""
    (?=[/uU@iI\-"'])  # every token starts with one of these: lets the engine skip the rest fast
    (?:
      (?P<comment>/\*.*?(?:\*/|\Z))
    | (?P<url>(?<![\w-])url\(\s*(?:"(?P<dq>(?:\\.|[^"\\\n])*)"|'(?P<sq>(?:\\.|[^'\\\n])*)'|(?P<uq>[^)"'\s]*))\s*\))
    | (?P<import>@import\s*(?:"(?P<idq>(?:\\.|[^"\\\n])*)"|'(?P<isq>(?:\\.|[^'\\\n])*)'))
    | (?P<imageset>(?<![\w-])(?:-webkit-)?image-set\()
    | (?P<string>{_DQ}|{_SQ})
    )
    """,
    re.S | re.X | re.I,
)
# url(…) is consumed whole here (its string is not a bare image-set string); the rescan
# below finds it as a url() reference.
_IMAGESET_TOKEN = re.compile(
    rf"""(?P<comment>/\*.*?(?:\*/|\Z))
    | (?P<url>(?<![\w-])url\(\s*(?:{_DQ}|{_SQ}|[^)"'\s]*)\s*\))
    | (?P<string>{_DQ}|{_SQ}) | (?P<open>\() | (?P<close>\))""",
    re.S | re.X | re.I,
)
# Case-sensitive on purpose: browsers ignore `sOuRcEMaPpInGURL`.
_SOURCE_MAP = re.compile(r"/\*[#@][ \t]+sourceMappingURL=([^\s*]+)\s*\*/\Z")
_URL_GROUPS = ("dq", "sq", "uq", "idq", "isq")


def references(text: str) -> tuple[list[Ref], list[Note]]:
    refs: list[Ref] = []
    pos = 0
    while (m := _TOKEN.search(text, pos)) is not None:
        pos = m.end()
        kind = m.lastgroup
        if kind == "comment":
            sm = _SOURCE_MAP.match(m.group())
            if sm and not text[m.end():].strip():
                refs.append(Ref(sm.group(1), m.start() + sm.start(1), m.start() + sm.end(1), "sourcemap", m.span()))
        elif kind in ("url", "import"):
            for g in _URL_GROUPS:
                if m.group(g) is not None:
                    refs.append(Ref(m.group(g), m.start(g), m.end(g), "import" if kind == "import" else "url"))
                    break
        elif kind == "imageset":
            pos = _image_set(text, pos, refs)
    return refs, []


def _image_set(text: str, pos: int, refs: list[Ref]) -> int:
    """Strings given directly to image-set( … ) are URLs, not those inside a nested
    function (`type("image/avif")`); url() inside is found by the main scan."""
    depth = 1
    start = pos
    while depth and (m := _IMAGESET_TOKEN.search(text, pos)) is not None:
        pos = m.end()
        if m.lastgroup == "string" and depth == 1:
            refs.append(Ref(m.group()[1:-1], m.start() + 1, m.end() - 1))
        elif m.lastgroup == "open":
            depth += 1
        elif m.lastgroup == "close":
            depth -= 1
    # rescan the body for url() forms with the main scanner
    body_refs, _ = references(text[start:pos])
    refs.extend(Ref(r.url, r.start + start, r.end + start, r.kind) for r in body_refs if r.kind == "url")
    return pos
