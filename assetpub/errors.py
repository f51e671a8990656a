"""Errors in the user's terms, all of them (the publish and audit packages keep their own
in publish/errors.py and audit/errors.py). The CLI prints any AssetpubError as one line and exits
with the error's `exit_status` (status.py)."""

from __future__ import annotations

from .status import ExitStatus


class AssetpubError(Exception):
    """Base class of every error assetpub raises on purpose (bad input, bad config, failed I/O)."""

    exit_status = ExitStatus.FAILED
    details: tuple[str, ...] = ()  # further problems of the same kind, one line each, after the message


class UsageError(AssetpubError):
    """The command was used wrongly: an option, an argument or a setting is invalid or missing."""

    exit_status = ExitStatus.USAGE


class ConfigError(UsageError):
    """A configuration file or option is invalid."""


class BuildError(AssetpubError):
    """The build cannot go on: names the file (and line where it applies)."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.line = line


class ManifestError(AssetpubError):
    """A manifest is missing, unreadable or not an assetpub manifest."""


class AssetNotFound(AssetpubError, KeyError):
    """A logical name is not in the manifest. Subclasses KeyError so `except KeyError` works."""

    def __init__(self, name: str, manifest: str | None = None):
        where = f" in {manifest}" if manifest else ""
        super().__init__(f"asset {name!r} not found{where}")
        self.name = name
        self.manifest = manifest

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


# -- raised by one part each; defined here so that every error a user can meet is in one catalogue


class UnsafePath(AssetpubError):
    """A path from state or input that would leave its root (or is not a path at all)."""


class UnsafeHeader(AssetpubError):
    """A header value with a control character."""


class ChangedDuringBuild(BuildError):
    """A source whose bytes are not the ones its fingerprint was computed from."""

    def __init__(self, file: str | None):
        super().__init__("changed during the build, run again", file=file)

    def __reduce__(self):  # keeps `file` across the worker process boundary
        return (ChangedDuringBuild, (self.file,))


class BudgetExceeded(AssetpubError):
    """One or more budgets are exceeded: the job failed (exit code 1)."""


class WatchError(AssetpubError):
    """Watching cannot start (a source root is missing, the inotify watch limit is reached)."""


class ServeError(AssetpubError):
    """The server cannot start (no such directory, address in use)."""


class SidecarError(AssetpubError):
    """A header sidecar that cannot be read, or of another format version."""


class FunctionTooLarge(AssetpubError):
    """The embedded variant list does not fit CloudFront's function size limit."""
