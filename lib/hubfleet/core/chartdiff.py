"""What a chart bump changes for hubs that do not set a key themselves. Pure.

A chart's new default reaches every hub whose own values leave that key alone; a schema change
matters for the keys hubs set (a removed or retyped key rejects their values). Both compare two
charts' plain data: defaults (values.yaml) and values schemas.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hubfleet.core.errors import KeyPath

__all__ = ["DefaultChange", "SchemaChange", "default_changes", "reaches", "schema_changes"]

ABSENT: Any = type("Absent", (), {"__repr__": lambda _self: "(absent)"})()


@dataclass(frozen=True)
class DefaultChange:
    keypath: KeyPath
    before: Any  # ABSENT when the key is new
    after: Any  # ABSENT when the key is gone


@dataclass(frozen=True)
class SchemaChange:
    keypath: KeyPath  # of the values key the schema describes
    what: str  # "added", "removed", "type string -> integer", "enum ...", "closed to unknown keys"


def default_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[DefaultChange]:
    """Every leaf default that differs (lists and scalars are leaves, as Helm replaces them)."""
    old, new = dict(_leaves(before)), dict(_leaves(after))
    out = [DefaultChange(k, old.get(k, ABSENT), new.get(k, ABSENT)) for k in dict.fromkeys([*old, *new])]
    return [c for c in out if c.before != c.after or type(c.before) is not type(c.after)]


def reaches(values: Mapping[str, Any], keypath: KeyPath) -> bool:
    """Whether a chart default at `keypath` reaches a hub with these (uncoalesced) values: the hub
    sets neither the key nor a parent of it to something other than a mapping (which would hide it)."""
    node: Any = values
    for part in keypath:
        if not isinstance(node, Mapping):
            return False  # a list or scalar the hub set replaces the whole default subtree
        if part not in node:
            return True
        node = node[part]
    return False  # the hub sets the key itself


def schema_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[SchemaChange]:
    """Keys added or removed, types, enums and openness that changed, per values key path."""
    out: list[SchemaChange] = []
    _compare(before or {}, after or {}, (), out)
    return out


def _compare(a: Mapping[str, Any], b: Mapping[str, Any], at: KeyPath, out: list[SchemaChange]) -> None:
    for key, label in (("type", "type"), ("enum", "allowed values")):
        if a.get(key) != b.get(key):
            out.append(SchemaChange(at, f"{label} {_show(a.get(key))} -> {_show(b.get(key))}"))
    if a.get("additionalProperties") != b.get("additionalProperties") and at:
        closed = b.get("additionalProperties") is False
        out.append(SchemaChange(at, "closed to unknown keys" if closed else "open to unknown keys"))
    props_a, props_b = a.get("properties") or {}, b.get("properties") or {}
    for name in dict.fromkeys([*props_a, *props_b]):
        if name not in props_b:
            out.append(SchemaChange((*at, name), "removed"))
        elif name not in props_a:
            out.append(SchemaChange((*at, name), "added"))
        elif isinstance(props_a[name], Mapping) and isinstance(props_b[name], Mapping):
            _compare(props_a[name], props_b[name], (*at, name), out)
    required_a, required_b = set(a.get("required") or ()), set(b.get("required") or ())
    for name in sorted(required_b - required_a):
        out.append(SchemaChange((*at, name), "now required"))


def _leaves(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    if isinstance(data, Mapping) and data:
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif path:
        yield path, data


def _show(value: Any) -> str:
    return "(none)" if value is None else str(value)
