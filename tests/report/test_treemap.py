"""The squarified treemap: areas in proportion to the values, no overlaps, inside the frame."""

from __future__ import annotations

import random

import pytest

from assetpub.report.treemap import layout, squarify

EPS = 1e-9


def _inside(r, frame):
    x, y, w, h = r
    fx, fy, fw, fh = frame
    return x >= fx - EPS and y >= fy - EPS and x + w <= fx + fw + EPS and y + h <= fy + fh + EPS


def _overlap(a, b) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("frame", [(0, 0, 1.6, 1), (10, 5, 3, 7)])
def test_squarify_areas_proportional_disjoint_inside(seed, frame):
    rng = random.Random(seed)
    values = [rng.choice([0, 1, 5, 100, rng.randint(1, 10_000)]) for _ in range(rng.randint(1, 60))]
    rects = squarify(values, frame)
    assert len(rects) == len(values)
    total, area = sum(values), frame[2] * frame[3]
    for v, r in zip(values, rects):
        assert r[2] >= -EPS and r[3] >= -EPS
        assert _inside(r, frame)
        expected = area * v / total if total else 0
        assert abs(r[2] * r[3] - expected) <= 1e-9 * area
    positive = [r for v, r in zip(values, rects) if v > 0]
    for i, a in enumerate(positive):
        for b in positive[i + 1 :]:
            assert _overlap(a, b) <= 1e-9 * area
    if total:  # they tile the frame
        assert abs(sum(r[2] * r[3] for r in positive) - area) <= 1e-9 * area


def test_squarify_is_squarish_and_deterministic():
    values = [6, 6, 4, 3, 2, 2, 1]  # the paper's example
    rects = squarify(values, (0, 0, 6, 4))
    assert rects == squarify(values, (0, 0, 6, 4))
    worst = max(max(w / h, h / w) for _, _, w, h in rects)
    assert worst < 3  # slices would give 24 for the smallest


def test_squarify_all_zero_and_empty():
    assert squarify([], (0, 0, 1, 1)) == []
    assert [r[2] * r[3] for r in squarify([0, 0], (0, 0, 1, 1))] == [0, 0]


def test_nested_layout_files_inside_their_directories():
    rng = random.Random(7)
    names = [f"{d}/{s}/f{i}.js" for i, (d, s) in enumerate((rng.choice("abc"), rng.choice("xy")) for _ in range(200))]
    names += ["top.html", "a/direct.css"]
    values = {n: rng.randint(1, 5000) for n in names}
    frame = (0, 0, 1.6, 1)
    files, dirs = layout(values, frame)
    assert set(files) == set(values)
    assert {"a", "b", "c", "a/x", "a/y"} <= set(dirs)
    total = sum(values.values())
    for name, r in files.items():
        assert abs(r[2] * r[3] - 1.6 * values[name] / total) < 1e-9
        parent = name.rsplit("/", 1)[0] if "/" in name else None
        if parent:
            assert _inside(r, dirs[parent])
    for name, r in dirs.items():
        share = sum(v for n, v in values.items() if n.startswith(name + "/")) / total
        assert abs(r[2] * r[3] - 1.6 * share) < 1e-9
    rects = list(files.values())
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert _overlap(a, b) < 1e-12
