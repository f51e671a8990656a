"""Size budgets: `[[budgets]]` rules checked against a build's manifest.

    [[budgets]]
    match = "js/**/*.js"     # a glob over logical names (globs.py)
    max_br = "150 KB"        # each matching file, brotli (or identity when it has no .br)
    [[budgets]]
    match = "**/*.js"
    total = true             # the sum of every matching file
    max_gz = "400 KB"

Sizes are what a browser downloads: `raw` the file itself, `gz` and `br` its variant, or
the file itself when the build wrote none (an image). A size is a number of bytes or a
string with a unit: B, KB, MB (1000s, as assetpub prints sizes), KiB, MiB (1024s).
Pages rendered by `pages` are in the manifest, so budgets count them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .errors import BudgetExceeded
from .globs import matches
from .manifest import Entry

MEASURES = ("raw", "gz", "br")
MEASURE_NAMES = {"raw": "raw", "gz": "gzip", "br": "brotli"}
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
KEYS = ("match", "total", *(f"max_{m}" for m in MEASURES))


def human_bytes(n: int) -> str:
    """150000 -> "150.0 KB": sizes as assetpub prints them (1000s, as parse_size reads them)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def parse_size(value: Any) -> int | None:
    """Bytes from 150000, "150 KB", "1.5MB" or "64 KiB"; None when it is not a size."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str) or not (m := _SIZE.fullmatch(value)) or m[2].lower() not in _UNITS:
        return None
    return round(float(m[1]) * _UNITS[m[2].lower()])


@dataclass(frozen=True)
class Budget:
    """One `[[budgets]]` table: limits in bytes per measure (None: no limit)."""

    match: str
    max_raw: int | None = None
    max_gz: int | None = None
    max_br: int | None = None
    total: bool = False

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Budget:
        """From a validated table (see `problem`)."""
        return cls(
            match=table["match"],
            total=bool(table.get("total", False)),
            **{f"max_{m}": parse_size(table[f"max_{m}"]) for m in MEASURES if f"max_{m}" in table},
        )

    def limits(self) -> list[tuple[str, int]]:
        return [(m, limit) for m in MEASURES if (limit := getattr(self, f"max_{m}")) is not None]

    def describe(self) -> str:
        return f"{'total ' if self.total else ''}{self.match}"


def problem(table: Any) -> str | None:
    """What is wrong with one `[[budgets]]` table, or None."""
    if isinstance(table, Budget):
        return None
    if not isinstance(table, dict):
        return "is not a table"
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        return f"has unknown key {unknown[0]!r} (known: {', '.join(KEYS)})"
    if not isinstance(table.get("match"), str) or not table["match"].strip():
        return "needs 'match', a glob such as \"js/**/*.js\""
    if not isinstance(table.get("total", False), bool):
        return "'total' must be true or false"
    limits = [k for k in KEYS if k.startswith("max_") and k in table]
    if not limits:
        return "needs at least one of max_raw, max_gz, max_br"
    for key in limits:
        if parse_size(table[key]) is None:
            return f"{key} must be a size such as \"150 KB\" or a number of bytes, not {table[key]!r}"
    return None


def sizes(entry: Entry) -> dict[str, int]:
    """{raw, gz, br} bytes of one manifest entry: a missing variant (or size) costs the file itself."""
    def size(coding: str) -> int:
        variant = entry.encodings.get(coding)
        return entry.size if variant is None or variant.size is None else variant.size

    return {"raw": entry.size, "gz": size("gzip"), "br": size("br")}


@dataclass(frozen=True)
class BudgetUse:
    """One limit of one budget against a build: the largest matching file (or the total)."""

    budget: Budget
    measure: str
    limit: int
    used: int  # the largest matching file's size, or the total
    file: str | None  # that file (None for a total, or when nothing matches)
    files: int  # how many files match
    over: tuple[tuple[str, int], ...] = ()  # (name, size) of every file over the limit (per-file budgets)

    @property
    def exceeded(self) -> bool:
        return self.used > self.limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "match": self.budget.match,
            "total": self.budget.total,
            "measure": self.measure,
            "limit": self.limit,
            "used": self.used,
            "file": self.file,
            "files": self.files,
            "exceeded": self.exceeded,
            "over": [{"name": n, "size": s} for n, s in self.over],
        }

    def line(self, human) -> str:
        """`budget js/**/*.js: brotli, largest js/main.js 42.1 KB of 150.0 KB (28%), 6 files`."""
        share = f" ({100 * self.used / self.limit:.0f}%)" if self.limit else ""
        what = MEASURE_NAMES[self.measure]
        if self.files == 0:
            return f"budget {self.budget.describe()}: {what}, no file matches (limit {human(self.limit)})"
        if self.budget.total:
            subject = f"{what} total {human(self.used)}"
        else:
            subject = f"{what}, largest {self.file} {human(self.used)}"
        return (f"budget {self.budget.describe()}: {subject} of {human(self.limit)}{share}, "
                f"{self.files} file{'s' if self.files != 1 else ''}" + (" EXCEEDED" if self.exceeded else ""))

    def failures(self, human) -> list[str]:
        """One line per file (or total) over the limit, naming it, its size and the budget."""
        what = MEASURE_NAMES[self.measure]
        if not self.exceeded:
            return []
        if self.budget.total:
            return [f"budget exceeded: the {self.files} files matching {self.budget.match} total "
                    f"{human(self.used)} {what} ({self.used} bytes), over the {human(self.limit)} budget"]
        return [f"budget exceeded: {name} is {human(size)} {what} ({size} bytes), over the "
                f"{human(self.limit)} budget for {self.budget.match}" for name, size in self.over]


def check_budgets(entries: Mapping[str, Entry], budgets: Iterable[Budget]) -> list[BudgetUse]:
    """Every limit of every budget against the manifest's entries (logical name -> Entry)."""
    measured = {name: sizes(entry) for name, entry in entries.items()}
    uses = []
    for budget in budgets:
        names = sorted(n for n in measured if matches(n, [budget.match]))
        for measure, limit in budget.limits():
            values = [(n, measured[n][measure]) for n in names]
            if budget.total:
                uses.append(BudgetUse(budget, measure, limit, sum(v for _, v in values), None, len(values)))
                continue
            ranked = sorted(values, key=lambda nv: (-nv[1], nv[0]))  # the largest first, ties by name
            largest = ranked[0] if ranked else (None, 0)
            over = tuple(nv for nv in ranked if nv[1] > limit)
            uses.append(BudgetUse(budget, measure, limit, largest[1], largest[0], len(values), over))
    return uses


def enforce(uses: list[BudgetUse], human, *, mode: str = "fail") -> list[str]:
    """The failure lines; raises BudgetExceeded (every line, the first as message) in
    "fail" mode when there is any. In "warn" mode returns them for the caller to warn."""
    lines = [line for use in uses for line in use.failures(human)]
    if lines and mode == "fail":
        error = BudgetExceeded(lines[0])
        error.details = tuple(lines[1:])
        raise error
    return lines
