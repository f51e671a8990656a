"""Jinja2 adapter: `asset_url`, `asset_tag`, `asset_integrity`, `asset_preload` and
`asset_importmap` as template globals, over one `Resolver`.

Explicit:

    env = jinja2.Environment(loader=..., autoescape=True)
    assetpub.jinja.install(env, manifest="build/assetpub-manifest.json", base_url="https://cdn.example.com/assets/")

Config-driven (the environment is built elsewhere, from a list of extension names):

    env = jinja2.Environment(extensions=["assetpub.jinja.AssetPubExtension"])
    env.assetpub_manifest = "build/assetpub-manifest.json"   # or: read from assetpub.toml / pyproject.toml

Templates: `{{ asset_tag("css/app.css") }}`, `<img src="{{ asset_url('img/logo.png') }}">`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension
from markupsafe import Markup

from .errors import ConfigError
from .manifest import MANIFEST_NAME, Manifest
from .resolver import Resolver


def install(
    env: Environment,
    *,
    manifest: str | os.PathLike | Manifest | None = None,
    base_url: str | None = None,
    strict: bool = True,
    reload: bool = False,
    js_module: bool = True,
    importmap: Iterable[tuple[str, str]] | Mapping[str, str] = (),
    resolver: Resolver | None = None,
) -> Resolver:
    """Add the asset helpers to `env.globals` and return the resolver behind them.

    Pass either `manifest` (a file, build directory or `Manifest`, with the other
    options as for `Resolver`) or a ready `resolver`."""
    if resolver is None:
        if manifest is None:
            raise ConfigError("assetpub.jinja.install: pass manifest=... (the build's assetpub-manifest.json)")
        resolver = Resolver(
            manifest, base_url=base_url, strict=strict, reload=reload, js_module=js_module, importmap=importmap
        )
    env.globals.update(helpers(lambda: resolver))
    return resolver


def helpers(get: Callable[[], Resolver]) -> dict[str, Callable[..., Any]]:
    """The template functions, each calling `get()` for the resolver (so it may be made lazily)."""

    def asset_url(name: str) -> str:
        return get().url(name)

    def asset_integrity(name: str) -> str:
        return get().integrity(name) or ""

    def asset_tag(name: str, **attrs: Any) -> Markup:
        return get().tag(name, **attrs)

    def asset_preload(name: str, **attrs: Any) -> Markup:
        return get().preload(name, **attrs)

    def asset_importmap(**attrs: Any) -> Markup:
        return get().importmap(**attrs)

    return {
        "asset_url": asset_url,
        "asset_integrity": asset_integrity,
        "asset_tag": asset_tag,
        "asset_preload": asset_preload,
        "asset_importmap": asset_importmap,
    }


class AssetPubExtension(Extension):
    """Adds the helpers to any environment that lists this extension.

    Settings are attributes of the environment, read when a helper is first used:
    `assetpub_manifest` (file or build directory), `assetpub_base_url`,
    `assetpub_strict` (default True), `assetpub_reload` (default False),
    `assetpub_js_module` (default True), `assetpub_importmap` (alias -> name).
    Without `assetpub_manifest`, the manifest, aliases and base URL come from the
    assetpub config file: `assetpub_config`, else ./assetpub.toml or ./pyproject.toml.
    `environment.assetpub_resolver` holds the resolver once made (or set it yourself)."""

    def __init__(self, environment: Environment):
        super().__init__(environment)
        environment.extend(
            assetpub_manifest=None,
            assetpub_config=None,
            assetpub_base_url=None,
            assetpub_strict=True,
            assetpub_reload=False,
            assetpub_js_module=True,
            assetpub_importmap=(),
            assetpub_resolver=None,
        )
        environment.globals.update(helpers(lambda: _resolver_for(environment)))


def _resolver_for(env: Any) -> Resolver:
    if env.assetpub_resolver is None:
        manifest, aliases = env.assetpub_manifest, env.assetpub_importmap
        if manifest is None:
            from .config import load_config

            config = load_config(env.assetpub_config)
            if config.out is None:
                where = config.config_file or "the current directory"
                raise ConfigError(f"{where}: set environment.assetpub_manifest or 'out' in the assetpub config")
            manifest, aliases = config.out / MANIFEST_NAME, aliases or config.importmap
        env.assetpub_resolver = Resolver(
            manifest,
            base_url=env.assetpub_base_url,
            strict=env.assetpub_strict,
            reload=env.assetpub_reload,
            js_module=env.assetpub_js_module,
            importmap=aliases,
        )
    return env.assetpub_resolver
