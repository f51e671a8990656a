"""Choosing a precompressed variant from `Accept-Encoding` (RFC 9110 §12.5.3).

q-values are honoured; among equally acceptable codings brotli wins over gzip (it is
smaller), and both win over identity unless the client ranks identity strictly higher.
A coding the client did not accept (absent without `*`, or `q=0`) is never chosen.
"""

from __future__ import annotations

from collections.abc import Iterable

PREFERENCE = ("br", "gzip")  # on equal q
_ALIASES = {"x-gzip": "gzip"}


def parse(header: str | None) -> dict[str, float]:
    """`"br;q=0.9, gzip, *;q=0"` -> {"br": 0.9, "gzip": 1.0, "*": 0.0}; a bad q counts as 0."""
    accepted: dict[str, float] = {}
    for item in (header or "").split(","):
        coding, _, params = item.partition(";")
        coding = _ALIASES.get(coding.strip().lower(), coding.strip().lower())
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        accepted[coding] = max(q, accepted.get(coding, 0.0))
    return accepted


def choose(header: str | None, available: Iterable[str]) -> str | None:
    """The coding to send ('br' or 'gzip') among `available`, or None for identity."""
    accepted = parse(header)
    star = accepted.get("*", 0.0)
    best, best_q = None, 0.0
    for coding in PREFERENCE:
        if coding not in available:
            continue
        q = accepted.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    if best is not None and "identity" in accepted and accepted["identity"] > best_q:
        return None
    return best
