"""Just enough PNG decoding to look at screenshot pixels (8-bit RGB/RGBA, not interlaced)."""

from __future__ import annotations

import struct
import zlib


def pixels(data: bytes) -> tuple[int, list[tuple[int, int, int]]]:
    """(width, every pixel as (r, g, b) row by row); alpha is dropped (screenshots are opaque)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None, "PNG without IHDR"
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and not interlace, f"unsupported PNG {header}"
    bpp = 4 if color == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    out: list[tuple[int, int, int]] = []
    prev = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.extend((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, bpp))
        prev = line
    return width, out


def count_near(data: bytes, rgb: tuple[int, int, int], *, tolerance: int = 24, columns: int | None = None) -> int:
    """How many pixels of the PNG (in its first `columns` columns, if given) are within
    `tolerance` per channel of `rgb`."""
    width, found = pixels(data)
    limit = width if columns is None else columns
    return sum(
        1 for n, p in enumerate(found) if n % width < limit and all(abs(p[i] - rgb[i]) <= tolerance for i in range(3))
    )
