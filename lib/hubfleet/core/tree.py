"""Trees of plain data (mappings, lists, scalars): merge, coalesce, leaves, sets.

Inputs are never mutated: parsed layers are shared between hubs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hubfleet.core.errors import KeyPath
from hubfleet.core.resolve import MISSING

__all__ = ["coalesce", "leaves", "merge", "sets"]


def merge(layers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mappings merge key by key; anything else from a later layer replaces (OmegaConf's `???` keeps).

    Inputs are never mutated (parsed layers are shared between hubs); only the
    mappings on merged paths are copied.
    """
    out: dict[str, Any] = {}
    for layer in layers:
        out = _merge_two(out, layer)
    return out


def _merge_two(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            out[key] = _merge_two(old, value)
        elif value == MISSING and key in out:
            continue
        else:
            out[key] = value
    return out


def coalesce(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing: maps merge, anything else from values wins, null deletes a default."""
    out = dict(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):  # dict, not Mapping: 10x faster
            out[key] = coalesce(out[key], value)
        else:
            out[key] = value
    return out


def sets(data: Any, keypath: KeyPath) -> bool:
    """Whether `data` holds a value at `keypath`."""
    node = data
    for part in keypath:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            return False
    return True


def leaves(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """(key path, value) of every scalar in a tree of mappings and lists."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from leaves(v, (*path, i))
    else:
        yield path, data
