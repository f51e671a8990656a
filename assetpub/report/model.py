"""The report's data: one row per file, totals per type and per top-level directory, the
diff against an earlier build or deploy, the deploy history and the budgets' use. The
HTML page, `--json` and the text summary all show this one dictionary."""

from __future__ import annotations

import posixpath
from typing import Any, Iterable, Mapping

from .. import __version__
from ..budgets import BudgetUse, sizes
from ..manifest import Entry
from .snapshot import Snapshot

TYPES = {  # extension -> type (the treemap's colour)
    ".css": "css", ".js": "js", ".mjs": "js", ".html": "html", ".htm": "html", ".map": "map",
    ".json": "json", ".webmanifest": "json", ".svg": "image", ".png": "image", ".jpg": "image",
    ".jpeg": "image", ".gif": "image", ".webp": "image", ".avif": "image", ".ico": "image",
    ".woff": "font", ".woff2": "font", ".ttf": "font", ".otf": "font", ".eot": "font",
}
TYPE_ORDER = ("js", "css", "html", "image", "font", "json", "map", "other")
ROOT_DIR = "(top level)"


def file_type(name: str) -> str:
    return TYPES.get(posixpath.splitext(name)[1].lower(), "other")


def rows(entries: Mapping[str, Entry]) -> list[dict[str, Any]]:
    """One row per asset, in name order: raw, gz, br sizes, type and cache class."""
    out = []
    for name in sorted(entries):
        entry = entries[name]
        s = sizes(entry)
        out.append({
            "name": name,
            "path": entry.path,
            "type": file_type(name),
            **s,
            "has_gz": "gzip" in entry.encodings,
            "has_br": "br" in entry.encodings,
            "download": s["br"],  # what a browser that accepts brotli downloads
            "cache": "immutable" if "immutable" in entry.cache_control else "revalidated",
        })
    return out


def _totals(files: list[dict[str, Any]], key) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for f in files:
        g = groups.setdefault(key(f), {"name": key(f), "files": 0, "raw": 0, "gz": 0, "br": 0})
        g["files"] += 1
        for m in ("raw", "gz", "br"):
            g[m] += f[m]
    return sorted(groups.values(), key=lambda g: (-g["br"], g["name"]))


def top_dir(name: str) -> str:
    return name.split("/", 1)[0] + "/" if "/" in name else ROOT_DIR


def build_report(
    snapshot: Snapshot,
    *,
    changes: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    budgets: Iterable[BudgetUse] = (),
    title: str | None = None,
) -> dict[str, Any]:
    files = rows(snapshot.entries)
    total = {"files": len(files), **{m: sum(f[m] for f in files) for m in ("raw", "gz", "br")}}
    return {
        "title": title or snapshot.label,
        "source": snapshot.label,
        "deploy": snapshot.deploy_id,
        "generator": f"assetpub {__version__}",
        "files": files,
        "totals": {
            "all": total,
            "by_type": _totals(files, lambda f: f["type"]),
            "by_dir": _totals(files, lambda f: top_dir(f["name"])),
        },
        "changes": changes,
        "history": history or [],
        "budgets": [u.to_dict() for u in budgets],
    }


def history(records: list) -> list[dict[str, Any]]:
    """One point per stored deploy, oldest first: objects and bytes it references, and
    what it uploaded (objects new or changed since the deploy before it)."""
    points = []
    older: dict[str, Any] = {}
    for i, record in enumerate(reversed(records)):  # records come newest first
        uploaded = [v for k, v in record.objects.items() if k not in older or older[k].sha256 != v.sha256]
        points.append({
            "id": record.id,
            "time": record.time,
            "objects": len(record.objects),
            "bytes": sum(v.size for v in record.objects.values()),
            "uploaded": len(uploaded),
            "uploaded_bytes": sum(v.size for v in uploaded),
            "live": i == len(records) - 1,
            "first": i == 0,
        })
        older = record.objects
    return points
