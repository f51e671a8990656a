"""Publish a build to an S3 bucket or a directory origin, uploading only what changed.

    >>> from assetpub.publish import open_target, publish
    >>> result = publish("build", target=open_target("s3://my-bucket/assets"))

See docs/publishing.md.
"""

from .apply import ApplyResult, apply
from .errors import ImmutableConflict, PublishError, TargetError
from .plan import Action, Plan, PlanOptions, plan
from .publisher import PublishResult, publish, read_current
from .record import DeployRecord
from .state import Headers, LocalObject, LocalState, RemoteObject, RemoteState, load_local
from .target import Target, open_target

__all__ = [
    "Action",
    "ApplyResult",
    "DeployRecord",
    "Headers",
    "ImmutableConflict",
    "LocalObject",
    "LocalState",
    "Plan",
    "PlanOptions",
    "PublishError",
    "PublishResult",
    "RemoteObject",
    "RemoteState",
    "Target",
    "TargetError",
    "apply",
    "load_local",
    "open_target",
    "plan",
    "publish",
    "read_current",
]
