"""Audit errors. A usage error (bad URL, unreadable manifest, too many requests) exits 2."""

from __future__ import annotations

from ..errors import UsageError


class AuditUsageError(UsageError):
    """The audit cannot start: the command line or the manifest is unusable."""
