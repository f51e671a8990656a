"""The report as one self-contained HTML page: Jinja2 templates shipped in the package
(templates/), CSS and our own JS inlined, the treemap laid out here (treemap.py). No
network request of any kind: it works from file:// and offline."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from ..budgets import MEASURE_NAMES, human_bytes
from .model import TYPE_ORDER
from .treemap import layout

ASPECT = 1.6  # the treemap's frame on a laptop (16:10); a phone shows it taller, areas stay in proportion


def delta_bytes(n: int) -> str:
    if n == 0:
        return "±0 B"
    return ("+" if n > 0 else "−") + human_bytes(abs(n))


def saving(raw: int, smaller: int) -> str:
    return f"{100 * (1 - smaller / raw):.0f}%" if raw else "–"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("assetpub.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["size"] = human_bytes
    env.filters["delta"] = delta_bytes
    env.globals["saving"] = saving
    env.globals["measure_names"] = MEASURE_NAMES
    return env


def treemap_data(files: list[dict[str, Any]]) -> dict[str, Any]:
    """Compact rows for the page's script: files [name, type, raw, gz, br, has_gz, has_br,
    x, y, w, h] and directories [name, x, y, w, h], rectangles as fractions of the frame."""
    rects, dirs = layout({f["name"]: f["download"] for f in files}, (0.0, 0.0, ASPECT, 1.0))

    def fractions(r):
        return [round(r[0] / ASPECT, 7), round(r[1], 7), round(r[2] / ASPECT, 7), round(r[3], 7)]

    return {
        "files": [[f["name"], f["type"], f["raw"], f["gz"], f["br"], f["has_gz"], f["has_br"], *fractions(rects[f["name"]])]
                  for f in files],
        "dirs": [[name, *fractions(r)] for name, r in sorted(dirs.items())],
    }


def render_html(report: dict[str, Any]) -> str:
    """The page for a report of model.build_report()."""
    present = {f["type"] for f in report["files"]}
    return _environment().get_template("report.html.j2").render(
        r=report,
        t=report["totals"]["all"],
        types=[t for t in TYPE_ORDER if t in present],
        data=treemap_data(report["files"]),
    )
