"""Run an audit: pick the files, fetch each the way browsers do, check, collect.

Per file, in order (the later requests depend on the first):
  1. GET with `Accept-Encoding: br, gzip` (the browser request): status, type, SRI,
     Cache-Control, compression, Vary, validators, latency;
  2. GET with `Accept-Encoding: identity`, for compressible types only;
  3. the browser request again with `If-None-Match`/`If-Modified-Since`, when (1) gave
     validators: must be 304.
Files are audited `concurrency` at a time, so at most that many requests are in flight.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import random
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import media_types
from ..errors import ManifestError
from ..manifest import Entry, Manifest, url_path
from . import checks
from .checks import Check
from .errors import AuditUsageError
from .fetch import Fetcher, Response, check_url

log = logging.getLogger(__name__)

BROWSER_ACCEPT_ENCODING = "br, gzip"
CACHE_STATUS_HEADERS = ("x-cache-status", "x-cache", "cf-cache-status", "x-proxy-cache")
DEFAULT_MAX_REQUESTS = 10000
DEFAULT_RUN_TIMEOUT = 3600.0  # seconds for a whole audit; each response has `timeout`
MAX_CONCURRENCY = 32


@dataclass(frozen=True)
class AuditTarget:
    name: str  # logical name
    entry: Entry
    url: str

    @property
    def file_class(self) -> str:
        return self.entry.kind

    @property
    def file_type(self) -> str:
        """css, js, html, font, image or other: for latency by kind of file."""
        kind = media_types.kind(self.entry.path)
        if kind != "other":
            return kind
        major = media_types.content_type(self.entry.path).split("/", 1)[0]
        return major if major in ("font", "image") else "other"

    @property
    def compressible(self) -> bool:
        return bool(self.entry.encodings) or media_types.is_compressible(self.entry.path)

    @property
    def planned_requests(self) -> int:
        return 2 + self.compressible


@dataclass
class AssetResult:
    target: AuditTarget
    checks: list[Check]
    requests: list[tuple[str, Response]] = field(default_factory=list)  # (kind, response)

    @property
    def ok(self) -> bool:
        return all(c.result != checks.FAIL for c in self.checks)

    @property
    def primary(self) -> Response:
        return self.requests[0][1]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)


@dataclass
class AuditReport:
    url: str
    manifest: str
    assets: list[AssetResult]
    requests: int
    selected_from: int

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.assets)

    @property
    def failed_checks(self) -> int:
        return sum(c.result == checks.FAIL for a in self.assets for c in a.checks)

    def latency(self, *, by: str = "class") -> dict[str, dict[str, Any]]:
        """Time to first byte of the browser requests, p50/p95 per file class
        (fingerprinted / keep-name) or, with by="type", per kind of file; and over all."""
        groups: dict[str, list[float]] = {}
        for a in self.assets:
            ttfb = a.primary.ttfb
            if ttfb is not None:
                key = a.target.file_class if by == "class" else a.target.file_type
                groups.setdefault(key, []).append(ttfb)
                groups.setdefault("all", []).append(ttfb)
        return {k: {"n": len(v), "p50_ms": _ms(_percentile(v, 50)), "p95_ms": _ms(_percentile(v, 95))}
                for k, v in sorted(groups.items())}


def audit(
    url: str,
    manifest: str | Path | Manifest,
    *,
    sample: int | None = None,
    seed: int | None = None,
    concurrency: int = 8,
    max_requests: int = DEFAULT_MAX_REQUESTS,
    timeout: float = 10.0,
    run_timeout: float | None = DEFAULT_RUN_TIMEOUT,
    previous: Mapping[str, Any] | None = None,
) -> AuditReport:
    """Audit what `url` (the public base URL of the assets) serves against `manifest`
    (a Manifest, a path, or an http(s) URL). `previous` is an earlier report's
    `to_dict()`, for the Last-Modified stability check. `timeout` bounds each response
    (start to end), `run_timeout` the whole run: requests not started by then fail."""
    base = check_url(url).rstrip("/") + "/"
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise AuditUsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}, not {concurrency}")
    fetcher = Fetcher(max_requests=max_requests, timeout=timeout, run_timeout=run_timeout)
    try:
        loaded, source = _load_manifest(manifest, fetcher)
        targets = select(loaded, base, sample=sample, seed=seed)
        planned = sum(t.planned_requests for t in targets) + fetcher.sent
        if planned > max_requests:
            raise AuditUsageError(
                f"auditing {len(targets)} files needs up to {planned} requests, more than --max-requests {max_requests}; "
                "use --sample N or raise --max-requests"
            )
        earlier = _index_previous(previous)
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="audit") as pool:
            results = list(pool.map(lambda t: audit_one(fetcher, t, earlier.get(t.entry.path)), targets))
    finally:
        fetcher.close()
    return AuditReport(base, source, results, fetcher.sent, len(loaded))


def select(manifest: Manifest, base: str, *, sample: int | None, seed: int | None) -> list[AuditTarget]:
    """Every entry, or a random sample of `sample` fingerprinted ones plus every file that keeps its name."""
    targets = [AuditTarget(name, entry, base + url_path(entry.path)) for name, entry in sorted(manifest.entries.items())]
    if sample is None:
        return targets
    if sample < 0:
        raise AuditUsageError(f"--sample must be positive, not {sample}")
    keep = [t for t in targets if not t.entry.fingerprinted]
    hashed = [t for t in targets if t.entry.fingerprinted]
    picked = random.Random(seed).sample(hashed, min(sample, len(hashed)))
    return sorted(keep + picked, key=lambda t: t.name)


def audit_one(fetcher: Fetcher, target: AuditTarget, previous: Mapping[str, Any] | None = None) -> AssetResult:
    """The requests and checks for one file."""
    primary = fetcher.request(target.url, {"Accept-Encoding": BROWSER_ACCEPT_ENCODING})
    result = AssetResult(target, [], [("browser", primary)])
    result.checks.append(checks.status(primary))
    if primary.status != 200:
        result.checks += [Check(n, checks.SKIP, note="no 200 response") for n in checks.NAMES[1:]]
        result.requests = [("browser", dataclasses.replace(primary, body=b""))]
        return result
    entry = target.entry
    plain = None
    if target.compressible:
        plain = fetcher.request(target.url, {"Accept-Encoding": "identity"})
        result.requests.append(("identity", plain))
    revalidated = None
    conditions = {k: v for k, v in (("If-None-Match", primary.header("etag")),
                                    ("If-Modified-Since", primary.header("last-modified"))) if v}
    if conditions:
        revalidated = fetcher.request(target.url, {"Accept-Encoding": BROWSER_ACCEPT_ENCODING, **conditions})
        result.requests.append(("conditional", revalidated))
    result.checks += [
        checks.content_type(entry, primary),
        checks.body_integrity(entry, primary),
        checks.cache_control(entry, primary),
        checks.compression(entry, primary),
        checks.vary(entry, primary),
        checks.identity(entry, plain),
        checks.validators(primary),
        checks.conditional(revalidated),
        checks.last_modified_stable(entry, primary, previous),
    ]
    # the bodies were only needed for the checks; a large site's would fill memory
    result.requests = [(kind, dataclasses.replace(r, body=b"")) for kind, r in result.requests]
    return result


def cache_status(response: Response) -> str | None:
    """What the CDN says it did (X-Cache-Status: HIT, X-Cache: Hit from cloudfront, ...)."""
    return next((response.header(h) for h in CACHE_STATUS_HEADERS if response.header(h)), None)


# -- helpers ----------------------------------------------------------------------
def _load_manifest(manifest: str | Path | Manifest, fetcher: Fetcher) -> tuple[Manifest, str]:
    if isinstance(manifest, Manifest):
        return manifest, manifest.source or "manifest"
    source = str(manifest)
    if source.startswith(("http://", "https://")):
        check_url(source, what="manifest URL")
        resp = fetcher.request(source, {"Accept-Encoding": BROWSER_ACCEPT_ENCODING}, keep_body=True)
        if resp.status != 200:
            raise AuditUsageError(f"manifest {source}: {resp.error or f'HTTP {resp.status}'}")
        if resp.truncated or resp.decode_error:
            raise AuditUsageError(f"manifest {source}: {resp.decode_error or 'larger than the audit reads'}")
        try:
            data = json.loads(resp.body)
        except ValueError as e:
            raise AuditUsageError(f"manifest {source}: not JSON: {e}") from None
        try:
            return Manifest.from_dict(data, source=source), source
        except ManifestError as e:
            raise AuditUsageError(str(e)) from None
    try:
        loaded = Manifest.load(source)
    except ManifestError as e:
        raise AuditUsageError(str(e)) from None
    return loaded, loaded.source or source


def _index_previous(previous: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    if not previous:
        return {}
    try:
        return {a["path"]: a for a in previous["assets"]}
    except (KeyError, TypeError):
        raise AuditUsageError("--previous: not a report written by `assetpub audit --json`") from None


def _percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


__all__ = ["AssetResult", "AuditReport", "AuditTarget", "audit", "audit_one", "cache_status", "select"]
