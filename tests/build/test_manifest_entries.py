"""The typed manifest entry (manifest.Entry): parsed, checked and defaulted in one place."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetpub.config import IMMUTABLE, REVALIDATE
from assetpub.errors import ManifestError
from assetpub.manifest import Manifest, Variant, parse_entry

GOOD = {"path": "a.0123456789ab.css", "integrity": "sha384-x", "size": 3}


@pytest.mark.parametrize("table, field, value", [
    (GOOD, "encodings", {}),
    (GOOD, "fingerprinted", False),  # not said: a keep-name file, never cached a year on a guess
    (GOOD, "content_type", "text/css; charset=utf-8"),  # from the media-type table
    (GOOD, "cache_control", REVALIDATE),
    ({**GOOD, "fingerprinted": True}, "cache_control", IMMUTABLE),
    ({**GOOD, "cache_control": "no-cache"}, "cache_control", "no-cache"),
    ({**GOOD, "content_type": "text/plain"}, "content_type", "text/plain"),
    (GOOD, "digest", None),
    ({**GOOD, "encodings": None}, "encodings", {}),
    ({**GOOD, "encodings": {"gzip": {"path": "a.css.gz", "size": 2}, "br": {"path": "a.css.br"}}},
     "encodings", {"br": Variant("a.css.br", None), "gzip": Variant("a.css.gz", 2)}),
])
def test_defaults(table, field, value):
    assert getattr(parse_entry(table), field) == value


@pytest.mark.parametrize("table, problem", [
    ([], "is not a table"),
    ({**GOOD, "size": True}, "has no valid 'size'"),
    ({**GOOD, "size": "3"}, "has no valid 'size'"),
    ({**GOOD, "encodings": {"br": {"size": 1}}}, "has malformed 'encodings'"),
    ({**GOOD, "encodings": {"br": {"path": "x.br", "size": "1"}}}, "has malformed 'encodings'"),
    ({**GOOD, "encodings": ["br"]}, "has malformed 'encodings'"),
    ({**GOOD, "path": "../etc/passwd"}, "has an unsafe path '../etc/passwd'"),
    ({**GOOD, "encodings": {"br": {"path": "/x.br"}}}, "has an unsafe path '/x.br'"),
    ({**GOOD, "cache_control": 3}, "has a 'cache_control' that is a int"),
    ({**GOOD, "content_type": "text/css\r\nX: y"}, "has a 'content_type' that contains the control character"),
    ({**GOOD, "digest": 3}, "has a 'digest' that is not a string"),
    ({**GOOD, "fingerprinted": "yes"}, "has a 'fingerprinted' that is not true or false"),
])
def test_problems(table, problem):
    with pytest.raises(ValueError, match="^" + problem.replace("(", r"\(")):
        parse_entry(table)


def test_a_bad_entry_fails_the_load_naming_file_and_entry(tmp_path):
    path = tmp_path / "assetpub-manifest.json"
    path.write_text(json.dumps({"version": 1, "assets": {"a.css": {**GOOD, "fingerprinted": 1}}}))
    with pytest.raises(ManifestError, match=r"assetpub-manifest.json: entry 'a.css' has a 'fingerprinted'"):
        Manifest.load(path)


def test_entries_type_the_table_and_the_file_is_written_back_byte_for_byte(tmp_path):
    table = {**GOOD, "encodings": {"br": {"path": "a.0123456789ab.css.br", "size": 2}}, "extra": [1]}
    path = tmp_path / "assetpub-manifest.json"
    path.write_bytes(Manifest(base_url="/s/", assets={"a.css": table}).to_json())
    loaded = Manifest.load(path)
    assert loaded.to_json() == path.read_bytes()
    assert loaded.assets["a.css"] == table  # unknown keys kept as they are
    entry = loaded.entry("a.css?v=1")
    assert entry.kind == "keep-name" and entry.paths() == ["a.0123456789ab.css", "a.0123456789ab.css.br"]
    assert loaded.paths() == set(entry.paths())


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab.-_~@+,=/\\:\x00\n %?#é", max_size=12))
def test_a_plain_key_is_one_key_problem_finds_safe(key):
    """parse_entry's fast check never lets through a key the full rule would refuse."""
    from assetpub.manifest import _PLAIN_KEY
    from assetpub.safe_path import key_problem

    if _PLAIN_KEY.fullmatch(key):
        assert key_problem(key) is None
