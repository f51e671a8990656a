"""Fingerprints, output names and SRI.

Design (see docs/fingerprints.md): a file's fingerprint is computed from sources
alone, before any compile/minify/compress work:

    component(C) = H(members' (name, sha256(source)), sorted component(D) for each D that C references)
    fingerprint(a) = H(pipeline id, a's name, component(C_a))

where C_a is the strongly connected component of `a` in the reference graph. So
cycles need no ordering, editing any file changes the fingerprint of every file
that reaches it, and the output name of every file is known before any work.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re

FINGERPRINT_LENGTH = 12  # hex characters in file names (48 bits), as Django's ManifestStaticFilesStorage

# A name that carries a fingerprint (`app.<12 hex>.css`, or its `.br`/`.gz` variant), and
# Propshaft's convention, `name-<digest>.digested.ext`, a name that carries a digest already.
# Regexes for Python and for nginx (PCRE), matched against the end of a path or URI.
FINGERPRINTED_NAME = rf"\.[0-9a-f]{{{FINGERPRINT_LENGTH}}}(\.[^./]+)?(\.br|\.gz)?$"
PRE_DIGESTED_NAME = r"-[0-9A-Za-z_-]{7,128}\.digested[^/]*$"
_PRE_DIGESTED = re.compile(PRE_DIGESTED_NAME)
_IMMUTABLE_NAME = re.compile(f"{FINGERPRINTED_NAME}|{PRE_DIGESTED_NAME}")


def combine(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def integrity(data: bytes) -> str:
    """Subresource Integrity value (sha384) of the exact bytes served."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def is_pre_digested(name: str) -> bool:
    return bool(_PRE_DIGESTED.search(posixpath.basename(name)))


def is_fingerprinted(path: str) -> bool:
    """Whether a name's bytes can never change: it carries a fingerprint of ours (a variant's
    included: 'css/app.0123456789ab.css.br') or a pre-digested one. What the dev server,
    the edge configs and the audit treat as immutable."""
    return bool(_IMMUTABLE_NAME.search(path))


def split_extension(basename: str) -> tuple[str, str]:
    """'app.css' -> ('app', '.css'); 'x.js.map' -> ('x.js', '.map'); 'LICENSE' -> ('LICENSE', '')."""
    stem, ext = posixpath.splitext(basename)
    return (basename, "") if not stem else (stem, ext)


def fingerprinted_name(name: str, fingerprint: str) -> str:
    """'css/app.css' -> 'css/app.<fp>.css': the fingerprint goes before the last extension."""
    directory, basename = posixpath.split(name)
    stem, ext = split_extension(basename)
    short = fingerprint[:FINGERPRINT_LENGTH]
    return posixpath.join(directory, f"{stem}.{short}{ext}")
