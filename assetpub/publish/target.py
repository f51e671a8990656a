"""The interface both targets implement, and `open_target(url)` that picks one.

Keys are relative to the target's root (an S3 target adds its prefix itself), so the
plan, the records and the contract tests never see where the bytes go."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Iterator, Protocol
from urllib.parse import unquote, urlsplit

from ..config import check
from .errors import PublishUsageError
from .network import NetworkLimits
from .state import Headers, LocalObject, RemoteObject


class Target(Protocol):
    url: str
    prefix: str  # recorded in the deploy record; "" for directories
    written: dict[str, str]  # key -> version of what put_bytes wrote there (this instance)

    def get(self, key: str) -> bytes | None:
        """The bytes at key, or None when there is no such object."""

    def head(self, key: str) -> RemoteObject | None:
        """Hash and headers of the object at key, or None."""

    def content_sha256(self, key: str) -> str | None:
        """SHA-256 of the bytes at key, read through (not the stored metadata), or None."""

    def upload(self, obj: LocalObject, *, key: str | None = None) -> None:
        """Write obj's file at obj.key (or `key`) with its headers and content hash (streamed)."""

    def copy(self, source: str, key: str, headers: Headers, sha256: str) -> None:
        """Copy the object at source to key, with these headers (server-side where possible)."""

    def update_headers(self, obj: LocalObject) -> None:
        """Change the headers of obj.key without re-sending its bytes where the target allows."""

    def put_bytes(self, key: str, data: bytes, headers: Headers) -> str:
        """Write assetpub's own objects (journal, records): their new version. Bytes this
        instance already wrote under another key may be copied server-side."""

    def read_if_changed(self, key: str, version: str | None) -> tuple[bytes | None, str] | None:
        """None if key is absent; (None, version) if it still holds `version`; else (bytes, version)."""

    def delete(self, key: str) -> None:
        """Remove key; no error when it is already gone."""

    def delete_many(self, keys: list[str]) -> None:
        """Remove up to 1,000 keys (one request on S3)."""

    def listing(self, under: str = "") -> Iterator[tuple[str, datetime]]:
        """(key, last modified) of every object under `under`, reserved keys included."""

    def keys(self) -> Iterator[str]:
        """Every published key (reserved ones excluded)."""

    def create_exclusive(self, key: str, data: bytes) -> str | None:
        """Create key only if absent: its version, or None if it exists (the lock)."""

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        """The bytes at key and their version (S3: the ETag), or None."""

    def replace_if(self, key: str, data: bytes, version: str) -> str | None:
        """Write key only if it still holds `version` (compare-and-swap): the new version, or None."""

    def delete_if(self, key: str, version: str) -> bool:
        """Remove key only if it still holds `version`: True if removed."""

    def entries(self, under: str) -> set[str]:
        """Names of the objects directly under `under` (one level, no recursion)."""

    def scan(self) -> Iterator[tuple[str, RemoteObject]]:
        """Every published object (reserved keys excluded), with hash and headers: for --verify."""

    def end_step(self, step: int) -> None:
        """Called after each plan step succeeded (the directory target saves its headers sidecar)."""


_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # what S3 and S3-compatible stores accept, loosely


def open_target(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    acl: str | None = None,
    workers: int = 16,
    limits: NetworkLimits | None = None,
) -> Target:
    """`s3://bucket[/prefix]` -> S3Target; `file:///path` or a plain path -> DirectoryTarget."""
    connection = {"endpoint_url": endpoint_url, "region": region, "profile": profile, "acl": acl, "workers": workers}
    for key, value in connection.items():
        if value is not None:
            check(key, value, f"keyword argument {key}")
    if not url:
        raise PublishUsageError("no target given (pass --to s3://bucket/prefix or --to DIR, or set 'target' in the config)")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        if not parts.netloc:
            raise PublishUsageError(f"{url}: no bucket name (expected s3://bucket[/prefix])")
        if not _BUCKET.fullmatch(parts.netloc):
            raise PublishUsageError(
                f"{url}: invalid bucket name {parts.netloc!r} (expected s3://bucket[/prefix]; "
                "an endpoint's host and port go in --endpoint-url)"
            )
        if parts.query or parts.fragment:
            raise PublishUsageError(f"{url}: an s3:// target takes no query string or fragment")
        from .s3 import S3Target

        return S3Target(bucket=parts.netloc, prefix=parts.path.strip("/"), limits=limits, **connection)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise PublishUsageError(f"{url}: only local file:// URLs are supported")
        path = Path(unquote(parts.path))
    elif scheme and len(scheme) > 1:  # 'C:' on Windows is a drive, not a scheme
        raise PublishUsageError(
            f"{url}: unknown target scheme {scheme!r} (use s3://bucket/prefix, file:///path or a directory)"
        )
    else:
        path = Path(url)
    if acl:
        raise PublishUsageError("an ACL (--acl, or 'acl' in the config) applies to S3 targets only")
    from .directory import DirectoryTarget

    return DirectoryTarget(path)
