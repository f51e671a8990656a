"""Edge configuration generated from a build: an nginx server block for a directory
origin, and a CloudFront Function for S3 + CloudFront. Both pick the precompressed
variant a client accepts; neither compresses on the fly."""

from .cloudfront import cache_settings, cloudfront_function
from .nginx import nginx_config
from .origin import Origin, load_origin

__all__ = ["Origin", "cache_settings", "cloudfront_function", "load_origin", "nginx_config"]
