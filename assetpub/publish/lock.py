"""The publish lock: `_assetpub/lock.json`, holding its owner and expiry.

Every change to the lock object is a compare-and-swap, so two publishes can never both
hold it (docs/publishing.md, "The lock"):

* taking a free lock: create it only if absent (S3 `If-None-Match: *`; `O_EXCL` for a
  directory);
* taking over a stale lock (expired, or taken on this host by a process that is gone):
  replace it only if it is still the very object that was judged stale (S3 `If-Match:
  <ETag>`; for a directory, an atomic rename of the old file aside, checked, then an
  `O_EXCL` create). Of several publishes that find the same stale lock, one wins; the
  others find the winner's fresh lock and stop;
* refreshing and releasing: only if the lock is still ours (`If-Match` on our ETag);
* before anything live is written (the keep-name files, the manifest, the records) the
  holder checks that the lock is still its own and stops if it is not (`LockLost`).

Taken only when a publish has something to write, so a no-op stays cheap. A second
publish finds the lock and stops with a clear message. A lock left by a publish killed
on another machine is removed by hand (the error says which object) or expires.
"""

from __future__ import annotations

import json
import logging
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

log = logging.getLogger(__name__)

LOCK_KEY = RESERVED + "lock.json"
TTL = timedelta(minutes=30)
ATTEMPTS = 4  # create / take over / re-read rounds before giving up (each lost round means another publish won)
_HELD: set[str] = set()  # owners of the locks this process holds right now


class LockedError(PublishError):
    """Another publish holds the target's lock."""

    exit_status = ExitStatus.LOCKED


class LockLost(LockedError):
    """The lock this publish held was taken over (it had expired): it stopped before writing
    anything live."""


class Lock:
    def __init__(self, target: Target, *, now: datetime | None = None, ttl: timedelta = TTL, purpose: str = "publish"):
        self.target = target
        self.ttl = ttl
        self.purpose = purpose
        self.now = now or datetime.now(timezone.utc)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self.version: str | None = None  # the lock object's ETag (S3) or content hash (directory) as we wrote it
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
        _HELD.add(self.owner)  # before it exists: a publish in this process must never judge it stale
        try:
            self._acquire()
        except BaseException:
            _HELD.discard(self.owner)
            raise

    def _acquire(self) -> None:
        for _ in range(ATTEMPTS):
            version = self.target.create_exclusive(LOCK_KEY, self._body())
            if version:
                self._took(version)
                return
            found = self.target.read_versioned(LOCK_KEY)
            if found is None:
                continue  # released meanwhile: try to create it again
            data, stale_version = found
            holder = _parse(data)
            if not _stale(holder, datetime.now(timezone.utc)):
                raise LockedError(
                    f"{self.target.url} is locked by another {holder.get('purpose', 'publish')} "
                    f"(owner {holder.get('owner')}, since {holder.get('created')}, expires {holder.get('expires')}); "
                    f"try again when it has finished (if it was killed, delete {self.target.url}/{LOCK_KEY})"
                )
            # stale: replace it only if it is still the object we judged stale
            version = self.target.replace_if(LOCK_KEY, self._body(), stale_version)
            if version:
                self._took(version)
                return
            # another publish took it over (or it changed) first: look again
        raise LockedError(f"{self.target.url}: could not take the publish lock (other publishes kept taking it); try again")

    def _took(self, version: str) -> None:
        self.held = True
        self.version = version
        self._written = time.monotonic()

    def check(self) -> None:
        """Raise LockLost unless the lock object is still the one we wrote (one GET): called
        before anything live is written."""
        if not self.held:
            return
        found = self.target.read_versioned(LOCK_KEY)
        if found is not None and (found[1] == self.version or _parse(found[0]).get("owner") == self.owner):
            return
        self._lost(None if found is None else _parse(found[0]))

    def _lost(self, holder: dict[str, Any] | None) -> None:
        self.held = False
        _HELD.discard(self.owner)
        who = f"now held by {holder.get('owner')}" if holder else "it is gone"
        raise LockLost(
            f"{self.target.url}: this {self.purpose} lost its lock ({who}; it had expired or was removed); "
            "stopped before changing anything live; publish again"
        )

    def refresh(self) -> None:
        """Push the expiry forward during a long publish (cheap to call often: it writes at
        most every third of the TTL). Raises LockLost if the lock is no longer ours."""
        if not self.held or time.monotonic() - self._written < self.ttl.total_seconds() / 3:
            return
        self.now = datetime.now(timezone.utc)
        version = self.target.replace_if(LOCK_KEY, self._body(), self.version or "")
        if not version:
            found = self.target.read_versioned(LOCK_KEY)
            self._lost(None if found is None else _parse(found[0]))
        self.version = version
        self._written = time.monotonic()

    def release(self) -> None:
        """Remove the lock if it is still ours (a lock taken over meanwhile is left alone)."""
        if self.held:
            self.held = False
            _HELD.discard(self.owner)
            if self.version:
                self.target.delete_if(LOCK_KEY, self.version)

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.release()
            return
        try:  # after a failure, without hiding it (the target may be what failed)
            self.release()
        except PublishError as e:
            log.warning("could not release the publish lock: %s", e)


def _parse(data: bytes) -> dict[str, Any]:
    try:
        holder = json.loads(data)
        return holder if isinstance(holder, dict) else {}
    except ValueError:
        return {}  # torn or foreign: nobody can own it (stale)


def holder_of(target: Target) -> tuple[dict[str, Any], bool] | None:
    """(the lock's content, whether it is stale) or None when there is no lock."""
    found = target.read_versioned(LOCK_KEY)
    if found is None:
        return None
    holder = _parse(found[0])
    return holder, _stale(holder, datetime.now(timezone.utc))


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
