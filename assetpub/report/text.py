"""The report as a short text summary for a terminal: totals, the ten largest downloads,
totals per type, and what changed."""

from __future__ import annotations

from typing import Any

from ..budgets import human_bytes
from .html import delta_bytes

TOP = 10


def summary(report: dict[str, Any]) -> str:
    t = report["totals"]["all"]
    lines = [
        f"{report['source']}: {t['files']} file{'s' if t['files'] != 1 else ''}, {human_bytes(t['raw'])} raw, "
        f"{human_bytes(t['gz'])} gzip, {human_bytes(t['br'])} downloaded (brotli)",
        f"largest downloads (of {t['files']}):",
    ]
    for f in sorted(report["files"], key=lambda f: (-f["br"], f["name"]))[:TOP]:
        note = "" if f["has_br"] else ", no brotli variant"
        lines.append(f"  {human_bytes(f['br']):>9}  {f['name']}  ({f['type']}, {human_bytes(f['raw'])} raw{note})")
    lines.append("by type: " + ", ".join(f"{g['name']} {human_bytes(g['br'])}" for g in report["totals"]["by_type"]))
    changes = report.get("changes")
    if changes is not None:
        c = changes["totals"]
        lines.append(
            f"against {changes['against']}: {c['added']} added, {c['removed']} removed, {c['changed']} changed"
            f" ({c['cascaded']} only because of a reference); downloaded {delta_bytes(c['delta_br'])},"
            f" raw {delta_bytes(c['delta_raw'])}"
        )
        shown = sorted(changes["changes"], key=lambda ch: (-abs(ch["delta_br"]), ch["name"]))[:TOP]
        for ch in shown:
            cascade = f" -> {', '.join(ch['cascaded_to'])}" if ch["cascaded_to"] else ""
            why = " (references)" if ch["cause"] == "references" else ""
            lines.append(f"  {ch['status']:<8} {delta_bytes(ch['delta_br']):>10}  {ch['name']}{why}{cascade}")
        if len(changes["changes"]) > TOP:
            lines.append(f"  … and {len(changes['changes']) - TOP} more")
    return "\n".join(lines)
