"""digest: names with a fingerprint, one rule for the build, the dev server, the edge and the audit."""

from __future__ import annotations

import re

import pytest

from assetpub.digest import FINGERPRINTED_NAME, PRE_DIGESTED_NAME, fingerprinted_name, is_fingerprinted


@pytest.mark.parametrize(
    "path, expected",
    [
        ("css/app.0123456789ab.css", True),
        ("css/app.0123456789ab.css.br", True),  # a variant of a fingerprinted file is immutable too
        ("css/app.0123456789ab.css.gz", True),
        ("js/x.js.0123456789ab.map", True),
        ("LICENSE.0123456789ab", True),
        ("vendor/x-abcdef1234.digested.css", True),
        ("vendor/x-abcdef1234.digested.css.br", True),
        ("css/app.css", False),
        ("css/app.css.br", False),
        ("css/app.0123456789AB.css", False),
        ("css/app.0123456789a.css", False),
        ("d.0123456789ab/app.css", False),  # a directory's name does not make its files immutable
        ("robots.txt", False),
    ],
)
def test_is_fingerprinted(path, expected):
    assert is_fingerprinted(path) is expected


@pytest.mark.parametrize("name", ["css/app.css", "x.js.map", "LICENSE", "a/b/.well-known.txt"])
def test_a_fingerprinted_name_is_fingerprinted(name):
    assert is_fingerprinted(fingerprinted_name(name, "0123456789abcdef" * 4))
    assert not is_fingerprinted(name)


def test_the_nginx_patterns_are_valid_pcre_and_python():
    for pattern in (FINGERPRINTED_NAME, PRE_DIGESTED_NAME):
        re.compile(pattern)
        assert "(?" not in pattern  # no Python-only syntax in what nginx reads
