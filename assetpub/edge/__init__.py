"""Edge configuration generated from a build: an nginx server block for a directory
origin, and a CloudFront Function for S3 + CloudFront. Both pick the precompressed
variant a client accepts; neither compresses on the fly."""

from .origin import Origin, load_origin
from .nginx import nginx_config

__all__ = ["Origin", "load_origin", "nginx_config"]
