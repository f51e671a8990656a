"""Bounded waits for the S3 endpoint: timeouts, retries that give up, and a line on stderr
for each retry (docs/publishing.md, "Network limits").

botocore's `standard` retry mode retries throttling (503 SlowDown), 5xx answers and
network errors, with exponential backoff, up to `max_attempts` tries per request. On top
of it, a request whose tries failed on the network (no answer in time, connection
refused, reset) is given up once `give_up_after` seconds have passed since its first
try, so an endpoint that accepts connections but never answers fails in about that
long instead of attempts x read timeout. Throttling keeps every attempt it is allowed.

The limits come from `NetworkLimits()` (the defaults), the library API
(`open_target(..., limits=NetworkLimits(...))`), or the environment variable
`ASSETPUB_S3_LIMITS="connect=5,read=10,give_up=30,attempts=6"` (any subset).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, fields, replace
from typing import Any

from .errors import PublishError

ENV = "ASSETPUB_S3_LIMITS"
retry_log = logging.getLogger("assetpub.publish.retry")
retry_log.setLevel(logging.WARNING)  # shown on stderr even where the CLI shows errors only


@dataclass(frozen=True)
class NetworkLimits:
    connect: float = 5.0  # seconds to open a connection
    # seconds to wait for each answer (and each chunk of it). Bodies go in parts of at most
    # 8 MiB (multipart above that), so no single wait grows with the object's size; S3
    # answers a copy at once and streams its progress
    read: float = 10.0
    give_up: float = 30.0  # no more tries after network failures once this long has passed
    attempts: int = 6  # tries per request in all (botocore standard mode): 503 SlowDown bursts

    @classmethod
    def from_env(cls, environ: os._Environ | dict[str, str] | None = None) -> NetworkLimits:
        value = (environ if environ is not None else os.environ).get(ENV, "").strip()
        limits = cls()
        if not value:
            return limits
        known = {f.name for f in fields(cls)}
        changes: dict[str, Any] = {}
        for item in value.split(","):
            name, _, number = item.partition("=")
            name = name.strip()
            try:
                parsed = int(number) if name == "attempts" else float(number)
            except ValueError:
                parsed = -1
            if name not in known or parsed <= 0:
                raise PublishError(
                    f"{ENV}={value!r}: expected connect=SECONDS,read=SECONDS,give_up=SECONDS,attempts=N (positive numbers)"
                )
            changes[name] = parsed
        return replace(limits, **changes)


def _network_errors() -> tuple[type[BaseException], ...]:
    import botocore.exceptions as bx

    return (bx.ConnectionError, bx.HTTPClientError)  # timeouts, refused, reset, closed, SSL, proxy


def install(client: Any, limits: NetworkLimits, where: str) -> None:
    """Register the give-up rule and the retry notice on a botocore S3 client."""
    network = _network_errors()
    events = client.meta.events

    def started(context=None, **_):
        if context is not None:
            context["assetpub-started"] = time.monotonic()

    def needs_retry(caught_exception=None, response=None, request_dict=None, attempts=1, **_):
        context = (request_dict or {}).get("context", {})
        if caught_exception is not None:
            reason = type(caught_exception).__name__
            if isinstance(caught_exception, network):
                elapsed = time.monotonic() - context.get("assetpub-started", time.monotonic())
                if elapsed + limits.read > limits.give_up:
                    raise caught_exception  # give up: no more tries (botocore would go on)
        elif response is not None:
            status = response[0].status_code
            code = (response[1] or {}).get("Error", {}).get("Code", "")
            reason = f"{status} {code}".strip()
        else:
            reason = "?"
        context["assetpub-reason"] = reason
        return None  # botocore's standard handler decides whether and when

    announced: set[tuple[str, int]] = set()
    announcing = threading.Lock()

    def notice(request=None, operation_name="", **_):
        """One line per retry, except that concurrent requests failing alike (a refused
        connection, a burst of 503s across 16 workers) share one line per attempt
        number: at most attempts - 1 lines per cause."""
        context = getattr(request, "context", None) or {}
        attempt = (context.get("retries") or {}).get("attempt", 1)
        if attempt <= 1:
            return
        key = (context.get("assetpub-reason", "?"), attempt)
        with announcing:
            if key in announced:
                return
            announced.add(key)
        retry_log.warning(
            "%s: retrying %s (%s; attempt %d of %d)", where, operation_name, key[0], attempt, limits.attempts
        )

    events.register("before-call.s3", started)
    events.register_first("needs-retry.s3", needs_retry)
    events.register("request-created.s3", notice)
