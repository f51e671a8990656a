"""Fixtures for the template helpers: a small real site built with assetpub.build()."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import assetpub
from tests.conftest import write_tree

# A PNG header is enough: images are copied, never parsed.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
WOFF2 = b"wOF2" + bytes(range(100, 160))

SITE = {
    "css/app.css": '@import "base.css";\nbody { background: url("../img/logo.png"); }\n'
    '@font-face { font-family: Inter; src: url("../fonts/inter.woff2") format("woff2"); }\n',
    "css/base.css": "html { color: #123456; }\n",
    "js/app.js": 'import { util } from "./util.js";\nimport { dom } from "lib/dom.js";\n'
    'import { version } from "vendor";\nconsole.log(util(), dom(), version);\n',
    "js/util.js": "export function util() { return 1; }\n",
    "js/lazy.mjs": "export const lazy = true;\n",
    "lib/dom.js": 'export function dom() { return "dom"; }\n',
    "vendor/version.js": 'export const version = "1.0";\n',
    "img/logo.png": PNG,
    "img/my logo é.png": PNG + b"2",
    "fonts/inter.woff2": WOFF2,
    "robots.txt": "User-agent: *\n",
}
ALIASES = (("vendor", "vendor/version.js"),)


@dataclass
class Site:
    src: Path
    out: Path
    aliases: tuple[tuple[str, str], ...] = ALIASES

    @property
    def manifest_path(self) -> Path:
        return self.out / "assetpub-manifest.json"

    def build(self, **options) -> assetpub.BuildResult:
        options.setdefault("base_url", "/assets/")
        return assetpub.build([self.src], out=self.out, **options)

    def write(self, name: str, content: str | bytes) -> None:
        path = self.src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    def published(self, name: str) -> bytes:
        """The identity bytes the build published for a logical name."""
        manifest = assetpub.Manifest.load(self.manifest_path)
        return (self.out / manifest.path(name)).read_bytes()


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


@pytest.fixture
def sri():
    """sri(bytes) -> the SRI value computed here, independently of assetpub.digest."""
    return _sri


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """The sample site, built once into tmp_path/out with base URL /assets/."""
    s = Site(src=write_tree(tmp_path / "src", SITE), out=tmp_path / "out")
    s.build()
    return s
