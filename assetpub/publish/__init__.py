"""Publish a build to an S3 bucket or a directory origin, uploading only what changed.

    >>> from assetpub.publish import open_target, publish
    >>> result = publish("build", target=open_target("s3://my-bucket/assets"))

See docs/publishing.md.
"""

from .actions import Cause, Kind, Problem, Reason, Step
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
    "Cause",
    "DeployRecord",
    "Headers",
    "ImmutableConflict",
    "Kind",
    "LocalObject",
    "LocalState",
    "Plan",
    "PlanOptions",
    "Problem",
    "PublishError",
    "PublishResult",
    "Reason",
    "RemoteObject",
    "RemoteState",
    "Step",
    "Target",
    "TargetError",
    "apply",
    "load_local",
    "open_target",
    "plan",
    "publish",
    "read_current",
]
