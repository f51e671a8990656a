"""Scanners on crafted input: wall time to scan 64 KB files built to be slow.

    python benchmarks/bench_adversarial.py [--size 65536]

Each family (the inputs reported in issue 15 among them) is scanned once by its
scanner; the minifier's check is timed on the JS and CSS ones too. Prints seconds per
family, slowest first. tests/security/test_scanners.py asserts linearity by counting
operations; this measures time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assetpub.compilers import css, html, js, jslex  # noqa: E402
from assetpub.minify_check import css_difference, js_difference  # noqa: E402
from tests.security.test_scanners import CSS, HTML, JS  # noqa: E402


def timed(fn, text: str) -> float:
    started = time.perf_counter()
    try:
        fn(text)
    except jslex.LexError:
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=65536)
    size = parser.parse_args().size
    rows = []
    for kind, families, scan, check in (
        ("js", JS, js.references, lambda t: js_difference(t, t)),
        ("css", CSS, css.references, lambda t: css_difference(t, t)),
        ("html", HTML, html.references, None),
    ):
        for name, make in families.items():
            text = make(size)
            rows.append((timed(scan, text), f"{kind} scan: {name}", len(text)))
            if check is not None:
                rows.append((timed(check, text), f"{kind} minify check: {name}", len(text)))
    for seconds, label, length in sorted(rows, reverse=True):
        print(f"{seconds:8.4f} s  {length:7d} chars  {label}")
    print(f"slowest: {max(rows)[0]:.4f} s")


if __name__ == "__main__":
    main()
