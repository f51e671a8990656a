"""Durations as users write them: '7d', '12h', '1d12h', '30m', '0s'."""

from __future__ import annotations

import re
from datetime import timedelta

from .errors import ConfigError

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


LONGEST = timedelta(days=3660)  # ten years: retention has no use for more


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '1d12h', '30m', '0s' -> timedelta, at most ten years. Raises ConfigError
    naming the value."""
    value = text.strip().lower()
    if not value or _DURATION.sub("", value):
        raise ConfigError(f"invalid duration {text!r} (use e.g. 7d, 12h, 1d12h, 30m, 0s)")
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(value))
    if seconds > LONGEST.total_seconds():
        raise ConfigError(f"duration {text!r} is longer than ten years")
    return timedelta(seconds=seconds)
