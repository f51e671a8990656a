"""A CloudFront Function (viewer request, cloudfront-js-2.0) that serves the
precompressed variant a viewer accepts, and the cache-policy settings it relies on.

S3 does no content negotiation: publish stores identity bytes at NAME and the
variants at NAME.br / NAME.gz with their own Content-Encoding. The function rewrites
the URI of a request to NAME.br (or NAME.gz) when the viewer accepts that coding
**and** that variant exists; every other request passes untouched.

Which files have variants follows a rule (assetpub/compress.py): every file of a
compressible type has one variant per encoding the build enabled. So the function
carries the compressible extensions and the encodings, not a list of files: its size
and its per-request cost do not grow with the site. Files that break the rule (a
manifest built before it, the manifest itself) are listed as exceptions, compactly,
because a function may hold at most 10 KB of code (CloudFront quota):
  * fingerprinted files by their 12-hex fingerprint plus one flag digit
    (`3f9a2c1d5e6b3` = fingerprint 3f9a2c1d5e6b, flag 3): 13 bytes a file;
  * files without a fingerprint in their name (keep-name, pre-digested) by path.
Flag bits: 1 = a .br variant exists, 2 = a .gz variant exists.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from .. import media_types
from ..digest import FINGERPRINT_LENGTH, fingerprinted_name
from ..errors import FunctionTooLarge
from ..manifest import MANIFEST_NAME, Manifest, url_path
from ..origin import served_prefix
from .embed import printable

MAX_FUNCTION_BYTES = 10 * 1024  # CloudFront Functions quota: maximum function size
RUNTIME = "cloudfront-js-2.0"
FLAGS = {"br": 1, "gzip": 2}
_FP = re.compile(rf"[0-9a-f]{{{FINGERPRINT_LENGTH}}}")


def cloudfront_function(manifest: Manifest, *, prefix: str | None = None) -> str:
    """The JavaScript source of the viewer-request function for this manifest."""
    prefix = served_prefix(prefix, manifest.base_url)
    rule, fingerprints, paths = _variant_tables(manifest)
    code = _TEMPLATE.format(
        source=printable(manifest.source or "manifest"),
        count=len(fingerprints) + len(paths),
        prefix=json.dumps(prefix),
        rule=rule,
        extensions=json.dumps("," + ",".join(sorted(ext.lstrip(".") for ext in _compressible_extensions())) + ","),
        fp_len=FINGERPRINT_LENGTH,
        step=FINGERPRINT_LENGTH + 1,
        fingerprints=json.dumps("".join(f"{fp}{flag}" for fp, flag in sorted(fingerprints.items()))),
        paths=json.dumps(dict(sorted(paths.items())), separators=(",", ":"), ensure_ascii=True),
    )
    size = len(code.encode("utf-8"))
    if size > MAX_FUNCTION_BYTES:
        raise FunctionTooLarge(
            f"{manifest.source or 'manifest'}: the function would be {size} bytes, over CloudFront's "
            f"{MAX_FUNCTION_BYTES}-byte limit: {len(fingerprints) + len(paths)} files break the rule that every "
            f"compressible file has every variant; rebuild with this version of assetpub"
        )
    return code


def cache_settings(*, name: str = "assetpub-precompressed") -> dict[str, Any]:
    """What the distribution's cache behavior needs, in CloudFront API shapes.

    * CachePolicyConfig: EnableAcceptEncodingBrotli/Gzip on, so CloudFront normalises
      Accept-Encoding (to `br,gzip`, `br`, `gzip` or nothing) and keys the cache on it:
      identity-URL responses (files without a variant, or compressed on the fly by
      CloudFront) are never handed to a viewer that did not accept their encoding.
      The rewritten .br/.gz URIs are cache keys of their own. MinTTL 0 so each
      object's Cache-Control (immutable / must-revalidate) decides; DefaultTTL applies
      only to objects stored without one. No cookies, headers or query strings in
      the key: assets do not vary by them.
    * ResponseHeadersPolicyConfig: `Vary: Accept-Encoding`, which S3 cannot store,
      so browser and proxy caches below CloudFront keep the encodings apart too.
    """
    return {
        "FunctionConfig": {"Comment": "assetpub: serve precompressed .br/.gz variants", "Runtime": RUNTIME},
        "FunctionEventType": "viewer-request",
        "CachePolicyConfig": {
            "Name": name,
            "Comment": "assetpub: objects' Cache-Control decides; Accept-Encoding normalised into the key",
            "MinTTL": 0,
            "DefaultTTL": 86400,
            "MaxTTL": 31536000,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": True,
                "EnableAcceptEncodingBrotli": True,
                "HeadersConfig": {"HeaderBehavior": "none"},
                "CookiesConfig": {"CookieBehavior": "none"},
                "QueryStringsConfig": {"QueryStringBehavior": "none"},
            },
        },
        "ResponseHeadersPolicyConfig": {
            "Name": f"{name}-vary",
            "Comment": "assetpub: responses depend on Accept-Encoding",
            "CustomHeadersConfig": {
                "Quantity": 1,
                "Items": [{"Header": "Vary", "Value": "Accept-Encoding", "Override": True}],
            },
        },
        "CacheBehavior": {"Compress": True, "ViewerProtocolPolicy": "redirect-to-https"},
    }


def _flags(encodings: Mapping[str, Any]) -> int:
    return sum(FLAGS[enc] for enc in encodings if enc in FLAGS)


def _compressible_extensions() -> list[str]:
    return [t.extension for t in media_types.table() if t.compressible]


def _variant_tables(manifest: Manifest) -> tuple[int, dict[str, int], dict[str, int]]:
    """(the rule's flags for compressible files, {fingerprint: flags}, {url path below the
    prefix: flags}): the exceptions are the files whose variants differ from the rule."""
    entries = list(manifest.entries.items())
    rule = 0
    for _name, entry in entries:
        if media_types.is_compressible(entry.path):
            rule |= _flags(entry.encodings)
    fingerprints: dict[str, int] = {}
    paths: dict[str, int] = {}
    for name, entry in entries:
        flags = _flags(entry.encodings)
        if flags == (rule if media_types.is_compressible(entry.path) else 0):
            continue
        digest = entry.digest or ""
        short = digest[:FINGERPRINT_LENGTH]
        if entry.fingerprinted and _FP.fullmatch(short) and entry.path == fingerprinted_name(name, digest):
            fingerprints[short] = flags
        else:
            paths[url_path(entry.path)] = flags
    if rule and media_types.is_compressible(MANIFEST_NAME):
        paths.setdefault(url_path(MANIFEST_NAME), 0)  # published as is, without variants
    return rule, fingerprints, paths


_TEMPLATE = """\
// assetpub cloudfront-function (viewer request, cloudfront-js-2.0), from {source}
// ({count} exceptions to the rule): rewrites PREFIX+path to path.br / path.gz when the
// viewer accepts that coding and the variant was published. Every file with one of
// the EXTS extensions has the RULE variants (1=.br 2=.gz); exceptions: FPS (12-hex
// fingerprint + flags) and PATHS. Cache policy: `assetpub cloudfront-function --settings`.
var PREFIX = {prefix};
var RULE = {rule};
var EXTS = {extensions};
var FPS = {fingerprints};
var PATHS = {paths};
var FP = /\\.([0-9a-f]{{{fp_len}}})(\\.[^.\\/]*)?$/;

function flagsFor(path) {{
  if (Object.prototype.hasOwnProperty.call(PATHS, path)) return PATHS[path];
  var m = FPS ? FP.exec(path) : null;
  if (m) {{
    for (var i = FPS.indexOf(m[1]); i !== -1; i = FPS.indexOf(m[1], i + 1)) {{
      if (i % {step} === 0) return +FPS.charAt(i + {fp_len});
    }}
  }}
  // the extension as the build sees it (Python's splitext: leading dots are not one)
  var base = path.substring(path.lastIndexOf('/') + 1).replace(/^\\.+/, ''), dot = base.lastIndexOf('.');
  if (dot <= 0) return 0;
  return EXTS.indexOf(',' + base.substring(dot + 1).toLowerCase() + ',') !== -1 ? RULE : 0;
}}

// RFC 9110: a coding is accepted if listed with q > 0, or unlisted while "*" has q > 0.
function accepts(header, coding) {{
  var named = null, star = false, items = header.split(',');
  for (var i = 0; i < items.length; i++) {{
    var params = items[i].split(';'), name = params[0].trim().toLowerCase(), q = 1;
    for (var j = 1; j < params.length; j++) {{
      var p = params[j].trim().toLowerCase();
      if (p.indexOf('q=') === 0) {{ q = parseFloat(p.substring(2)); if (isNaN(q)) q = 0; }}
    }}
    if (name === coding) named = q > 0;
    else if (name === '*') star = q > 0;
  }}
  return named === null ? star : named;
}}

function acceptEncoding(headers) {{
  var h = headers['accept-encoding'];
  if (!h) return '';
  if (h.multiValue) return h.multiValue.map(function (v) {{ return v.value; }}).join(',');
  return h.value || '';
}}

function handler(event) {{
  var request = event.request, uri = request.uri;
  if (uri.indexOf(PREFIX) !== 0) return request;
  var flags = flagsFor(uri.substring(PREFIX.length));
  if (!flags) return request;
  var header = acceptEncoding(request.headers);
  if ((flags & 1) && accepts(header, 'br')) request.uri = uri + '.br';
  else if ((flags & 2) && accepts(header, 'gzip')) request.uri = uri + '.gz';
  return request;
}}
"""
