"""The origin's rules (assetpub/origin.py), table-tested: the URL path assets are served
under (serve, nginx-config, cloudfront-function) and which keys an origin serves."""

import subprocess
import sys

import pytest

from assetpub.errors import UsageError
from assetpub.origin import url_prefix


@pytest.mark.parametrize(("value", "expected"), [
    ("", "/"),
    ("/", "/"),
    ("assets", "/assets/"),
    ("/assets", "/assets/"),
    ("/assets/", "/assets/"),
    ("//assets//", "/assets/"),
    ("/static/v1/", "/static/v1/"),
    ("https://cdn.example.com/static/", "/static/"),
    ("https://cdn.example.com", "/"),
    ("/a-b_c~d.e/", "/a-b_c~d.e/"),
    ("/@scope:x+y,z=1!/", "/@scope:x+y,z=1!/"),
])
def test_normalised(value, expected):
    assert url_prefix(value) == expected


@pytest.mark.parametrize(("value", "named"), [
    ("bad prefix", "' '"),
    ("/a\nb/", "'\\n'"),
    ("/a\rb/", "'\\r'"),
    ("/a?b/", "'?'"),
    ("/a#b/", "'#'"),
    ("/a%20b/", "'%'"),
    ('/a"b/', "'\"'"),
    ("/a\\b/", "'\\\\'"),
    ("/a$b/", "'$'"),
    ("/a;b/", "';'"),
    ("/a{b/", "'{'"),
    ("/caf\u00e9/", "'é'"),
    ("/../x/", "'..'"),
    ("/a/./b/", "'.'"),
])
def test_refused_with_the_character_named(value, named):
    with pytest.raises(UsageError) as caught:
        url_prefix(value, what="--prefix")
    message = str(caught.value)
    assert message.startswith(f"--prefix {value!r}: ")
    assert named in message
    assert "\n" not in message


@pytest.mark.parametrize("command", [["nginx-config"], ["cloudfront-function"]])
def test_cli_refuses_a_bad_prefix_with_exit_2(tmp_path, command):
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "css" / "a.css").write_text("a{color:red}")
    run = [sys.executable, "-m", "assetpub"]
    subprocess.run([*run, "build", str(src), "-o", str(tmp_path / "out")], check=True, capture_output=True)
    result = subprocess.run([*run, *command, str(tmp_path / "out"), "--prefix", "bad prefix"],
                            capture_output=True, text=True)
    assert result.returncode == 2, result
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: --prefix 'bad prefix': ")


def test_serve_refuses_a_bad_prefix_with_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "assetpub", "serve", str(tmp_path), "--port", "0",
                             "--prefix", "/a?b/"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert "--prefix '/a?b/'" in result.stderr


@pytest.mark.parametrize(("key", "served"), [
    ("css/app.css", True),
    ("index.html", True),
    (".well-known/security.txt", True),
    (".well-known/sub/x.txt", True),
    (".well-known", False),  # a file of that name, not the directory
    ("sub/.well-known/x.txt", False),
    (".well-known/.hidden", False),
    (".env", False),
    ("css/.DS_Store", False),
    (".git/config", False),
    ("_assetpub", False),
    ("_assetpub/current.json", False),
    ("_assetpub/headers.json", False),
    ("css/_assetpub/x.css", True),  # only the top-level prefix is reserved
    ("css//app.css", False),
    ("css/", False),
])
def test_one_rule_for_what_an_origin_serves(key, served):
    from assetpub.origin import is_served

    assert is_served(key) is served
