"""Errors in the user's terms. The CLI turns any AssetpubError into one line and exit code 1."""

from __future__ import annotations


class AssetpubError(Exception):
    """Base class of every error assetpub raises on purpose (bad input, bad config, failed I/O)."""


class ConfigError(AssetpubError):
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
