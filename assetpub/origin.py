"""The layout of what assetpub publishes: one place for the names every part agrees on
(the build, the publish targets, the dev server, the edge generators, the audit).

    <prefix>/assetpub-manifest.json   the live manifest (manifest.MANIFEST_NAME)
    <prefix>/_assetpub/               assetpub's own state, never served:
        current.json, deploys/, journal.json, lock.json, objects/   (publish)
        headers.json                                                (directory origins)
"""

from __future__ import annotations

STATE_DIR = "_assetpub"  # a reserved top-level directory: records, locks, the header sidecar
RESERVED = STATE_DIR + "/"  # keys under this prefix belong to assetpub
SIDECAR = RESERVED + "headers.json"  # a directory origin's headers, {"version": 1, "objects": {...}}


def is_reserved(key: str) -> bool:
    """Whether a key (or logical name) lies in assetpub's own state."""
    return key == STATE_DIR or key.startswith(RESERVED)
