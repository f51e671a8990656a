"""`assetpub audit`: check what a CDN or origin actually serves against the manifest.

    >>> from assetpub.audit import audit, to_dict
    >>> report = audit("https://cdn.example.com/assets/", "build/assetpub-manifest.json", sample=50)
    >>> report.ok, to_dict(report)["latency"]

Only GET requests, bounded in number (`max_requests`) and concurrency; no credentials.
"""

from .checks import Check
from .errors import AuditUsageError
from .report import render_table, to_dict
from .runner import AssetResult, AuditReport, AuditTarget, audit

__all__ = ["AssetResult", "AuditReport", "AuditUsageError", "Check", "AuditTarget", "audit", "render_table", "to_dict"]
