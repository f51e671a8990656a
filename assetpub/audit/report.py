"""The audit's output: a dict for `--json` (CI) and a table for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import checks
from .runner import AuditReport, cache_status

# table columns: (heading, check name)
COLUMNS = (
    ("status", "status"), ("type", "content-type"), ("sri", "integrity"), ("cache", "cache-control"),
    ("enc", "compression"), ("vary", "vary"), ("ident", "identity"), ("valid", "validators"),
    ("304", "conditional"), ("lm", "last-modified-stable"),
)


def to_dict(report: AuditReport) -> dict[str, Any]:
    """Everything the audit saw, for `--json`; also what `--previous` reads back."""
    assets = []
    for a in report.assets:
        primary = a.primary
        assets.append({
            "name": a.target.name,
            "path": a.target.entry.path,
            "url": a.target.url,
            "class": a.target.file_class,
            "integrity": a.target.entry.integrity,
            "ok": a.ok,
            "etag": primary.header("etag"),
            "last_modified": primary.header("last-modified"),
            "last_modified_stable": _stability(a.check("last-modified-stable")),
            "checks": [c.to_dict() for c in a.checks],
            "requests": [_request(kind, r) for kind, r in a.requests],
        })
    return {
        "url": report.url,
        "manifest": report.manifest,
        "ok": report.ok,
        "summary": {
            "assets": len(report.assets),
            "manifest_entries": report.selected_from,
            "checks": sum(len(a.checks) for a in report.assets),
            "failed": report.failed_checks,
            "failed_assets": sum(not a.ok for a in report.assets),
            "requests": report.requests,
        },
        "latency": report.latency(),
        "latency_by_type": report.latency(by="type"),
        "assets": assets,
    }


def render_table(report: AuditReport, *, style: Callable[..., str] | None = None) -> str:
    """A table, one row per file, then every failure with its evidence, then latency."""
    style = style or (lambda text, **_: text)
    mark = {checks.PASS: ("ok", "green"), checks.FAIL: ("FAIL", "red"), checks.SKIP: ("-", None)}
    width = max([len("file")] + [len(a.target.name) for a in report.assets])
    head = ["file".ljust(width), "class".ljust(13)] + [h.ljust(max(len(h), 4)) for h, _ in COLUMNS] + ["ttfb".rjust(9), "edge"]
    lines = [f"assetpub audit {report.url} against {report.manifest}", "", "  ".join(head).rstrip()]
    for a in report.assets:
        cells = [a.target.name.ljust(width), a.target.file_class.ljust(13)]
        for heading, name in COLUMNS:
            check = a.check(name)
            text, color = mark[check.result] if check else ("-", None)
            cells.append(style(text.ljust(max(len(heading), 4)), fg=color) if color else text.ljust(max(len(heading), 4)))
        ttfb = a.primary.ttfb
        cells.append((f"{ttfb * 1000:.1f} ms" if ttfb is not None else "-").rjust(9))
        cells.append(" ".join(filter(None, (cache_status(r) for _, r in a.requests))) or "-")
        lines.append("  ".join(cells).rstrip())
    failures = [(a, c) for a in report.assets for c in a.checks if c.result == checks.FAIL]
    if failures:
        lines += ["", "failures:"]
        for a, c in failures:
            evidence = f"expected {c.expected!r}, saw {c.seen!r}" if c.expected is not None else f"saw {c.seen!r}"
            lines.append(f"  {a.target.name}: {c.name}: {evidence}" + (f" ({c.note})" if c.note else ""))
    lines += ["", "time to first byte (browser request):"]
    by_type = {k: v for k, v in report.latency(by="type").items() if k != "all"}
    for cls, stats in [*report.latency().items(), *by_type.items()]:
        lines.append(f"  {cls:<13}  n={stats['n']:<5} p50 {stats['p50_ms']:.1f} ms  p95 {stats['p95_ms']:.1f} ms")
    failed = report.failed_checks
    total = sum(len(a.checks) for a in report.assets)
    verdict = "all checks passed" if not failed else f"{failed} of {total} checks failed"
    lines += ["", f"{len(report.assets)} files, {report.requests} requests: {verdict}"]
    return "\n".join(lines) + "\n"


def _request(kind: str, r) -> dict[str, Any]:
    out = {
        "kind": kind,
        "method": r.method,
        "accept_encoding": r.sent.get("Accept-Encoding"),
        "status": r.status,
        "ttfb_ms": round(r.ttfb * 1000, 2) if r.ttfb is not None else None,
        "content_encoding": r.header("content-encoding"),
        "cache_status": cache_status(r),
        "age": r.header("age"),
    }
    conditions = {k: v for k, v in r.sent.items() if k.startswith("If-")}
    if conditions:
        out["conditions"] = conditions
    if r.error:
        out["error"] = r.error
    return {k: v for k, v in out.items() if v is not None}


def _stability(check) -> dict[str, Any]:
    if check is None:
        return {"stable": None}
    return {"stable": {"pass": True, "fail": False}.get(check.result), "previous": check.expected, "current": check.seen}
