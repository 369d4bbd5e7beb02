"""A hub's values from its layers and facts, and its rendered file's header: pure, over data.

`compose(layers, facts)` merges the parsed layers (OmegaConf semantics, `tree.merge`)
and resolves interpolations (`resolve`); `header(...)` is the comment that opens a
rendered file. Reading the layer files happens in `hubfleet.app.render`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hubfleet.core.errors import HubfleetError, KeyPath, Problem, format_keypath
from hubfleet.core.model import Fleet, Hub
from hubfleet.core.resolve import MISSING, Facts, InterpolationProblem, Scan, resolve, scan
from hubfleet.core.tree import leaves, merge, sets

__all__ = ["Facts", "compose", "facts_for", "header", "layer_setting"]

Layers = Sequence[tuple[str, Mapping[str, Any]]]  # (file, parsed layer), lowest first


def compose(
    layers: Layers, facts: Facts, merged: Mapping[str, Any] | None = None, found: Scan | None = None
) -> dict[str, Any]:
    """Merge then resolve. Errors name the highest layer that sets the failing key.

    `merged`: `merge` of the layers' data when the caller made it already (never mutated), and
    `found`: its `scan`. The result shares what has no interpolation with `merged`."""
    if merged is None:
        merged = merge([data for _, data in layers])
    found = scan(merged) if found is None else found
    try:
        values = resolve(merged, facts, found)
    except InterpolationProblem as e:
        file = layer_setting(layers, e.keypath)
        cause = _replaced(layers, e.missing, e.keypath, file) if e.missing else None
        if cause is None:
            raise HubfleetError.at(file, e.message, e.keypath) from None
        first = Problem(
            file, f"{e.message} ({cause.file} replaces `{format_keypath(cause.keypath)}`)", e.keypath
        )
        raise HubfleetError(str(first), problems=[first, cause]) from None
    if not found.missing and not _resolved_missing(values, found):
        return values  # the common case: no key paths built over the whole tree
    for keypath, value in leaves(values):
        if value == MISSING:  # OmegaConf's "must be set": no layer set it, and Helm would get `???`
            raise HubfleetError.at(
                layer_setting(layers, keypath),
                "is ??? (a value that must be set) and no later layer sets it: set it, or remove it",
                keypath,
            )
    return values


def _resolved_missing(values: Mapping[str, Any], found: Scan) -> bool:
    """Whether an interpolation resolved to `???` (`${a}??` with `a: "?"`): the only way the
    resolved values hold a `???` that the merged ones did not."""
    for path, _ in found.interpolated:
        node: Any = values
        try:
            for part in path:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(node, str) and node == MISSING:
            return True
    return False


def _replaced(layers: Layers, missing: KeyPath, where: KeyPath, file: str) -> Problem | None:
    """The later layer that set a mapping holding `missing` to null or a scalar (a dedented key
    does that: `memory:` left empty), as a problem at that layer's key; None if none did."""
    for j in range(len(missing) - 1, 0, -1):
        prefix = missing[:j]
        for i in range(len(layers) - 1, -1, -1):
            layer, data = layers[i]
            if not sets(data, prefix):
                continue
            value = _at(data, prefix)
            lower = next((f for f, d in reversed(layers[:i]) if sets(d, missing[: j + 1])), None)
            if isinstance(value, dict) or lower is None:
                break  # a mapping here, or no lower layer had the key: not replaced at this level
            what = "null" if value is None else f"a {_KINDS.get(type(value), type(value).__name__)}"
            return Problem(
                layer,
                f"{what} here replaces the mapping {lower} gave it, so `${{{format_keypath(missing)}}}` "
                f"({format_keypath(where)} in {file}) finds no `{missing[j]}`: indent the keys that "
                "belong under it, or remove it",
                prefix,
            )
    return None


_KINDS = {str: "string", int: "number", float: "number", bool: "boolean", list: "list"}


def _at(data: Any, keypath: KeyPath) -> Any:
    for part in keypath:
        data = data[part]
    return data


def layer_setting(layers: Layers, keypath: KeyPath) -> str:
    """The highest layer setting `keypath`, or else the longest prefix of it that a layer sets.

    An unknown key's own path is set by the layer that misspelled it; a key that came
    only from the chart's defaults is blamed on the layer holding its nearest parent.
    """
    for i in range(len(keypath), 0, -1):
        for file, data in reversed(layers):
            if sets(data, keypath[:i]):
                return file
    return layers[-1][0] if layers else "?"


def facts_for(fleet: Fleet, hub: Hub) -> Facts:
    cluster = fleet.clusters[hub.cluster]
    return Facts(hub.facts(), {"name": cluster.name, "provider": cluster.provider})


def header(layer_files: Sequence[str], commands: Sequence[str], secrets_file: str | None) -> str:
    """The comment opening a rendered file: generated, from which layers, the plain-Helm commands.

    `commands`: the deploy lines (`hubfleet.adapters.helm.header_commands`); `secrets_file`:
    the hub's sops file when it has one.
    """
    lines = [
        "# GENERATED by hubfleet (`invoke render`) - do not edit; edit the layers below and re-render.",
        "# Layers, lowest first: " + (", ".join(layer_files) or "(none)"),
    ]
    if secrets_file:
        lines.append(f"# Secrets: {secrets_file} (sops-encrypted; never in this file)")
    lines.append("# Deploy with plain Helm, from the fleet root:")
    lines += [f"#   {c}" for c in commands]
    return "\n".join(lines) + "\n"
