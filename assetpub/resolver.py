"""The resolver: logical asset names -> URLs, SRI values and HTML tags, over one manifest.

Framework-free; the Jinja2, Flask and Django adapters (and static pages) are thin
wrappers around it.

    >>> r = Resolver("build/assetpub-manifest.json", base_url="https://cdn.example.com/assets/")
    >>> r.url("css/app.css")
    'https://cdn.example.com/assets/css/app.3f9a2c1d5e6b.css'
    >>> r.tag("js/app.js", defer=True)
    Markup('<script src="…" integrity="sha384-…" crossorigin="anonymous" type="module" defer></script>')
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from .config import normalise_base_url
from .errors import AssetNotFound, AssetpubError, ManifestError
from .manifest import MANIFEST_NAME, Entry, Manifest, url_path

log = logging.getLogger(__name__)

_JS = (".js", ".mjs")
_FONTS = (".woff2", ".woff", ".ttf", ".otf", ".eot")
_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp")
# HTML attribute names: no spaces, quotes, '>', '/', '=' (HTML spec, "attribute name state").
_ATTR_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*\Z")


class Resolver:
    """Look up assets in a manifest and render URLs and tags.

    `manifest` is a manifest file, a build directory, or a loaded `Manifest`.
    `base_url` (a path `/assets/` or a CDN URL `https://cdn.example.com/assets/`)
    defaults to the manifest's own. `strict` (the default) raises `AssetNotFound`
    for a name the manifest lacks; otherwise the unhashed URL is returned and a
    warning is logged once per name. `reload=True` (development) re-reads the
    manifest whenever its mtime, size or inode changes: one `stat` per lookup.
    `js_module` makes `tag()` emit `type="module"` scripts for `.js`; `importmap`
    holds (bare alias, logical name) pairs added to `importmap()`.
    """

    def __init__(
        self,
        manifest: str | os.PathLike | Manifest,
        *,
        base_url: str | None = None,
        strict: bool = True,
        reload: bool = False,
        js_module: bool = True,
        importmap: Iterable[tuple[str, str]] | Mapping[str, str] = (),
    ):
        self.strict = strict
        self.reload = reload
        self.js_module = js_module
        self.aliases: tuple[tuple[str, str], ...] = tuple(
            sorted(importmap.items() if isinstance(importmap, Mapping) else importmap)
        )
        self._base_url = normalise_base_url(base_url) if base_url is not None else None
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._stamp: tuple[int, int, int] | None = None
        if isinstance(manifest, Manifest):
            self.path = Path(manifest.source) if manifest.source else None
            self._manifest = manifest
            if self.path is not None and reload:
                self._stamp = _stamp(self.path)
        else:
            path = Path(manifest)
            self.path = path / MANIFEST_NAME if path.is_dir() else path
            self._manifest = self._load_first()
        if reload and self.path is None:
            raise ValueError("reload=True needs a manifest file, not an in-memory Manifest")

    # -- the manifest ----------------------------------------------------------
    @property
    def manifest(self) -> Manifest:
        """The current manifest (re-read first when `reload` is on and the file changed)."""
        if self.reload:
            self.refresh()
        return self._manifest

    @property
    def base_url(self) -> str:
        return self._base_url or self._manifest.base_url

    def refresh(self) -> bool:
        """Re-read the manifest if its file changed since it was read (a watch signal
        may call this directly). True if a new manifest was loaded. A missing or
        half-written file keeps the last good manifest."""
        if self.path is None:
            return False
        stamp = _stamp(self.path)
        if stamp is None or stamp == self._stamp:
            return False
        with self._lock:
            if stamp == self._stamp:
                return False
            try:
                manifest = Manifest.load(self.path)
            except ManifestError as e:
                log.warning("%s (keeping the previous manifest)", e)
                return False
            self._manifest, self._stamp = manifest, stamp
            self._warned = set()
            log.debug("reloaded %s", self.path)
            return True

    def _load_first(self) -> Manifest:
        self._stamp = _stamp(self.path)
        try:
            return Manifest.load(self.path)
        except ManifestError as e:
            if self.strict:
                raise
            # development: the app may start before the first build finishes
            log.warning("%s; serving unhashed URLs until it appears", e)
            self._stamp = None
            return Manifest(base_url="/", assets={}, source=str(self.path))

    # -- lookups ---------------------------------------------------------------------
    # Each public method reads the manifest once (one stat when reloading), so a URL and
    # its integrity always come from the same build, even while a rebuild swaps it.
    def url(self, name: str) -> str:
        """The fingerprinted URL of `name`; a `?query` or `#fragment` on it is carried over."""
        return self._url(self.manifest, name)

    def integrity(self, name: str) -> str | None:
        """The SRI value (sha384) of the published bytes; None for a missing asset when not strict."""
        manifest = self.manifest
        entry = self._entry(manifest, manifest.split(name)[0])
        return entry.integrity if entry is not None else None

    def tag(self, name: str, **attrs: Any) -> Markup:
        """`<link rel="stylesheet">` for CSS, `<script>` for JS, with SRI and CORS.

        Keyword arguments become attributes (`defer=True`, `data_turbo_track="reload"`
        -> `data-turbo-track`, `class_="x"` -> `class`); `None`/`False` removes a
        default attribute such as `integrity` or `crossorigin`."""
        manifest = self.manifest
        bare = manifest.split(name)[0]
        ext = posixpath.splitext(bare)[1].lower()
        if ext == ".css":
            base = {"rel": "stylesheet", "href": self._url(manifest, name)}
            element, close = "link", ""
        elif ext in _JS:
            base = {"src": self._url(manifest, name)}
            element, close = "script", "</script>"
        else:
            raise AssetpubError(f"asset_tag: no tag for {bare!r} (CSS and JS only); use asset_url")
        base.update(self._sri(manifest, bare))
        if element == "script" and (ext == ".mjs" or self.js_module):
            base["type"] = "module"
        return Markup(f"<{element}{_attributes(base, attrs)}>{close}")

    def preload(self, name: str, **attrs: Any) -> Markup:
        """`<link rel="preload" as=…>` (fonts with `crossorigin`), or `rel="modulepreload"` for
        JS modules. CSS and JS carry the same integrity and CORS mode as `tag()`, so the
        browser reuses the preloaded response."""
        manifest = self.manifest
        bare = manifest.split(name)[0]
        ext = posixpath.splitext(bare)[1].lower()
        base: dict[str, Any] = {"rel": "preload", "href": self._url(manifest, name)}
        if ext in _JS and (ext == ".mjs" or self.js_module):
            base["rel"] = "modulepreload"
            base.update(self._sri(manifest, bare))
        elif ext in _JS or ext == ".css":
            base["as"] = "script" if ext in _JS else "style"
            base.update(self._sri(manifest, bare))
        elif ext in _FONTS:
            # fonts are always fetched in CORS mode, so a preload without crossorigin is wasted
            base.update({"as": "font", "type": _media_type(manifest, bare), "crossorigin": "anonymous"})
        elif ext in _IMAGES:
            base["as"] = "image"
        else:
            base.update({"as": "fetch", "crossorigin": "anonymous"})
        return Markup(f"<link{_attributes(base, attrs)}>")

    def importmap_data(self) -> dict[str, Any]:
        """`{"imports": {specifier: url}, "integrity": {url: sri}}`: every JS module by
        logical name, plus the aliases. The build leaves bare specifiers (`"lib/dom.js"`,
        `"vendor"`) alone, so this map is what resolves them to fingerprinted files; the
        `integrity` table (HTML import maps, Chrome 127+; ignored elsewhere) extends SRI
        to modules loaded by `import`."""
        manifest = self.manifest
        base = self._base_url or manifest.base_url
        imports: dict[str, str] = {}
        integrity: dict[str, str] = {}
        for name, entry in manifest.entries.items():
            if posixpath.splitext(name)[1].lower() in _JS:
                imports[name] = base + url_path(entry.path)
                if entry.integrity:
                    integrity[imports[name]] = entry.integrity
        for alias, name in self.aliases:
            imports[alias] = self._url(manifest, name)
        return {"imports": dict(sorted(imports.items())), "integrity": dict(sorted(integrity.items()))}

    def importmap(self, **attrs: Any) -> Markup:
        """`<script type="importmap">…</script>` so `import "app/util.js"` loads the hashed file.
        Keyword arguments become attributes (`nonce=…` for a CSP)."""
        data = json.dumps(self.importmap_data(), indent=2, sort_keys=True, ensure_ascii=False)
        # inside <script> only "</script" and "<!--" are dangerous; escaping < > & as JSON
        # unicode escapes keeps the JSON identical in meaning (as Jinja's |tojson does)
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return Markup(f'<script{_attributes({"type": "importmap"}, attrs)}>\n{data}\n</script>')

    # -- helpers --------------------------------------------------------------------
    def _url(self, manifest: Manifest, name: str) -> str:
        bare, suffix = manifest.split(name)
        entry = self._entry(manifest, bare)
        path = entry.path if entry is not None else bare
        return (self._base_url or manifest.base_url) + url_path(path) + suffix

    def _entry(self, manifest: Manifest, bare: str) -> Entry | None:
        entry = manifest.entries.get(bare)
        if entry is not None:
            return entry
        where = manifest.source or str(self.path or "the manifest")
        if self.strict:
            raise AssetNotFound(bare, where)
        if bare not in self._warned:
            self._warned.add(bare)
            log.warning("asset %r not found in %s; using its unhashed URL", bare, where)
        return None

    def _sri(self, manifest: Manifest, bare: str) -> dict[str, str]:
        entry = self._entry(manifest, bare)
        value = entry.integrity if entry is not None else None
        return {"integrity": value, "crossorigin": "anonymous"} if value else {}


def _media_type(manifest: Manifest, bare: str) -> str | None:
    entry = manifest.entries.get(bare)
    return entry.content_type.split(";")[0].strip() if entry is not None else None


def _attributes(defaults: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    """' a="1" b' with values escaped; extra overrides defaults in place, None/False drops."""
    merged = dict(defaults)
    for key, value in extra.items():
        merged[_attribute_name(key)] = value
    out = []
    for key, value in merged.items():
        if value is None or value is False:
            continue
        out.append(f" {key}" if value is True else f' {key}="{escape(value)}"')
    return "".join(out)


def _attribute_name(key: str) -> str:
    name = key.rstrip("_").replace("_", "-")
    if not _ATTR_NAME.match(name):
        raise AssetpubError(f"not a valid HTML attribute name: {key!r}")
    return name


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
