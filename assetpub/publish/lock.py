"""The publish lock: `_assetpub/lock.json`, created only if absent (S3 `If-None-Match: *`
conditional write; `O_EXCL` for directories), holding its owner and expiry.

Taken only when a publish has something to write, so a no-op stays one request. A
second publish finds the lock and stops with a clear message. A lock whose owner is
gone is broken: when it expired, or when it was taken on this host by a process that no
longer runs (a killed publish re-run on the same machine). A lock left by a publish killed
on another machine is removed by hand (the error says which object) or expires.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from ..status import ExitStatus
from .errors import PublishError
from .state import RESERVED
from .target import Target

LOCK_KEY = RESERVED + "lock.json"
TTL = timedelta(minutes=30)
_HELD: set[str] = set()  # owners of the locks this process holds right now


class LockedError(PublishError):
    """Another publish holds the target's lock."""

    exit_status = ExitStatus.LOCKED


class Lock:
    def __init__(self, target: Target, *, now: datetime | None = None, ttl: timedelta = TTL, purpose: str = "publish"):
        self.target = target
        self.ttl = ttl
        self.purpose = purpose
        self.now = now or datetime.now(timezone.utc)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self._written = time.monotonic()

    def _body(self) -> bytes:
        return json.dumps(
            {
                "owner": self.owner,
                "purpose": self.purpose,
                "created": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "expires": (self.now + self.ttl).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            sort_keys=True,
        ).encode()

    def acquire(self) -> None:
        for _ in range(2):
            if self.target.create_exclusive(LOCK_KEY, self._body()):
                self.held = True
                _HELD.add(self.owner)
                return
            holder = self._holder()
            if holder is not None and not _stale(holder, datetime.now(timezone.utc)):
                raise LockedError(
                    f"{self.target.url} is locked by another {holder.get('purpose', 'publish')} "
                    f"(owner {holder.get('owner')}, since {holder.get('created')}, expires {holder.get('expires')}); "
                    f"try again when it has finished (if it was killed, delete {self.target.url}/{LOCK_KEY})"
                )
            self.target.delete(LOCK_KEY)  # stale: its owner is gone
        raise LockedError(f"{self.target.url}: could not take the publish lock; try again")

    def refresh(self) -> None:
        """Push the expiry forward during a long publish (cheap to call often: it writes at
        most every third of the TTL)."""
        if not self.held or time.monotonic() - self._written < self.ttl.total_seconds() / 3:
            return
        self.now = datetime.now(timezone.utc)
        from .state import Headers

        self.target.put_bytes(LOCK_KEY, self._body(), Headers("application/json", "no-store"))
        self._written = time.monotonic()

    def release(self) -> None:
        if self.held:
            self.held = False
            _HELD.discard(self.owner)
            holder = self._holder()
            if holder is None or holder.get("owner") == self.owner:
                self.target.delete(LOCK_KEY)

    def _holder(self) -> dict[str, Any] | None:
        data = self.target.get(LOCK_KEY)
        if data is None:
            return None
        try:
            holder = json.loads(data)
            return holder if isinstance(holder, dict) else {}
        except ValueError:
            return {}

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _stale(holder: dict[str, Any], now: datetime) -> bool:
    try:
        expires = datetime.fromisoformat(str(holder["expires"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return True  # unreadable: nobody can own it
    if now >= expires:
        return True
    host, _, rest = str(holder.get("owner", "")).partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return holder.get("owner") not in _HELD  # ours, from a publish that failed to release it
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True  # taken here by a process that is gone (a killed publish)
        except PermissionError:
            return False
    return False


def break_lock(target: Target) -> bool:
    """Remove the lock whoever holds it. True if there was one."""
    if target.get(LOCK_KEY) is None:
        return False
    target.delete(LOCK_KEY)
    return True
