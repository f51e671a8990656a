"""A squarified treemap (Bruls, Huizing, van Wijk, 2000), nested by directory.

Every rectangle's area is proportional to its value and the rectangles of one level
tile their parent exactly (no padding), so a file's share of the frame is its share of
the bytes, and zooming into a directory (scaling its rectangle to the frame) keeps every
area in proportion. Rectangles are (x, y, w, h) in the units of the frame given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

Rect = tuple[float, float, float, float]


def squarify(values: Sequence[float], frame: Rect) -> list[Rect]:
    """One rectangle per value (in the order given) tiling `frame`, areas in proportion
    to the values, as close to squares as the greedy row algorithm gets. Zero values get
    zero-area rectangles."""
    x, y, w, h = frame
    total = float(sum(values))
    out: list[Rect] = [(x, y, 0.0, 0.0)] * len(values)
    if total <= 0 or w <= 0 or h <= 0:
        return out
    scale = w * h / total
    order = sorted((i for i, v in enumerate(values) if v > 0), key=lambda i: (-values[i], i))
    start = 0
    while start < len(order):
        side = min(w, h)
        # grow the row while the worst aspect ratio in it does not get worse
        first = values[order[start]] * scale
        row_sum, row_min, row_max = first, first, first
        end = start + 1
        worst = _worst(row_sum, row_min, row_max, side)
        while end < len(order):
            a = values[order[end]] * scale
            s, lo, hi = row_sum + a, min(row_min, a), max(row_max, a)
            candidate = _worst(s, lo, hi, side)
            if candidate > worst:
                break
            row_sum, row_min, row_max, worst = s, lo, hi, candidate
            end += 1
        column = w >= h  # a column on the left, else a row along the top
        span = h if column else w  # the length the row's items share
        if end == len(order):  # the last row fills what is left exactly
            strip = w if column else h
        else:
            strip = row_sum / span
        offset = 0.0
        for k in range(start, end):
            i = order[k]
            size = span - offset if k == end - 1 else values[i] * scale / strip
            out[i] = (x, y + offset, strip, size) if column else (x + offset, y, size, strip)
            offset += size
        if column:
            x, w = x + strip, w - strip
        else:
            y, h = y + strip, h - strip
        start = end
    return out


def _worst(total: float, smallest: float, largest: float, side: float) -> float:
    side2, total2 = side * side, total * total
    return max(side2 * largest / total2, total2 / (side2 * smallest))


@dataclass
class Node:
    """A directory (children) or a file (value) of the tree to lay out."""

    name: str  # the path from the root: "js/vendor" or "js/vendor/a.js"; "" for the root
    value: float = 0.0
    children: dict[str, Node] = field(default_factory=dict)


def tree(values: dict[str, float]) -> Node:
    """The directory tree of POSIX names with their values; directories sum their files."""
    root = Node("")
    for name, value in values.items():
        node = root
        parts = name.split("/")
        for depth, part in enumerate(parts[:-1]):
            key = part + "/"
            node = node.children.setdefault(key, Node("/".join(parts[: depth + 1])))
            node.value += value
        node.children[parts[-1]] = Node(name, value)
        root.value += value
    return root


def layout(values: dict[str, float], frame: Rect = (0.0, 0.0, 1.0, 1.0)) -> tuple[dict[str, Rect], dict[str, Rect]]:
    """({file: rect}, {directory: rect}) of the nested treemap of `values` in `frame`."""
    root = tree(values)
    files: dict[str, Rect] = {}
    dirs: dict[str, Rect] = {}
    stack = [(root, frame)]
    while stack:
        node, rect = stack.pop()
        keys = sorted(node.children)
        rects = squarify([node.children[k].value for k in keys], rect)
        for key, r in zip(keys, rects, strict=True):
            child = node.children[key]
            if key.endswith("/"):
                dirs[child.name] = r
                stack.append((child, r))
            else:
                files[child.name] = r
    return files, dirs
