"""Retention: which objects a publish may delete. Pure, like plan().

An object is deleted only when none of the last `keep` deploys (this one included)
references it **and** it has been unreferenced for at least `grace`: it was *retired*
by the first deploy that no longer listed it, and that deploy is older than `grace`.
(Measuring from the object's upload time instead would delete a year-old image the
moment it stops being used, breaking the cached pages and open tabs that still load it.)
Objects no record lists were not created by assetpub and are left alone, unless
`delete_unknown` is set: then they go once their Last-Modified is older than `grace`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

from ..compress import EXTENSIONS
from ..config import check
from ..errors import ConfigError
from .actions import Cause
from .record import DeployRecord, deploy_key
from .state import RESERVED

STASH_PREFIX = RESERVED + "objects/"  # bytes of files that keep their names, by sha256: for rollback


DEFAULT_MAX_DELETES = 500
RETIRE_SHARE_FLOOR = 10  # below this many, retiring is never taken for the wrong folder


@dataclass(frozen=True)
class Retention:
    keep: int = 3
    grace: timedelta = timedelta(days=7)
    max_deletes: int | None = None  # None: 500, and retire at most half the live deploy (retire_limit)
    delete_unknown: bool = False

    def __post_init__(self) -> None:
        check("keep", self.keep, "Retention(keep=...)")
        if self.max_deletes is not None:
            check("max_deletes", self.max_deletes, "Retention(max_deletes=...)")
        if not isinstance(self.grace, timedelta) or self.grace < timedelta(0):
            raise ConfigError(f"grace must be a duration of 0 or more, not {self.grace!r}")


@dataclass(frozen=True)
class Deletion:
    key: str
    cause: Cause
    detail: str = ""
    replaced: bool = False  # an old version of an asset the newer deploy still has


def stash_key(sha256: str) -> str:
    return f"{STASH_PREFIX}{sha256}"


def record_keys(record: DeployRecord) -> set[str]:
    """Every key a deploy needs: its objects, the stashed bytes of its keep-name files (its
    manifest among them), and the parts that list its objects (format 3)."""
    keys = set(record.objects)
    keys |= {stash_key(e.sha256) for e in record.objects.values() if not e.fingerprinted and e.sha256}
    keys.update(record.part_keys())
    return keys


def plan_prune(
    records: Sequence[DeployRecord],
    *,
    retention: Retention,
    now: datetime,
    listing: Mapping[str, datetime] | None = None,
) -> tuple[list[Deletion], list[str]]:
    """`records`: every stored deploy record, the new one first, newest first.
    `listing`: {key: last modified} of the target (needed only for delete_unknown).
    Returns (objects to delete, deploy records to delete)."""
    window, older = records[: retention.keep], records[retention.keep :]
    live: set[str] = set().union(*(record_keys(r) for r in window)) if window else set()
    deletions: list[Deletion] = []
    kept_by_grace: set[str] = set()
    seen: set[str] = set(live)
    for index, record in enumerate(records):
        if index < retention.keep:
            continue
        retired_by = records[index - 1]  # the first deploy that no longer listed these keys
        age = now - retired_by.datetime
        # old versions of assets a later deploy still has are routine garbage, unless the
        # deploy being made now is what replaces them: that one could be the wrong folder
        candidates = sorted(record_keys(record) - seen)
        # (its manifest is read only when it has keys to judge: a format-3 record's is a GET the first time)
        replaced = replaced_keys(record, retired_by) if index > 1 and candidates else set()
        for key in candidates:
            seen.add(key)
            if age >= retention.grace:
                why = f"{retention.keep} deploys since {retired_by.time}"
                deletions.append(Deletion(key, Cause.RETIRED, why, replaced=key in replaced))
            else:
                kept_by_grace.add(key)
    # a record outside the window goes once none of its objects waits out the grace
    dead_records = [deploy_key(r.id) for r in older if not (record_keys(r) & kept_by_grace)]
    if retention.delete_unknown and listing is not None:
        for key, modified in sorted(listing.items()):
            if key in seen or key.startswith(RESERVED):
                continue
            if now - modified >= retention.grace:
                deletions.append(Deletion(key, Cause.UNKNOWN))
    return deletions, dead_records


def replaced_keys(older: DeployRecord, newer: DeployRecord) -> set[str]:
    """Keys of `older`'s assets (file and variants) that `newer` still has under the same
    logical name: old versions (an edit, new build settings, an upgrade), not removed files."""
    names = set((newer.manifest or {}).get("assets") or {})
    replaced: set[str] = set()
    for name, entry in ((older.manifest or {}).get("assets") or {}).items():
        if name in names and isinstance(entry, dict) and isinstance(entry.get("path"), str):
            replaced.add(entry["path"])
            for encoding, variant in (entry.get("encodings") or {}).items():
                if isinstance(variant, dict):
                    replaced.add(variant.get("path") or entry["path"] + EXTENSIONS.get(encoding, "." + encoding))
    return replaced


def retired_keys(previous: DeployRecord | None, record: DeployRecord) -> list[str]:
    """Published keys the live deploy lists and `record` does not, of assets the new build
    no longer has: retention deletes them once they leave the last `keep` deploys and the
    grace has passed. An asset that is still there under a new fingerprint (an edit, new
    build settings, an upgrade) does not count: it is no sign of the wrong folder."""
    if previous is None:
        return []
    replaced = replaced_keys(previous, record)
    return sorted(
        k for k in previous.objects if k not in record.objects and k not in replaced and not k.startswith(RESERVED)
    )


def retire_limit(max_deletes: int | None, *, live: int) -> int:
    """How many of the live deploy's objects one publish may retire. A `max_deletes` that
    was given is the limit; by default it is the smaller of 500 and half the live deploy
    (or RETIRE_SHARE_FLOOR, but never the whole of it), so the guard works for a 5-file
    site as for a 60,000-file one."""
    if max_deletes is not None:
        return max_deletes
    return min(DEFAULT_MAX_DELETES, max(live // 2, min(RETIRE_SHARE_FLOOR, live - 1)))


def too_many_retired(retired: Sequence[str], live: int, max_deletes: int | None) -> str | None:
    """The wrong folder published by mistake deletes nothing at once (the previous deploy
    stays in the window) but retires the whole live site: refuse it now, not weeks later."""
    limit = retire_limit(max_deletes, live=live)
    if len(retired) > limit:
        bound = f"--max-deletes {limit}" if max_deletes is not None or limit == DEFAULT_MAX_DELETES else "half of it"
        return (
            f"this publish would retire {len(retired)} objects of the {live} the live deploy uses "
            f"(assets this build does not have, first: {retired[0]}; retention deletes them later), "
            f"more than {bound}; "
            "nothing was uploaded or deleted (wrong build directory? pass --max-deletes N to allow N)"
        )
    return None


def too_many(deletions: Iterable[Deletion], max_deletes: int | None) -> str | None:
    """Old versions of assets that an earlier deploy than this one replaced do not count:
    after a change of every fingerprint (new build settings, an assetpub upgrade) the
    routine publish that deletes the old ones days later must not be refused. (The share
    rule of retire_limit does not apply here: what is deleted now was retired, past that
    guard, at least `grace` ago.)"""
    removed = [d.key for d in deletions if not d.replaced and not d.key.startswith(RESERVED)]
    max_deletes = DEFAULT_MAX_DELETES if max_deletes is None else max_deletes
    if len(removed) > max_deletes:
        return (
            f"this publish would delete {len(removed)} objects of assets no longer deployed "
            f"(first: {removed[0]}), more than --max-deletes {max_deletes}; "
            "nothing was uploaded or deleted (wrong build directory? raise --max-deletes if this is intended)"
        )
    return None
