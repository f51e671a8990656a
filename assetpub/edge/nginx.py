"""An nginx server block that serves a directory origin the way the manifest intends.

* Encoding negotiation by nginx's own static modules: `brotli_static` and
  `gzip_static` pick the `.br`/`.gz` file beside the requested one only when the
  client accepts it and the file exists; `gzip_vary on` makes both add
  `Vary: Accept-Encoding` whenever a variant exists. `gzip off`: nothing is
  compressed on the fly, so the bytes served are the ones the manifest hashed.
* Cache-Control per file class, from the manifest actually built, through a `map` on
  the URI: a name carrying a fingerprint gets the policy most fingerprinted files of
  the build have, any other name the policy of its keep-name files; every file whose
  policy differs from that rule (per-glob overrides) is an exact map entry. A rule by
  name, not a list, so files of older retained deploys and files published after the
  config was generated get the right class too.
* Content types from assetpub.media_types only: the `types {}` block replaces
  nginx's mime.types, `charset_types` adds `charset=utf-8` to the text types.
* `try_files $uri =404`: a missing asset is a 404, never an index page or a
  directory listing. `_assetpub/` (deploy records) and dot-files are never served.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from .. import media_types
from ..digest import FINGERPRINTED_NAME, PRE_DIGESTED_NAME
from ..errors import AssetpubError, UsageError
from ..origin import STATE_DIR, WELL_KNOWN, Headers, is_served, served_prefix
from .embed import printable
from .origin import Origin

# Where distributions install dynamic modules; the first that has the file wins.
MODULE_DIRS = ("/usr/lib/nginx/modules", "/usr/lib64/nginx/modules", "/usr/local/nginx/modules", "/etc/nginx/modules")
BROTLI_MODULE = "ngx_http_brotli_static_module.so"

_LISTEN = re.compile(r"[\w.:\[\]*]+( [\w=.]+)*")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\$]')


def nginx_config(
    origin: Origin,
    *,
    listen: str = "127.0.0.1:8080",
    prefix: str | None = None,
    brotli: bool = True,
    standalone: str | Path | None = None,
    brotli_module: str | Path | None = None,
) -> str:
    """The server block (or, with `standalone=RUNDIR`, a complete nginx.conf whose
    pid, logs and temp files live in RUNDIR) serving `origin` under URL `prefix`."""
    prefix = served_prefix(prefix, origin.manifest.base_url)
    if not _LISTEN.fullmatch(listen):
        raise UsageError(f"--listen {listen!r}: expected an nginx listen value such as 127.0.0.1:8080")
    server = _server_block(origin, listen=listen, prefix=prefix, brotli=brotli)
    if standalone is None:
        return "\n".join(_header(origin, prefix, brotli)) + "\n" + server
    return _standalone(server, Path(standalone), brotli=brotli, brotli_module=brotli_module)


def find_brotli_module() -> Path | None:
    for directory in MODULE_DIRS:
        candidate = Path(directory) / BROTLI_MODULE
        if candidate.is_file():
            return candidate
    return None


# -- pieces ---------------------------------------------------------------------
def _header(origin: Origin, prefix: str, brotli: bool) -> list[str]:
    lines = [
        f"# assetpub nginx-config: serves {printable(origin.root)} at {printable(prefix)}",
        f"# from {printable(origin.manifest_path)} ({len(origin.manifest)} assets). Regenerate after a publish",
        "# that changes Cache-Control rules (new files need no regeneration).",
        "# Include it inside http {} (e.g. /etc/nginx/conf.d/assetpub.conf).",
    ]
    if brotli:
        lines += [
            "# brotli_static needs ngx_http_brotli_static_module, loaded in the main context:",
            f"#   load_module modules/{BROTLI_MODULE};",
            "# Debian/Ubuntu: apt-get install libnginx-mod-http-brotli-static (loads it for you).",
        ]
    return lines


def _server_block(origin: Origin, *, listen: str, prefix: str, brotli: bool) -> str:
    root = _quoted(origin.root.resolve().as_posix().rstrip("/") + "/", "origin directory")
    # map variables are global to http {}: one name per generated server block
    variable = "$assetpub_cache_control_" + hashlib.sha256(f"{listen} {prefix}".encode()).hexdigest()[:8]
    out = [
        "server {",
        f"    listen {listen};",
        "    server_name _;",
        "    server_tokens off;",
        "    autoindex off;",
        "",
        "    # Content types: assetpub.media_types, not the system's mime.types.",
        *_indent(_types_block(), 1),
        "    default_type application/octet-stream;",
        "    charset utf-8;",
        f"    charset_types {' '.join(_text_types())};",
        "",
        "    # Only the precompressed files; never compress on the fly.",
        "    gzip off;",
        "    gzip_static on;",
        *(["    brotli_static on;"] if brotli else []),
        "    gzip_vary on;",
        "    gzip_proxied any;  # a CDN in front sends Via:; without this it would only ever get identity",
        "",
        "    # Deploy records and dot-files are never served; a top-level .well-known/ is",
        "    # (the build publishes it, as the load path does), but no dot-file inside it.",
        f"    location ^~ {_quoted(prefix + STATE_DIR + '/', 'prefix')} {{ return 404; }}",
        r"    location ~ /\. { return 404; }",
        f"    location ^~ {_quoted(prefix + WELL_KNOWN + '/', 'prefix')} {{",
        f"        alias {_quoted(origin.root.resolve().as_posix().rstrip('/') + '/' + WELL_KNOWN + '/', 'origin directory')};",
        "        try_files $uri =404;",
        *_indent(_add_headers(variable), 2),
        f"        location ~ \"^{re.escape(prefix + WELL_KNOWN)}/(.*/)?\\.\" {{ return 404; }}",
        "    }",
        "",
        f"    location {_quoted(prefix, 'prefix')} {{",
        f"        alias {root};",
        "        # a directory's index.html (a static site's home page); a missing file is a",
        "        # 404, never a fallback to some other page",
        "        try_files $uri $uri/index.html =404;",
        *_indent(_add_headers(variable), 2),
        "    }",
    ]
    for path, headers in origin.overrides.items():
        if is_served(path) and _normal(headers.content_type) != _normal(media_types.content_type(path)):
            out += ["", *_type_block(origin, prefix, path, headers, variable)]
    if prefix != "/":
        out += ["", "    location / { return 404; }"]
    out.append("}")
    return "\n".join(_cache_control_map(origin, prefix, variable) + out) + "\n"


def _cache_control_map(origin: Origin, prefix: str, variable: str) -> list[str]:
    """Cache-Control by URI: the manifest's exceptions exactly, then the name rule."""
    exact = [
        f"    {_quoted(prefix + path, path)} {_quoted(h.cache_control, path)};"
        for path, h in origin.overrides.items()
        if is_served(path) and h.cache_control != origin.rule(path)
    ]
    return [
        "# Cache-Control by name: exact entries are files whose policy the manifest sets apart;",
        "# then fingerprinted names are immutable and every other name revalidates, so a",
        "# file published after this config was generated is never cached for a year by mistake.",
        f"map $uri {variable} {{",
        f"    default {_quoted(origin.revalidate_policy, 'cache_control')};",
        f"    \"~{FINGERPRINTED_NAME}\" {_quoted(origin.immutable_policy, 'cache_control')};",
        f"    \"~{PRE_DIGESTED_NAME}\" {_quoted(origin.immutable_policy, 'cache_control')};",
        *exact,
        "}",
        "",
    ]


def _type_block(origin: Origin, prefix: str, path: str, headers: Headers, variable: str) -> list[str]:
    """A file served with a type the extension table would not give: set verbatim, charset included."""
    file = _quoted((origin.root.resolve() / path).as_posix(), path)
    return [
        f"    location = {_quoted(prefix + path, path)} {{",
        f"        alias {file};",
        "        try_files $uri =404;",
        "        types { }",
        f"        default_type {_quoted(headers.content_type, path)};",
        "        charset off;",
        *_indent(_add_headers(variable), 2),
        "    }",
    ]


def _add_headers(variable: str) -> list[str]:
    # add_header (not `expires`): the manifest's policy verbatim. Without `always` it is
    # sent on 200 and 304 but not on 404s. Repeated per location because add_header
    # is not inherited by a location that has its own.
    return [
        f"add_header Cache-Control {variable};",
        "add_header X-Content-Type-Options nosniff;",
    ]


def _types_block() -> list[str]:
    by_type: dict[str, list[str]] = {}
    for ext, media in ((t.extension, t.media_type) for t in media_types.table()):  # the project's own table
        by_type.setdefault(media, []).append(ext.lstrip("."))
    return ["types {", *(f"    {media} {' '.join(exts)};" for media, exts in sorted(by_type.items())), "}"]


def _text_types() -> list[str]:
    # nginx always includes text/html and warns when it is listed again
    return sorted({t.media_type for t in media_types.table() if t.text} - {"text/html"})


def _standalone(server: str, rundir: Path, *, brotli: bool, brotli_module: str | Path | None) -> str:
    rundir = rundir.resolve()

    def run(name: str) -> str:
        return _quoted((rundir / name).as_posix(), "run directory")

    lines = [
        "# assetpub nginx-config --standalone: a complete nginx.conf for tests and local checks.",
        f"# Run: nginx -p {printable(rundir)} -e {printable(rundir / 'error.log')} -c FILE",
        "daemon off;",
        "master_process off;",
        "worker_processes 1;",
        f"pid {run('nginx.pid')};",
        f"error_log {run('error.log')} warn;",
    ]
    if brotli:
        module = Path(brotli_module) if brotli_module else find_brotli_module()
        if module is None:
            raise AssetpubError(
                f"{BROTLI_MODULE} not found in {', '.join(MODULE_DIRS)}: install libnginx-mod-http-brotli-static, "
                "pass --brotli-module PATH, or --no-brotli"
            )
        lines.append(f"load_module {_quoted(Path(module).as_posix(), 'brotli module')};")
    lines += [
        "events { worker_connections 128; }",
        "http {",
        f"    access_log {run('access.log')};",
        f"    client_body_temp_path {run('client_body')};",
        f"    proxy_temp_path {run('proxy')};",
        f"    fastcgi_temp_path {run('fastcgi')};",
        f"    uwsgi_temp_path {run('uwsgi')};",
        f"    scgi_temp_path {run('scgi')};",
        *_indent(server.rstrip("\n").splitlines(), 1),
        "}",
    ]
    return "\n".join(lines) + "\n"


# -- helpers --------------------------------------------------------------------


def _quoted(value: str, what: str) -> str:
    bad = _UNSAFE.search(value)
    if bad:
        raise AssetpubError(
            f"{printable(what)}: '{printable(value)}' contains {bad.group()!r}, "
            "which an nginx config cannot carry safely (control characters, $, quotes and backslashes are refused)"
        )
    return f'"{value}"'


def _indent(lines: Iterable[str], level: int) -> list[str]:
    pad = "    " * level
    return [pad + line if line else line for line in lines]


def _normal(content_type: str) -> str:
    return "; ".join(part.strip() for part in content_type.lower().split(";") if part.strip())
