"""Publish errors, in the user's terms (the CLI prints them as one line)."""

from __future__ import annotations

from ..errors import AssetpubError, UsageError


class PublishError(AssetpubError):
    """The publish cannot go on: bad build directory, bad target, or the target refused."""


class PublishUsageError(PublishError, UsageError):
    """The build directory or the target was named wrongly (not there, a bad URL, an option
    that does not apply): exit 2."""


class TargetError(PublishError):
    """The target cannot be reached or refused a request (credentials, bucket, network)."""


class ImmutableConflict(PublishError):
    """A fingerprinted key already holds different bytes: something is corrupt; nothing is overwritten."""
