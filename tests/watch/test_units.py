"""Pure pieces of the dev server: Accept-Encoding negotiation, request paths, header table."""

from __future__ import annotations

import pytest

from assetpub.devserver import negotiate
from assetpub.devserver.paths import BadRequest, relative_name, url_path


@pytest.mark.parametrize(
    "header, available, expected",
    [
        ("gzip, deflate, br", {"br", "gzip"}, "br"),
        ("gzip, deflate, br", {"gzip"}, "gzip"),
        ("gzip, deflate, br", set(), None),
        ("br", {"gzip"}, None),  # never an encoding the client did not accept
        ("br;q=0.2, gzip;q=0.3", {"br", "gzip"}, "gzip"),
        ("br;q=0.3, gzip;q=0.3", {"br", "gzip"}, "br"),  # tie: brotli
        ("br;q=0, *", {"br", "gzip"}, "gzip"),
        ("*;q=0", {"br", "gzip"}, None),
        ("identity;q=1, br;q=0.5", {"br"}, None),
        ("identity;q=0.5, br;q=0.5", {"br"}, "br"),
        ("br; q=1.5", {"br"}, "br"),  # clamped
        ("br;q=-1", {"br"}, None),
        (" GZIP ; Q=0.5 ", {"gzip"}, "gzip"),
        (",,;", {"br"}, None),
        (None, {"br", "gzip"}, None),
    ],
)
def test_choose(header, available, expected):
    assert negotiate.choose(header, available) == expected


@pytest.mark.parametrize(
    "target, path",
    [
        ("/assets/a.css", "/assets/a.css"),
        ("/assets/a.css?v=1#x", "/assets/a.css"),
        ("/assets/nonascii%E2%9C%93.txt", "/assets/nonascii✓.txt"),
        ("/assets/with%20space.txt", "/assets/with space.txt"),
        ("http://host:1/assets/a.css", "/assets/a.css"),
    ],
)
def test_url_path(target, path):
    assert url_path(target) == path


@pytest.mark.parametrize(
    "target",
    ["/../x", "/a/./b", "/%2e%2e/x", "/.%2E/x", "/a%2fb", "/a%5cb", "/a%00", "/%ff", "*", "a.css", "/a\\b"],
)
def test_url_path_refuses(target):
    with pytest.raises(BadRequest):
        url_path(target)


@pytest.mark.parametrize(
    "path, prefix, rel",
    [
        ("/assets/css/a.css", "/assets/", "css/a.css"),
        ("/assets/", "/assets/", "index.html"),
        ("/assets/docs/", "/assets/", "docs/index.html"),
        ("/other/a.css", "/assets/", None),
        ("/assets", "/assets/", None),
        ("/assets//etc/passwd", "/assets/", None),
        ("/assets/.env", "/assets/", None),
        ("/assets/css/.hidden/a.css", "/assets/", None),
        ("/assets/_assetpub/headers.json", "/assets/", None),
        ("/assets/.well-known/security.txt", "/assets/", ".well-known/security.txt"),
        ("/assets/.well-known/.secret", "/assets/", None),
        ("/assets/css/.well-known/x", "/assets/", None),
        ("/a.css", "/", "a.css"),
    ],
)
def test_relative_name(path, prefix, rel):
    assert relative_name(path, prefix) == rel


