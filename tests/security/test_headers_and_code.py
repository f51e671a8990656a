"""Issue 15, items 7 (defence in depth), 8 and 12 (nginx message): a header value with CR/LF
read from a manifest, a record or a sidecar is never sent or stored; values embedded in
generated code (the CloudFront function, the nginx config) cannot become code."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess

import pytest

import assetpub
from assetpub.devserver import make_server
from assetpub.edge import load_origin
from assetpub.edge.cloudfront import cloudfront_function
from assetpub.edge.nginx import nginx_config
from assetpub.errors import AssetpubError
from assetpub.manifest import Manifest
from assetpub.origin import Headers, read_sidecar
from assetpub.publish import PublishError, open_target, publish
from tests.conftest import missing, write_tree

INJECTED = "public, max-age=60\r\nSet-Cookie: injected=1"


def tampered_build(tmp_path, name="out"):
    src = write_tree(tmp_path / "src", {"css/a.css": ".a{color:red}\n" * 40, "robots.txt": "User-agent: *\n"})
    out = tmp_path / name
    assetpub.build([src], out=out)
    manifest = json.loads((out / "assetpub-manifest.json").read_text())
    manifest["assets"]["robots.txt"]["cache_control"] = INJECTED
    (out / "assetpub-manifest.json").write_text(json.dumps(manifest))
    return out


def test_serve_never_sends_a_header_value_with_crlf(tmp_path):
    out = tampered_build(tmp_path)
    server = make_server(out, port=0, host="127.0.0.1").start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        raw = json.loads((out / "assetpub-manifest.json").read_text())
        conn.request("GET", raw["base_url"] + raw["assets"]["robots.txt"]["path"])
        response = conn.getresponse()
        body = response.read()
        conn.close()
    finally:
        server.stop()
    assert response.status == 200 and body == b"User-agent: *\n"
    assert response.getheader("Set-Cookie") is None
    assert "injected" not in str(response.headers)


def test_directory_publish_refuses_before_writing_anything(tmp_path):
    out = tampered_build(tmp_path)
    origin = tmp_path / "origin"
    with pytest.raises(PublishError, match=r"robots\.txt.*cache_control.*contains the control character '\\r'"):
        publish(out, target=open_target(str(origin)))
    assert not origin.exists() or not any(origin.rglob("*"))


def test_a_sidecar_entry_with_crlf_is_dropped(tmp_path):
    write_tree(tmp_path, {"_assetpub/headers.json": json.dumps({"version": 1, "objects": {
        "a.txt": {"content_type": "text/plain", "cache_control": INJECTED},
        "b.txt": {"content_type": "text/plain", "cache_control": "no-cache"},
        "../c.txt": {"content_type": "text/plain", "cache_control": "no-cache"},
    }})})
    assert read_sidecar(tmp_path) == {"b.txt": Headers("text/plain", "no-cache")}


HOSTILE_DIR = "build\nvar PWNED = 1; //\u2028PWNED2 = 2; //"


def test_cloudfront_function_comment_cannot_carry_code(tmp_path):
    node = shutil.which("node")
    if node is None:
        missing("node not found (apt-get install nodejs)")
    src = write_tree(tmp_path / "src", {"css/a.css": ".a{color:red}\n" * 100})
    out = tmp_path / HOSTILE_DIR
    assetpub.build([src], out=out)
    code = cloudfront_function(Manifest.load(out))
    assert all(line.startswith(("//", "var ", "function", " ", "}", "")) for line in code.splitlines())
    (tmp_path / "f.js").write_text(code)
    probe = (
        "const vm = require('vm'); const c = vm.createContext({});"
        f"vm.runInContext(require('fs').readFileSync({json.dumps(str(tmp_path / 'f.js'))}, 'utf8'), c);"
        "process.stdout.write(JSON.stringify([typeof c.PWNED, typeof c.PWNED2, typeof c.handler]));"
    )
    result = subprocess.run([node, "-e", probe], capture_output=True, text=True, timeout=60, start_new_session=True)
    assert json.loads(result.stdout) == ["undefined", "undefined", "function"], result.stderr


def test_nginx_config_comments_are_printable_and_refusals_name_the_character(tmp_path):
    src = write_tree(tmp_path / "src", {"css/a.css": ".a{color:red}\n" * 40})
    out = tmp_path / "build\nserver { listen 9; }"
    assetpub.build([src], out=out)
    with pytest.raises(AssetpubError) as info:
        nginx_config(load_origin(out), brotli=False)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert "contains '\\n'" in message
    # a prefix from the manifest with a newline never reaches a comment line raw
    ok = tmp_path / "ok"
    assetpub.build([src], out=ok)
    with pytest.raises(AssetpubError, match="contains '\\\\n'"):
        nginx_config(load_origin(ok), brotli=False, prefix="/a\nb/")
