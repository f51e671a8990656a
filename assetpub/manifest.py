"""The manifest: logical name -> fingerprinted path, integrity, size, headers, encodings.

Written as sorted JSON, one asset a line, so the same build gives the same bytes. Read
back once, into typed entries (Entry, Variant): the one place an entry is checked and its
missing values defaulted, for every reader (templates, publish, edge, dev server, audit).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterator, Mapping
from urllib.parse import quote

from . import media_types
from .config import IMMUTABLE, REVALIDATE
from .errors import AssetNotFound, ManifestError
from .header_value import header_problem
from .safe_path import key_problem

log = logging.getLogger(__name__)
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
MANIFEST_NAME = "assetpub-manifest.json"
FORMAT_VERSION = 1


def split_suffix(name: str) -> tuple[str, str]:
    """'font.eot?#iefix' -> ('font.eot', '?#iefix'); 'icons.svg#star' -> ('icons.svg', '#star')."""
    if not isinstance(name, str):  # a template passing a number or None: say so, not "no attribute 'find'"
        raise TypeError(f"asset name must be a string, not {type(name).__name__}")
    cut = min((i for i in (name.find("?"), name.find("#")) if i >= 0), default=len(name))
    return name[:cut], name[cut:]


def url_path(path: str) -> str:
    """Percent-encode a POSIX path for use in a URL (non-ASCII, spaces, '#', '?')."""
    return quote(path, safe="/!$&'()*+,;=:@-._~")


@dataclass(frozen=True, slots=True)
class Variant:
    """An encoded copy of an entry's file (`encodings`: "br", "gzip"), served for its URL."""

    path: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One asset of a manifest, read and checked once (`parse_entry`); its values defaulted here,
    nowhere else. Two kinds: a fingerprinted asset (its name carries its digest, cached for a
    year) and a keep-name file (pages, robots.txt: revalidated).

    Defaults for a hand-written entry: no `encodings` -> none; no `fingerprinted` -> a
    keep-name file (never cached for a year on a guess); no `content_type` -> the media-type
    table's for `path`; no `cache_control` -> the default policy of the entry's kind."""

    path: str
    integrity: str
    size: int
    content_type: str
    cache_control: str
    fingerprinted: bool = False
    digest: str | None = None
    encodings: Mapping[str, Variant] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def kind(self) -> str:
        return "fingerprinted" if self.fingerprinted else "keep-name"

    def paths(self) -> list[str]:
        """The file and its encoded variants."""
        return [self.path, *(v.path for v in self.encodings.values())]


_GOOD_HEADERS: set[str] = set()  # header values already found good (header_problem is pure)


def parse_entry(entry: Any) -> Entry:
    """The typed entry of one manifest table; ValueError (what is wrong, to follow the
    entry's name) for one a hand-edited or foreign manifest made unusable."""
    if not isinstance(entry, dict):
        raise ValueError("is not a table")
    path, integrity, size = entry.get("path"), entry.get("integrity"), entry.get("size")
    if type(path) is not str or type(integrity) is not str or type(size) is not int:  # not bool, not a subclass
        for key, value, kind in (("path", path, str), ("integrity", integrity, str), ("size", size, int)):
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"has no valid {key!r}")
    _check_path(path)
    variants = {}
    encodings = entry.get("encodings")
    if encodings:
        if not isinstance(encodings, dict):
            raise ValueError("has malformed 'encodings'")
        for coding in sorted(encodings):
            v = encodings[coding]
            if not isinstance(v, dict) or not isinstance(v.get("path"), str) or not _optional(v.get("size"), int):
                raise ValueError("has malformed 'encodings'")
            _check_path(v["path"])
            variants[coding] = Variant(v["path"], v.get("size"))
    content_type, cache_control = entry.get("content_type"), entry.get("cache_control")
    for key, value in (("content_type", content_type), ("cache_control", cache_control)):
        if value not in _GOOD_HEADERS and (value is not None or key in entry):
            problem = header_problem(value)
            if problem:
                raise ValueError(f"has a {key!r} that {problem}")
            if isinstance(value, str) and len(_GOOD_HEADERS) < 256:
                _GOOD_HEADERS.add(value)  # a site has a few distinct values, repeated per entry
    digest = entry.get("digest")
    if not _optional(digest, str):
        raise ValueError("has a 'digest' that is not a string")
    fingerprinted = entry.get("fingerprinted", False)
    if not isinstance(fingerprinted, bool):
        raise ValueError("has a 'fingerprinted' that is not true or false")
    return Entry(
        path,
        integrity,
        size,
        content_type or media_types.content_type(path),
        cache_control or (IMMUTABLE if fingerprinted else REVALIDATE),
        fingerprinted,
        digest,
        MappingProxyType(variants),
    )


def usable_entries(assets: Mapping[str, Any], *, where: str, then: str) -> dict[str, Entry]:
    """The entries of `assets` that parse, for readers that go on without the others (the
    dev server, a report of a stored deploy): each one left out is named in a warning,
    `where: entry 'name' <problem>; <then>`."""
    out = {}
    for name, table in assets.items():
        try:
            out[name] = parse_entry(table)
        except ValueError as e:
            log.warning("%s: entry %r %s; %s", where, name, e, then)
    return out


# Keys made of these characters, in segments that do not start with a dot, are safe on
# their face (safe_path.key_problem would find nothing): the common case, checked at once.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_~@+,=-][A-Za-z0-9._~@+,=-]*(?:/[A-Za-z0-9_~@+,=-][A-Za-z0-9._~@+,=-]*)*")


def _check_path(path: str) -> None:
    if _PLAIN_KEY.fullmatch(path) is None:
        problem = key_problem(path)
        if problem:
            raise ValueError(f"has an unsafe path {path!r} ({problem})")


def _optional(value: Any, kind: type) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


class Lines:
    """A manifest's asset lines kept across builds of one config (watch mode): per name, in
    name order, the entry's digest and its line as UTF-8, so that writing the manifest
    after an edit encodes the changed entries only."""

    __slots__ = ("digests", "text")

    def __init__(self) -> None:
        self.digests: dict[str, str] = {}
        self.text: dict[str, bytes] = {}

    def clear(self) -> None:
        self.digests, self.text = {}, {}

    def update(self, assets: Mapping[str, Any], only, line) -> bytes:
        """The lines of `assets` joined; `only`: see Manifest.to_json."""
        text, digests = self.text, self.digests
        if only is not None and (len(text) != len(assets) or not all(name in text for name in only)):
            only = None  # not the names of the last call: every line is looked at
        if only is None:
            text, digests = {}, {}
        for name in sorted(assets) if only is None else only:
            entry = assets[name]
            digest = str(entry.get("digest", "")) if isinstance(entry, dict) else ""
            if not digest or self.digests.get(name) != digest or name not in self.text:
                text[name] = line(name, entry)
            else:
                text[name] = self.text[name]
            digests[name] = digest
        self.text, self.digests = text, digests
        return b",\n".join(text.values())


@dataclass(frozen=True)
class Manifest:
    """`assets` is the table as it stands in the file (written back byte for byte);
    `entries` the same, typed (Entry), checked when the manifest is loaded."""

    base_url: str
    assets: Mapping[str, Mapping[str, Any]]
    extra: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None  # where it was loaded from, for error messages

    # -- loading and saving -------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, *, check_entries: bool = True) -> Manifest:
        """Read a manifest file (or the manifest inside a build directory). With
        `check_entries` False a bad entry fails only where `entries` is first read (the dev
        server, which serves the other files of a hand-edited manifest, checks one by one)."""
        path = Path(path)
        if path.is_dir():
            path = path / MANIFEST_NAME
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise ManifestError(f"{path}: manifest not found (run `assetpub build` first)") from None
        except (OSError, ValueError) as e:
            raise ManifestError(f"{path}: not a readable assetpub manifest: {e}") from None
        return cls.from_dict(data, source=str(path), check_entries=check_entries)

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None, check_entries: bool = True) -> Manifest:
        where = source or "manifest"
        if not isinstance(data, dict) or not isinstance(data.get("assets"), dict):
            raise ManifestError(f"{where}: not an assetpub manifest (no 'assets' table)")
        if data.get("version") != FORMAT_VERSION:
            raise ManifestError(f"{where}: unsupported manifest version {data.get('version')!r}")
        extra = {k: v for k, v in data.items() if k not in ("version", "base_url", "assets")}
        manifest = cls(base_url=str(data.get("base_url") or "/"), assets=data["assets"], extra=extra, source=source)
        if check_entries:
            _ = manifest.entries  # parsed and checked now: a bad entry fails the load, naming it
        return manifest

    @cached_property
    def entries(self) -> Mapping[str, Entry]:
        """The typed entries (parsed on first use: a build's own manifest is never re-read)."""
        out = {}
        for name, entry in self.assets.items():
            try:
                out[name] = parse_entry(entry)
            except ValueError as e:
                raise ManifestError(f"{self.source or 'manifest'}: entry {name!r} {e}") from None
        return MappingProxyType(out)

    def to_dict(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "base_url": self.base_url, **self.extra, "assets": dict(self.assets)}

    def to_json(self, *, lines: Lines | None = None, only=None) -> bytes:
        """Deterministic JSON: header keys sorted, then one asset per line in name order.

        One line per asset keeps diffs readable and lets the C encoder do the work (an
        indented dump runs the pure-Python encoder, a third of a no-op rebuild).
        `lines` (kept by the caller across builds of one config: watch mode) reuses the
        line of an entry whose digest is unchanged; `only` says that the assets are the
        names `lines` holds and that only those entries may have changed (the others are
        not looked at)."""
        dump = _ENCODER.encode  # one encoder: json.dumps(**options) would build one per call
        data = self.to_dict()
        assets = data.pop("assets")
        header = [f"  {dump(key)}: {dump(value)}," for key, value in sorted(data.items())]
        head = "\n".join(["{", *header, '  "assets": {', ""]).encode("utf-8")
        if lines is None:
            entries = ",\n".join(f"    {dump(name)}: {dump(assets[name])}" for name in sorted(assets)).encode("utf-8")
        else:
            entries = lines.update(assets, only, lambda name, entry: f"    {dump(name)}: {dump(entry)}".encode())
        return b"".join([head, entries, b"\n" if entries else b"", b"  }\n}\n"])

    # -- lookups ------------------------------------------------------------
    def split(self, name: str) -> tuple[str, str]:
        """(asset name, ?query/#fragment suffix): the longest part of `name` that is an
        asset, cut before a `?` or `#` (files may be named `a#1.png`: `a#1.png?v=2` is that
        file with `?v=2`); with none, the name is cut at its first `?` or `#`."""
        bare, suffix = split_suffix(name)
        if not suffix:
            return bare, suffix
        cuts = [i for i, c in enumerate(name) if c in "?#"] + [len(name)]
        for cut in reversed(cuts):
            if name[:cut] in self.assets:
                return name[:cut], name[cut:]
        return bare, suffix

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.split(name)[0] in self.assets

    def __iter__(self) -> Iterator[str]:
        return iter(self.assets)

    def __len__(self) -> int:
        return len(self.assets)

    def entry(self, name: str) -> Entry:
        bare = self.split(name)[0]
        try:
            return self.entries[bare]
        except KeyError:
            raise AssetNotFound(bare, self.source) from None

    def path(self, name: str) -> str:
        return self.entry(name).path

    def url(self, name: str, *, base_url: str | None = None) -> str:
        """Base URL + fingerprinted path; a `?query` or `#fragment` on the name is carried over."""
        bare, suffix = self.split(name)
        return (base_url or self.base_url) + url_path(self.entry(bare).path) + suffix

    def integrity(self, name: str) -> str:
        return self.entry(name).integrity

    def paths(self) -> set[str]:
        """Every output path this manifest references, variants included."""
        return {path for entry in self.entries.values() for path in entry.paths()}
