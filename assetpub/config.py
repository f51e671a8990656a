"""Settings: one frozen Config, read from `[tool.assetpub]` in pyproject.toml or from
assetpub.toml, validated once, overridden by explicit options (CLI flags or keyword
arguments). Relative paths in a file are relative to that file's directory."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from .errors import ConfigError

DEFAULT_KEEP_NAMES = (
    "robots.txt",
    "favicon.ico",
    "*.html",
    ".well-known/**",
    "sw.js",
    "service-worker.js",
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"


@dataclass(frozen=True)
class HeaderRule:
    """`[[tool.assetpub.headers]]`: headers for logical names matching a glob."""

    match: str
    cache_control: str


@dataclass(frozen=True)
class Config:
    sources: tuple[Path, ...] = ()
    out: Path | None = None
    base_url: str = "/assets/"
    strict: bool = False
    exclude: tuple[str, ...] = ()
    keep_names: tuple[str, ...] = DEFAULT_KEEP_NAMES
    minify: bool = True
    minify_js: str | bool = "auto"  # "auto" | "rjsmin" | False (see docs/minify.md)
    gzip: bool = True
    brotli: bool = True
    brotli_quality: int = 11
    jobs: int = 0
    cache_control: str = IMMUTABLE
    cache_control_keep_name: str = REVALIDATE
    headers: tuple[HeaderRule, ...] = ()
    pages: Path | None = None
    importmap: tuple[tuple[str, str], ...] = ()  # bare alias -> logical name (helpers)
    # publish (see docs/publishing.md)
    target: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    acl: str | None = None
    workers: int = 0
    keep: int = 3
    grace: str = "7d"
    max_deletes: int = 500
    cloudfront_distribution: str | None = None
    config_file: Path | None = field(default=None, compare=False)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


# key -> (python type(s) accepted, description used in errors)
_SCHEMA: dict[str, tuple[tuple[type, ...], str]] = {
    "sources": ((list, str), "a list of directories"),
    "out": ((str,), "a directory"),
    "base_url": ((str,), "a string"),
    "strict": ((bool,), "a boolean"),
    "exclude": ((list,), "a list of globs"),
    "keep_names": ((list,), "a list of globs"),
    "minify": ((bool,), "a boolean"),
    "minify_js": ((str, bool), '"auto", "rjsmin" or false'),
    "gzip": ((bool,), "a boolean"),
    "brotli": ((bool,), "a boolean"),
    "brotli_quality": ((int,), "an integer from 0 to 11"),
    "jobs": ((int,), "a non-negative integer"),
    "cache_control": ((str,), "a string"),
    "cache_control_keep_name": ((str,), "a string"),
    "headers": ((list,), "a list of tables with 'match' and 'cache_control'"),
    "pages": ((str,), "a directory"),
    "importmap": ((dict,), "a table of bare module names to logical names"),
    "target": ((str,), "a target (s3://bucket/prefix or a directory)"),
    "endpoint_url": ((str,), "a URL"),
    "region": ((str,), "a string"),
    "profile": ((str,), "a string"),
    "acl": ((str,), "a canned ACL name"),
    "workers": ((int,), "a non-negative integer"),
    "keep": ((int,), "a positive integer"),
    "grace": ((str,), "a duration such as '7d', '12h' or '0s'"),
    "max_deletes": ((int,), "a non-negative integer"),
    "cloudfront_distribution": ((str,), "a CloudFront distribution ID"),
}


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", str: "string", list: "list", dict: "table", float: "number"}.get(
        type(value), type(value).__name__
    )


def _check(key: str, value: Any, where: str) -> None:
    if key not in _SCHEMA:
        known = ", ".join(sorted(_SCHEMA))
        raise ConfigError(f"{where}: unknown key {key!r} (known keys: {known})")
    types, desc = _SCHEMA[key]
    # bool is an int in Python; `jobs = true` is still a type error
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise ConfigError(f"{where}: key {key!r} must be {desc}, not {_type_name(value)}")
    if isinstance(value, list) and key in ("sources", "exclude", "keep_names"):
        for item in value:
            if not isinstance(item, str):
                raise ConfigError(f"{where}: key {key!r} must be {desc}, found {_type_name(item)} {item!r}")
    if key == "minify_js" and value not in ("auto", "rjsmin", False):
        raise ConfigError(f"{where}: key 'minify_js' must be {desc}, not {value!r} (see docs/minify.md)")
    if key == "brotli_quality" and not 0 <= value <= 11:
        raise ConfigError(f"{where}: key 'brotli_quality' must be {desc}, not {value}")
    if key == "base_url":
        try:
            normalise_base_url(value)
        except ConfigError as e:
            raise ConfigError(f"{where}: {e}") from None
    if key == "jobs" and value < 0:
        raise ConfigError(f"{where}: key 'jobs' must be {desc}, not {value}")
    if key in ("workers", "max_deletes") and value < 0 or key == "keep" and value < 1:
        raise ConfigError(f"{where}: key {key!r} must be {desc}, not {value}")
    if key == "importmap" and not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{where}: key 'importmap' must be {desc}")
    if key == "headers":
        for rule in value:
            if not isinstance(rule, dict) or set(rule) != {"match", "cache_control"} or not all(
                isinstance(v, str) for v in rule.values()
            ):
                raise ConfigError(f"{where}: each [[headers]] entry needs exactly 'match' and 'cache_control' strings")


def find_config_file(cwd: Path | None = None) -> Path | None:
    """./assetpub.toml, else ./pyproject.toml when it has a [tool.assetpub] table."""
    cwd = cwd or Path.cwd()
    own = cwd / "assetpub.toml"
    if own.is_file():
        return own
    py = cwd / "pyproject.toml"
    if py.is_file() and "tool" in (table := _read_toml(py)) and "assetpub" in table["tool"]:
        return py
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw, validated settings table of a config file."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("assetpub", {})
        where = f"{path} [tool.assetpub]"
    else:
        where = str(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: [tool.assetpub] must be a table")
    for key, value in data.items():
        _check(key, value, where)
    return data


def load_config(config_file: str | os.PathLike | None = None, *, discover: bool = True, **overrides: Any) -> Config:
    """Build a Config: file settings (named, or discovered in the current directory), then
    the non-None overrides on top. Raises ConfigError naming the key and file."""
    path = Path(config_file) if config_file is not None else (find_config_file() if discover else None)
    raw: dict[str, Any] = read_config_file(path) if path else {}
    base = path.parent if path else Path.cwd()
    settings = _from_raw(raw, base)
    for key, value in overrides.items():
        if value is None or (key == "sources" and not value):
            continue
        if key not in settings and key not in {f.name for f in dataclasses.fields(Config)}:
            raise ConfigError(f"unknown option {key!r}")
        settings[key] = _normalise(key, value, Path.cwd())
    return Config(**settings, config_file=path)


def _from_raw(raw: Mapping[str, Any], base: Path) -> dict[str, Any]:
    return {key: _normalise(key, value, base) for key, value in raw.items() if key in _SCHEMA}


def _normalise(key: str, value: Any, base: Path) -> Any:
    if key == "sources":
        items = [value] if isinstance(value, (str, os.PathLike)) else list(value)
        return tuple(base / Path(v) for v in items)
    if key in ("out", "pages"):
        return base / Path(value)
    if key == "target" and "://" not in value:
        return str(base / Path(value))  # a directory origin, relative like every other path
    if key in ("exclude", "keep_names"):
        return tuple(value)
    if key == "headers":
        return tuple(r if isinstance(r, HeaderRule) else HeaderRule(**r) for r in value)
    if key == "base_url":
        return normalise_base_url(value)
    if key == "importmap":
        return tuple(sorted(dict(value).items()))
    return value


def normalise_base_url(value: str) -> str:
    """Base URLs always end with a slash: '/assets' -> '/assets/', 'https://cdn/x' -> 'https://cdn/x/'.

    A relative one ('assets/') is refused: a browser would resolve it against each page's
    own URL, so /blog/post would ask for /blog/assets/…"""
    if not value:
        return "/"
    if not (value.startswith("/") or (urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc)):
        raise ConfigError(
            "base_url must be a path from the site root ('/assets/') or an http(s) URL"
            f" ('https://cdn.example.com/assets/'), not {value!r}"
        )
    return value if value.endswith("/") else value + "/"

