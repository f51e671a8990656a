"""What a plan is made of: its steps, the kinds of action, why each action is there.

Plain enums, like Hugo's `uploadReason` (deploy/deploy.go): code compares members, the
output (text, `--json`) shows their values, which are the strings scripts already read.
An Action carries its kind, its step and its reason (`why`, with an optional `detail`:
`headers changed: cache-control 'a' -> 'b'`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # state.py uses Step
    from .state import LocalObject


class Step(IntEnum):
    """The order a plan is applied in: each step starts only when the previous one fully succeeded."""

    JOURNAL = 0  # the keys about to be written, so a killed publish can be finished cheaply
    NEW_FILES = 1  # new fingerprinted files and variants, rollback stashes: nothing live changes
    LIVE_FILES = 2  # files that keep their names, new headers of live files: the site changes
    RECORDS = 3  # the manifest, this deploy's record, current.json
    CLEANUP = 4  # the journal is removed (then the CDN invalidation, outside the plan)
    PRUNE = 5  # objects and records retention no longer needs

    @property
    def sequential(self) -> bool:
        """One action at a time, each durable before the next (the manifest before the
        record before current.json); the other steps run concurrently."""
        return self in (Step.JOURNAL, Step.RECORDS, Step.CLEANUP)

    @property
    def live(self) -> bool:
        """Changes what visitors get: the publisher checks it still holds the lock first."""
        return self in (Step.LIVE_FILES, Step.RECORDS)


class _Text(str, Enum):
    """A str enum shown as its value (Python 3.10 has no StrEnum)."""

    def __str__(self) -> str:
        return self.value


class Kind(_Text):
    UPLOAD = "upload"  # a published object the target does not have
    OVERWRITE = "overwrite"  # a file that keeps its name, new bytes
    UPDATE_HEADERS = "update-headers"  # same bytes, new headers
    SKIP = "skip"
    RESTORE = "restore"  # rollback: a server-side copy from the target itself
    PUT = "put"  # assetpub's own bytes: journal and records
    STASH = "stash"  # a keep-name file's bytes, by content, for rollback
    DELETE = "delete"

    @property
    def writes(self) -> bool:
        """Changes a published object (what the journal lists and a CDN invalidates)."""
        return self in (Kind.UPLOAD, Kind.OVERWRITE, Kind.UPDATE_HEADERS, Kind.RESTORE)

    @property
    def sends(self) -> bool:
        """Sends the object's bytes."""
        return self in (Kind.UPLOAD, Kind.OVERWRITE)


class Reason(_Text):
    """Why a key is written, or left as it is (Hugo's uploadReason)."""

    NOT_ON_TARGET = "not on target"
    CONTENT_CHANGED = "content changed"
    NO_HASH = "no assetpub hash on target"
    WRONG_HASH = "stored sha256 metadata is wrong, the bytes are right: repaired by --verify"
    HEADERS_CHANGED = "headers changed"  # detail: which, from what to what
    UNCHANGED = "unchanged"
    REUSED = "already published (reused by the build)"
    ROLLED_BACK = "as in the deploy rolled back to"  # detail: its id
    JOURNAL = "keys about to be written"  # detail: how many (shown first)
    STASHED = "bytes kept for rollback"  # detail: the key whose bytes they are (shown within)
    RECORD = "this deploy's record"
    RECORD_PART = "part of this deploy's record"  # its objects, by content (record.py, format 3)
    CURRENT = "make this deploy the current one"


class Cause(_Text):
    """Why a key is deleted."""

    RETIRED = "unreferenced by the deploys retention keeps"  # detail: how many, since when (shown within)
    UNKNOWN = "not created by assetpub (--delete-unknown)"
    OLD_RECORD = "record of a deploy retention no longer needs"
    FINISHED = "publish complete"  # the journal


class Problem(_Text):
    """Why a published object can get no action at all: the publish must not run."""

    CONFLICT = "fingerprinted key already published with different bytes"
    MISSING = "neither in the build directory nor on the target"


Why = Reason | Cause


@dataclass(frozen=True)
class Action:
    """One thing to do to one key. `obj` describes the object as it will be (what to upload,
    or the headers and hash a restore gives it); `data` is what PUT writes; `source` is the
    key a RESTORE copies from."""

    kind: Kind
    key: str
    why: Why
    step: Step
    obj: LocalObject | None = None
    data: bytes | None = None
    source: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        # what apply() relies on, checked when the plan is made (not asserted: python -O drops asserts);
        # a failure here is a bug in the planner, so it is no PublishError
        if self.kind in _NEEDS_OBJECT and self.obj is None:
            raise ValueError(f"{self.kind} {self.key}: an action of this kind needs the object")
        if self.kind in _SENDS_FILE and self.obj.file is None:
            raise ValueError(f"{self.kind} {self.key}: no file to send")
        if self.kind is Kind.PUT and self.data is None:
            raise ValueError(f"put {self.key}: no bytes to write")
        if self.kind is Kind.RESTORE and self.source is None:
            raise ValueError(f"restore {self.key}: no key to copy from")

    @property
    def reason(self) -> str:
        """The reason as shown: `not on target`, `headers changed: cache-control 'a' -> 'b'`."""
        shown = _SHOWN.get(self.why)
        if shown is not None:
            return shown.format(self.detail)
        return f"{self.why.value}: {self.detail}" if self.detail else self.why.value

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        return self.obj.size if self.obj is not None else 0

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.kind.value, "key": self.key, "reason": self.reason, "step": int(self.step),
                "bytes": self.size}


# reasons whose detail is shown within the words, as they always read (scripts match them)
_SHOWN = {
    Reason.JOURNAL: "{} keys about to be written",
    Reason.STASHED: "bytes of {}, for rollback",
    Cause.RETIRED: "unreferenced by the last {}",
}
_NEEDS_OBJECT = frozenset((Kind.UPLOAD, Kind.OVERWRITE, Kind.UPDATE_HEADERS, Kind.SKIP, Kind.STASH, Kind.RESTORE))
_SENDS_FILE = frozenset((Kind.UPLOAD, Kind.OVERWRITE, Kind.STASH))
