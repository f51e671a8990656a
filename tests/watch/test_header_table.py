"""The one header sidecar (origin.py) and the dev server's table built from it and the
manifest's typed entries (devserver.headers)."""

from __future__ import annotations

import json

import pytest

from assetpub.config import IMMUTABLE, REVALIDATE
from assetpub.devserver.headers import HeaderTable
from assetpub.origin import SIDECAR, Headers, SidecarError, read_sidecar, sidecar_bytes

CSS = {"path": "a.0123456789ab.css", "integrity": "sha384-x", "size": 3, "fingerprinted": True,
       "cache_control": "public, max-age=60", "encodings": {"br": {"path": "a.0123456789ab.css.br", "size": 2}}}


def write(root, manifest=None, sidecar=None):
    if manifest is not None:
        (root / "assetpub-manifest.json").write_text(json.dumps({"version": 1, "base_url": "/s/", "assets": manifest}))
    if sidecar is not None:
        (root / SIDECAR).parent.mkdir(parents=True, exist_ok=True)
        (root / SIDECAR).write_bytes(sidecar if isinstance(sidecar, bytes) else json.dumps(sidecar).encode())


def test_sidecar_written_and_read_back_is_the_same_headers(tmp_path):
    objects = {"a.css": Headers("text/css", "no-cache"), "a.css.br": Headers("text/css", "no-cache", "br")}
    write(tmp_path, sidecar=sidecar_bytes(objects))
    assert read_sidecar(tmp_path) == objects
    assert json.loads((tmp_path / SIDECAR).read_text())["version"] == 1


@pytest.mark.parametrize("raw, error", [
    (b"{torn", "not a readable headers sidecar"),
    (json.dumps({"version": 2, "objects": {}}).encode(), "not a version 1 headers sidecar"),
    (json.dumps({"version": 1, "objects": []}).encode(), "not a version 1 headers sidecar"),
])
def test_an_unreadable_sidecar_or_one_of_another_version_is_an_error_naming_it(tmp_path, raw, error):
    write(tmp_path, sidecar=raw)
    with pytest.raises(SidecarError, match=r"_assetpub/headers\.json: " + error):
        read_sidecar(tmp_path)


def test_no_sidecar_is_none(tmp_path):
    assert read_sidecar(tmp_path) is None


def test_a_bad_manifest_entry_costs_only_its_own_file_its_headers(tmp_path):
    write(tmp_path, {"a.css": CSS, "robots.txt": {"path": "robots.txt", "integrity": "sha384-y", "size": 1,
                                                  "cache_control": "no-cache\r\nSet-Cookie: x=1"}})
    table = HeaderTable(tmp_path)
    served = table.lookup("a.0123456789ab.css")
    assert served.headers == Headers("text/css; charset=utf-8", "public, max-age=60")
    assert served.variants == {"br": "a.0123456789ab.css.br"}
    assert table.lookup("a.0123456789ab.css.br").headers.content_encoding == "br"
    assert table.lookup("robots.txt").headers.cache_control == REVALIDATE  # the defaults, not the injected value
    assert table.base_path == "/s/"


def test_the_sidecar_wins_and_a_bad_one_falls_back_to_the_manifest(tmp_path):
    write(tmp_path, {"a.css": CSS}, {"version": 1, "objects": {"a.0123456789ab.css": {
        "content_type": "text/css", "cache_control": "no-store"}}})
    assert HeaderTable(tmp_path).lookup("a.0123456789ab.css").headers == Headers("text/css", "no-store")
    write(tmp_path, sidecar={"version": 9, "objects": {}})
    assert HeaderTable(tmp_path).lookup("a.0123456789ab.css").headers.cache_control == "public, max-age=60"
    assert HeaderTable(tmp_path).lookup("b.0123456789ab.js").headers.cache_control == IMMUTABLE  # unlisted
