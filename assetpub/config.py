"""Settings: one frozen Config, read from `[tool.assetpub]` in pyproject.toml or from
assetpub.toml, validated once, overridden by explicit options (CLI flags or keyword
arguments). Relative paths in a file are relative to that file's directory."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from .durations import parse_duration
from .errors import ConfigError
from .header_value import header_problem

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
    max_deletes: int | None = None  # 500, and at most half the live deploy retired (publish.prune.retire_limit)
    cloudfront_distribution: str | None = None
    budgets: tuple = ()  # budgets.Budget rules (docs/report.md)
    config_file: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        """Values given to Config(...) or replace() directly follow the same rules as
        load_config's (which names the file, flag or keyword a bad value came from)."""
        for key in _SCHEMA:
            value = getattr(self, key)
            if value is not None:
                check(key, value, f"Config({key}=...)")

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


CANNED_ACLS = (
    "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
)


def _header_value(value: str) -> bool:
    """A header value that stays one header everywhere it goes (HTTP/1.1, S3 metadata,
    nginx): header_value's rule, and not blank."""
    return bool(value.strip()) and header_problem(value) is None


def _parses(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    """A rule's check from a parser that raises ConfigError on what it cannot take."""
    def valid(value: str) -> bool:
        try:
            parse(value)
        except ConfigError:
            return False
        return True

    return valid


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _header_rules(value: list) -> bool:
    rules = [dataclasses.asdict(r) if isinstance(r, HeaderRule) else r for r in value]
    return all(
        isinstance(rule, dict) and set(rule) == {"match", "cache_control"}
        and isinstance(rule["match"], str) and isinstance(rule["cache_control"], str)
        and _header_value(rule["cache_control"])
        for rule in rules
    )


def _budget_rules(value: list) -> bool:
    from .budgets import problem

    return all(problem(rule) is None for rule in value)


@dataclass(frozen=True)
class _Rule:
    types: tuple[type, ...]
    desc: str
    valid: Callable[[Any], bool] | None = None  # beyond the type
    items: type | None = None  # the type of each element of a list


_PATH = (str, os.PathLike)
_STRINGS = (list, tuple)

# Every setting's one rule, whatever the value comes from: a config file, a command-line
# flag or a Python keyword argument (`check()` says which in its message).
_SCHEMA: dict[str, _Rule] = {
    "sources": _Rule(_STRINGS, "a list of directories", lambda v: all(str(x).strip() for x in v), items=_PATH),
    "out": _Rule(_PATH, "a directory", lambda v: str(v).strip() != ""),
    "base_url": _Rule((str,), "a path from the site root ('/assets/') or an http(s) URL",
                      _parses(lambda v: normalise_base_url(v))),
    "strict": _Rule((bool,), "a boolean"),
    "exclude": _Rule(_STRINGS, "a list of globs", items=str),
    "keep_names": _Rule(_STRINGS, "a list of globs", items=str),
    "minify": _Rule((bool,), "a boolean"),
    "minify_js": _Rule((str, bool), '"auto", "rjsmin" or false (docs/minify.md)', lambda v: v in ("auto", "rjsmin", False)),
    "gzip": _Rule((bool,), "a boolean"),
    "brotli": _Rule((bool,), "a boolean"),
    "brotli_quality": _Rule((int,), "an integer from 0 to 11", lambda v: 0 <= v <= 11),
    "jobs": _Rule((int,), "an integer from 0 to 256 (0: all cores)", lambda v: 0 <= v <= 256),
    "cache_control": _Rule((str,), "a header value (printable ASCII, no line breaks)", _header_value),
    "cache_control_keep_name": _Rule((str,), "a header value (printable ASCII, no line breaks)", _header_value),
    "headers": _Rule(_STRINGS, "a list of tables with 'match' and 'cache_control' strings"
                     " (a header value: printable ASCII, no line breaks)", _header_rules),
    "pages": _Rule(_PATH, "a directory", lambda v: str(v).strip() != ""),
    "importmap": _Rule((dict, tuple), "a table of bare module names to logical names",
                       lambda v: all(isinstance(k, str) and isinstance(x, str) for k, x in dict(v).items())),
    "target": _Rule((str,), "a target (s3://bucket/prefix, file:///path or a directory)", lambda v: v.strip() != ""),
    "endpoint_url": _Rule((str,), "an http(s) URL", _http_url),
    "region": _Rule((str,), "an AWS region name", lambda v: v.strip() != ""),
    "profile": _Rule((str,), "an AWS profile name", lambda v: v.strip() != ""),
    "acl": _Rule((str,), "a canned ACL (" + ", ".join(CANNED_ACLS) + ")", lambda v: v in CANNED_ACLS),
    "workers": _Rule((int,), "an integer from 0 to 1024 (0: 16)", lambda v: 0 <= v <= 1024),
    "keep": _Rule((int,), "a positive integer", lambda v: v >= 1),
    "grace": _Rule((str,), "a duration such as '7d', '12h', '1d12h', '30m' or '0s'", _parses(parse_duration)),
    "max_deletes": _Rule((int,), "a non-negative integer", lambda v: v >= 0),
    "cloudfront_distribution": _Rule((str,), "a CloudFront distribution ID", lambda v: v.isalnum()),
    "budgets": _Rule(_STRINGS, "a list of [[budgets]] tables: match = \"glob\", one or more of max_raw, max_gz,"
                     " max_br (a size such as \"150 KB\", or bytes), total = true to limit the sum", _budget_rules),
}


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", str: "string", list: "list", tuple: "list", dict: "table",
            float: "number"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    if isinstance(value, (bool, int, float, str)):
        return f"{_type_name(value)} {value!r}" if isinstance(value, str) else repr(value)
    return _type_name(value)


def check(key: str, value: Any, where: str) -> None:
    """Raise ConfigError unless `value` is valid for setting `key`. `where` names the
    value's source as the message should show it: "assetpub.toml: key 'jobs'", "--jobs",
    "keyword argument jobs"."""
    if key not in _SCHEMA:
        raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(_SCHEMA))})")
    rule = _SCHEMA[key]
    # bool is an int in Python; `jobs = true` is still a type error
    if not isinstance(value, rule.types) or (isinstance(value, bool) and bool not in rule.types):
        raise ConfigError(f"{where} must be {rule.desc}, not {_shown(value)}")
    for item in value if rule.items else ():
        if not isinstance(item, rule.items) or isinstance(item, bool):
            raise ConfigError(f"{where} must be {rule.desc}, found {_shown(item)}")
    if rule.valid is not None and not rule.valid(value):
        raise ConfigError(f"{where} must be {rule.desc}, not {_shown(value)}")


def _flag(key: str) -> str:
    return {"sources": "SOURCES", "target": "--to"}.get(key, "--" + key.replace("_", "-"))


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
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text") from None
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
        if key not in _SCHEMA:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(sorted(_SCHEMA))})")
        check(key, value, f"{where}: key {key!r}")
    return data


def load_config(
    config_file: str | os.PathLike | None = None,
    *,
    discover: bool = True,
    overrides_from: str = "keyword",
    **overrides: Any,
) -> Config:
    """Build a Config: file settings (named, or discovered in the current directory), then
    the non-None overrides on top, each checked by the same rules as the file's. Raises
    ConfigError naming the key and where it came from: the file, or (`overrides_from`)
    a command-line "flag" or a Python "keyword" argument."""
    path = Path(config_file) if config_file is not None else (find_config_file() if discover else None)
    raw: dict[str, Any] = read_config_file(path) if path else {}
    base = path.parent if path else Path.cwd()
    settings = _from_raw(raw, base)
    for key, value in overrides.items():
        if value is None or (key == "sources" and not value):
            continue
        check(key, value, _flag(key) if overrides_from == "flag" else f"keyword argument {key}")
        settings[key] = _normalise(key, value, Path.cwd())
    return Config(**settings, config_file=path)


def _from_raw(raw: Mapping[str, Any], base: Path) -> dict[str, Any]:
    return {key: _normalise(key, value, base) for key, value in raw.items() if key in _SCHEMA}


def _normalise(key: str, value: Any, base: Path) -> Any:
    if key == "sources":
        return tuple(base / Path(v) for v in value)
    if key in ("out", "pages"):
        return base / Path(value)
    if key == "target" and "://" not in value:
        return str(base / Path(value))  # a directory origin, relative like every other path
    if key in ("exclude", "keep_names"):
        return tuple(value)
    if key == "headers":
        return tuple(r if isinstance(r, HeaderRule) else HeaderRule(**r) for r in value)
    if key == "budgets":
        from .budgets import Budget

        return tuple(r if isinstance(r, Budget) else Budget.from_table(r) for r in value)
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

