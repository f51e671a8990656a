"""Generate the sample site's binary assets (and the prebuilt vendor module) from code.

    .venv/bin/pip install fonttools    # a development tool only, not a dependency
    .venv/bin/python sample_site/tools/generate.py

Writes, under sample_site/assets/:

* fonts/tidemark.{woff2,woff,eot}: "Tidemark", our own 5x7 pixel display face
  (glyphs in glyphs.py), built with fontTools. The EOT exists for the classic
  `?#iefix` @font-face pattern; browsers that read WOFF2 never fetch it.
* img/grain.png: a small tileable paper-grain texture (transparent noise).
* favicon.ico: 16x16 and 32x32 PNG images in one ICO container.
* js/vendor/timeago.min.js and .map: tools/src/timeago.js "minified" (lines
  trimmed and joined) with a real source map (VLQ mappings, sourcesContent).

The output is committed; run this again only after changing it. It is deterministic:
the same inputs give the same bytes (fixed font timestamps, seeded noise).
"""

from __future__ import annotations

import json
import math
import struct
import sys
import zlib
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSETS = HERE.parent / "assets"
sys.path.insert(0, str(HERE))

from glyphs import GLYPHS

FAMILY = "Tidemark"
UPM = 1000
PIXEL = 100  # font units per bitmap pixel
ADVANCE = 6 * PIXEL  # 5 columns of ink plus one of spacing
FIXED_TIME = 3_000_000_000  # seconds since 1904 (2000-01-24): head.created/modified, for stable bytes


# -- font ---------------------------------------------------------------------------
def glyph_name(char: str) -> str:
    from fontTools.agl import UV2AGL

    return UV2AGL.get(ord(char), f"uni{ord(char):04X}")


def draw_bitmap(rows: list[str]):
    """A TrueType glyph: one clockwise rectangle per horizontal run of ink in each row."""
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    for r, row in enumerate(rows):
        top = (7 - r) * PIXEL
        bottom = top - PIXEL
        c = 0
        while c < len(row):
            if row[c] != "#":
                c += 1
                continue
            start = c
            while c < len(row) and row[c] == "#":
                c += 1
            left, right = start * PIXEL, c * PIXEL
            pen.moveTo((left, bottom))
            pen.lineTo((left, top))
            pen.lineTo((right, top))
            pen.lineTo((right, bottom))
            pen.closePath()
    return pen.glyph()


def build_font():
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = {char: glyph_name(char) for char in GLYPHS}
    order = [".notdef", *names.values()]
    cmap = {ord(char): name for char, name in names.items()}
    for char, name in names.items():
        if char.isalpha() and char.lower() != char:
            cmap[ord(char.lower())] = name  # a caps-only display face
    notdef = TTGlyphPen(None)
    for (x0, y0, x1, y1) in ((0, 0, 500, 700), (100, 100, 400, 600)):
        # a box with a counter: outer clockwise, inner counter-clockwise
        pts = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
        if x0:
            pts.reverse()
        notdef.moveTo(pts[0])
        for p in pts[1:]:
            notdef.lineTo(p)
        notdef.closePath()
    glyphs = {".notdef": notdef.glyph(), **{names[c]: draw_bitmap(GLYPHS[c].split()) for c in GLYPHS}}

    fb = FontBuilder(UPM, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    fb.setupGlyf(glyphs)
    glyf = fb.font["glyf"]
    fb.setupHorizontalMetrics({name: (ADVANCE, getattr(glyf[name], "xMin", 0)) for name in order})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({
        "familyName": FAMILY,
        "styleName": "Regular",
        "uniqueFontIdentifier": f"{FAMILY}-Regular-1.0",
        "fullName": f"{FAMILY} Regular",
        "psName": f"{FAMILY}-Regular",
        "version": "Version 1.000",
        "copyright": "Tidemark is part of the assetpub sample site (MIT licence).",
    })
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, sTypoLineGap=0, usWinAscent=800, usWinDescent=200,
                sxHeight=700, sCapHeight=700, achVendID="APUB", fsType=0)
    fb.setupPost()
    fb.updateHead(created=FIXED_TIME, modified=FIXED_TIME)
    fb.font.recalcTimestamp = False
    return fb.font


def font_bytes(font, flavor: str | None) -> bytes:
    font.flavor = flavor
    out = BytesIO()
    font.save(out, reorderTables=True)
    font.flavor = None
    return out.getvalue()


def eot(ttf: bytes, font) -> bytes:
    """An uncompressed Embedded OpenType (version 0x00020001) wrapping the TrueType bytes."""
    os2, name = font["OS/2"], font["name"]

    def utf16(name_id: int) -> bytes:
        return name.getDebugName(name_id).encode("utf-16-le")

    panose = os2.panose
    head = struct.pack(
        "<IIII10sBBIHH4I2II4I",
        0, len(ttf), 0x00020001, 0,
        bytes([panose.bFamilyType, panose.bSerifStyle, panose.bWeight, panose.bProportion, panose.bContrast,
               panose.bStrokeVariation, panose.bArmStyle, panose.bLetterForm, panose.bMidline, panose.bXHeight]),
        1, 0, os2.usWeightClass, os2.fsType, 0x504C,
        os2.ulUnicodeRange1, os2.ulUnicodeRange2, os2.ulUnicodeRange3, os2.ulUnicodeRange4,
        os2.ulCodePageRange1, os2.ulCodePageRange2,
        font["head"].checkSumAdjustment,
        0, 0, 0, 0,
    )
    names = b""
    for name_id in (1, 2, 5, 4):  # family, style, version, full name, each after a zero padding
        data = utf16(name_id)
        names += struct.pack("<HH", 0, len(data)) + data
    names += struct.pack("<HH", 0, 0)  # padding, empty root string
    body = head + names + ttf
    return struct.pack("<I", len(body)) + body[4:]


# -- images -------------------------------------------------------------------------
def png(width: int, height: int, pixels: list[tuple[int, int, int, int]]) -> bytes:
    """An 8-bit RGBA PNG (filter 0 on every row)."""
    raw = b"".join(
        b"\x00" + b"".join(bytes(pixels[y * width + x]) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def grain(size: int = 96) -> bytes:
    """Sparse warm-grey specks at low alpha: paper grain over any background colour."""
    state = 20260101
    pixels = []
    for _ in range(size * size):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF  # a seeded LCG: same bytes every run
        v = state >> 16
        alpha = 0 if v % 5 else 10 + v % 14
        pixels.append((92, 72, 48, alpha))
    return png(size, size, pixels)


def mark(size: int) -> bytes:
    """The station mark: a deep-teal disc, a low sun, a sand-coloured wave (4x4 supersampled)."""
    teal, sand, sun = (15, 76, 92), (242, 232, 207), (244, 162, 89)
    pixels = []
    for y in range(size):
        for x in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(4):
                for sx in range(4):
                    u = (x + (sx + 0.5) / 4) / size
                    v = (y + (sy + 0.5) / 4) / size
                    if (u - 0.5) ** 2 + (v - 0.5) ** 2 > 0.48 ** 2:
                        continue
                    wave = 0.6 + 0.07 * math.sin(2 * math.pi * (u * 1.6 + 0.1))
                    if v > wave:
                        color = sand
                    elif (u - 0.66) ** 2 + (v - 0.38) ** 2 < 0.13 ** 2:
                        color = sun
                    else:
                        color = teal
                    for i in range(3):
                        acc[i] += color[i]
                    acc[3] += 255
            n = acc[3] / 255
            pixels.append(tuple(round(acc[i] / n) if n else 0 for i in range(3)) + (round(acc[3] / 16),))
    return png(size, size, pixels)


def ico(images: list[tuple[int, bytes]]) -> bytes:
    """An ICO holding PNG images (supported by every current browser)."""
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = len(head) + 16 * len(images)
    entries, data = b"", b""
    for size, image in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset + len(data))
        data += image
    return head + entries + data


# -- the vendor module and its source map ------------------------------------------
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def vlq(value: int) -> str:
    n = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit, n = n & 31, n >> 5
        out += _B64[digit | (32 if n else 0)]
        if not n:
            return out


def minify_with_map(source: str, *, name: str, source_name: str) -> tuple[str, str]:
    """Drop comment lines, trim and join the rest; map each piece back to its line."""
    code, segments = "", []
    prev_col = prev_line = prev_src_col = 0
    for line_no, line in enumerate(source.splitlines()):
        text = line.strip()
        if not text or text.startswith("//"):
            continue
        src_col = len(line) - len(line.lstrip())
        col = len(code)
        segments.append(vlq(col - prev_col) + vlq(0) + vlq(line_no - prev_line) + vlq(src_col - prev_src_col))
        prev_col, prev_line, prev_src_col = col, line_no, src_col
        code += text
    source_map = {
        "version": 3,
        "file": name,
        "sources": [source_name],
        "sourcesContent": [source],
        "names": [],
        "mappings": ",".join(segments),
    }
    return code + f"\n//# sourceMappingURL={name}.map\n", json.dumps(source_map, indent=None, separators=(",", ":")) + "\n"


def main() -> None:
    font = build_font()
    ttf = font_bytes(font, None)
    font = build_font()  # a fresh object: flavours must not share compiled state
    written = {
        "fonts/tidemark.woff2": font_bytes(font, "woff2"),
        "fonts/tidemark.woff": font_bytes(build_font(), "woff"),
        "fonts/tidemark.eot": eot(ttf, build_font()),
        "img/grain.png": grain(),
        "favicon.ico": ico([(16, mark(16)), (32, mark(32))]),
    }
    source = (HERE / "src" / "timeago.js").read_text(encoding="utf-8")
    code, source_map = minify_with_map(source, name="timeago.min.js", source_name="timeago.js")
    written["js/vendor/timeago.min.js"] = code.encode()
    written["js/vendor/timeago.min.js.map"] = source_map.encode()
    for rel, data in written.items():
        path = ASSETS / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{len(data):>7} bytes  {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
