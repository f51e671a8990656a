"""A deploy record's fields, checked where they are read: every key and id against the
path rule (safe_path), every header value against header_value, every number a number.

Anything malformed is one line naming the record, the key and the field (UnreadableRecord:
--verify replaces a live record like that). The values returned are typed and frozen
(RemoteObject per object, HistoryEntry per earlier deploy; the manifest a checked dict),
so nothing downstream walks unchecked dicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..header_value import header_problem
from ..safe_path import id_problem, is_sha256, key_problem
from .errors import PublishError
from .state import RESERVED, Headers, RemoteObject


class UnreadableRecord(PublishError):
    """A deploy record that is not valid JSON or not a record at all (torn, foreign, or tampered with)."""


def parse_id(value: Any, *, where: str, field: str = "id") -> str:
    problem = id_problem(value)
    if problem:
        raise UnreadableRecord(f"{where}: {field} {value!r} {problem}")
    return value


def parse_time(value: Any, *, where: str, field: str = "time") -> str:
    if not isinstance(value, str):
        raise UnreadableRecord(f"{where}: {field} is not a string")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableRecord(f"{where}: {field} {value!r} is not an ISO 8601 time") from None
    return value


def parse_text(raw: dict, name: str, *, where: str) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise UnreadableRecord(f"{where}: {name} is not a string")
    return value


def parse_objects(value: Any, *, where: str) -> dict[str, RemoteObject]:
    if not isinstance(value, dict):
        raise UnreadableRecord(f"{where}: objects is not an object")
    shared: dict[tuple, Headers] = {}  # thousands of objects share a few header sets: one value each
    out = {}
    for key, entry in value.items():
        fields = parse_object(key, entry, where=where)
        triple = (fields["content_type"], fields["cache_control"], fields.get("content_encoding"))
        headers = shared.get(triple)
        if headers is None:
            headers = shared[triple] = Headers(*triple)
        out[key] = RemoteObject(fields["sha256"], fields["size"], headers, fields["fingerprinted"])
    return out


def parse_object(key: Any, entry: Any, *, where: str) -> dict[str, Any]:
    """One published object's fields: {sha256, size, content_type, cache_control, content_encoding?, fingerprinted}."""
    problem = key_problem(key)
    if problem is None and key.startswith(RESERVED):
        problem = "is a reserved key"
    if problem:
        raise UnreadableRecord(f"{where}: objects: key {key!r} {problem}")
    at = f"{where}: objects[{key!r}]"
    if not isinstance(entry, dict):
        raise UnreadableRecord(f"{at} is not an object")
    sha = entry.get("sha256")
    if sha is not None and not is_sha256(sha):
        raise UnreadableRecord(f"{at}.sha256 {sha!r} is not a SHA-256")
    size = entry.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise UnreadableRecord(f"{at}.size {size!r} is not a size in bytes")
    fingerprinted = entry.get("fingerprinted", False)
    if not isinstance(fingerprinted, bool):
        raise UnreadableRecord(f"{at}.fingerprinted {fingerprinted!r} is not true or false")
    out: dict[str, Any] = {"sha256": sha, "size": size}
    for name in ("content_type", "cache_control", "content_encoding"):
        value = entry.get(name, None if name == "content_encoding" else "")
        if value is None and name == "content_encoding":
            continue
        problem = header_problem(value)
        if problem:
            raise UnreadableRecord(f"{at}.{name} {problem}")
        if value or name != "content_encoding":
            out[name] = value
    out["fingerprinted"] = fingerprinted
    return out


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """An earlier deploy, as the live record summarises it (`tool` since format 2)."""

    id: str
    time: str
    objects: int = 0
    bytes: int = 0
    tool: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "time": self.time, "objects": self.objects, "bytes": self.bytes}
        if self.tool is not None:
            out["tool"] = self.tool
        return out


def parse_history(value: Any, *, where: str) -> tuple[HistoryEntry, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise UnreadableRecord(f"{where}: history is not a list")
    out = []
    for index, item in enumerate(value):
        at = f"history[{index}]"
        if not isinstance(item, dict):
            raise UnreadableRecord(f"{where}: {at} is not an object")
        counts = {}
        for name in ("objects", "bytes"):
            number = item.get(name, 0)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise UnreadableRecord(f"{where}: {at}.{name} {number!r} is not a count")
            counts[name] = number
        out.append(
            HistoryEntry(
                id=parse_id(item.get("id"), where=where, field=f"{at}.id"),
                time=parse_time(item.get("time"), where=where, field=f"{at}.time"),
                objects=counts["objects"],
                bytes=counts["bytes"],
                tool=parse_text(item, "tool", where=f"{where}: {at}") if "tool" in item else None,
            )
        )
    return tuple(out)


def parse_manifest(value: Any, *, where: str) -> dict[str, Any]:
    """The manifest a record carries: empty, or one Manifest.from_dict accepts (paths checked)."""
    if value is None or value == {}:
        return {}
    from ..errors import ManifestError
    from ..manifest import Manifest

    if not isinstance(value, dict):
        raise UnreadableRecord(f"{where}: manifest is not an object")
    try:
        Manifest.from_dict(value, source=f"{where}: manifest")
    except ManifestError as e:
        raise UnreadableRecord(str(e)) from None
    return value
