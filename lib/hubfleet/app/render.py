"""Compose a hub's values: merge the layers, resolve interpolations (`resolve`), write the file.

Layers merge as plain dicts with OmegaConf's semantics (the contract); inputs are
never mutated, since parsed layers are shared between hubs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import yamlio
from .errors import HubfleetError, KeyPath
from .resolve import MISSING, Facts, InterpolationProblem, resolve

if TYPE_CHECKING:  # types only: the pure merge/resolve core imports no fleet loading
    from .load import Fleet
    from .model import Hub

__all__ = [
    "Facts",
    "Rendered",
    "compose",
    "facts_for",
    "header",
    "hub_layers",
    "layer_setting",
    "leaves",
    "merge",
    "render_hub",
    "sets",
    "text",
]


# --- merge ---------------------------------------------------------------------


def merge(layers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mappings merge key by key; anything else from a later layer replaces.

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


# --- one hub ------------------------------------------------------------------------


def compose(layers: Sequence[tuple[str, Mapping[str, Any]]], facts: Facts) -> dict[str, Any]:
    """Merge then resolve. Errors name the highest layer that sets the failing key."""
    merged = merge([data for _, data in layers])
    try:
        return resolve(merged, facts)
    except InterpolationProblem as e:
        file = layer_setting(layers, e.keypath)
        raise HubfleetError.at(file, e.message, e.keypath) from None


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


def layer_setting(layers: Sequence[tuple[str, Mapping[str, Any]]], keypath: KeyPath) -> str:
    """The highest layer setting `keypath`, or else the longest prefix of it that a layer sets.

    An unknown key's own path is set by the layer that misspelled it; a key that came
    only from the chart's defaults is blamed on the layer holding its nearest parent.
    """
    for i in range(len(keypath), 0, -1):
        for file, data in reversed(layers):
            if sets(data, keypath[:i]):
                return file
    return layers[-1][0] if layers else "?"


def text(values: Mapping[str, Any], header: str) -> str:
    """The file's bytes: header comment, then deterministic YAML."""
    body = yamlio.dump(_unshared(values)) if values else "{}\n"
    return header + body


def _unshared(node: Any) -> Any:
    """A copy in which no mapping or list appears twice.

    YAML anchors (`&x` ... `*x`) in a layer load as one shared object, and the dumper would
    write it back as `&id001`/`*id001`: the rendered file would then depend on whether the hub
    also uses an interpolation (resolving copies), and reviewers would read aliases, not values.
    """
    if isinstance(node, dict):
        return {k: _unshared(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_unshared(v) for v in node]
    return node


# --- a hub of a loaded fleet (reads through the fleet's Source) ----------------------


@dataclass(frozen=True)
class Rendered:
    hub: str
    path: str  # hubs/<hub>/rendered.values.yaml
    values: dict[str, Any]
    text: str


def facts_for(fleet: Fleet, hub: Hub) -> Facts:
    cluster = fleet.clusters[hub.cluster]
    return Facts(hub.facts(), {"name": cluster.name, "provider": cluster.provider})


def hub_layers(fleet: Fleet, hub: Hub) -> list[tuple[str, dict[str, Any]]]:
    """(file, parsed layer) for each layer file that exists, lowest first (each read once)."""
    from .load import layer_paths, parse_bytes

    out = []
    for path in layer_paths(hub):
        data = fleet.source.read(path)
        if data is not None:
            out.append((path, parse_bytes(data, path, allow_empty=True)))
    return out


def header(fleet: Fleet, hub: Hub, layer_files: Sequence[str]) -> str:
    from . import helm

    chart = fleet.chart_of(hub)
    has_secrets = fleet.source.read(helm.secrets_path(hub)) is not None
    lines = [
        "# GENERATED by hubfleet (`invoke render`) - do not edit; edit the layers below and re-render.",
        "# Layers, lowest first: " + (", ".join(layer_files) or "(none)"),
    ]
    if has_secrets:
        lines.append(f"# Secrets: {helm.secrets_path(hub)} (sops-encrypted; never in this file)")
    lines.append("# Deploy with plain Helm, from the fleet root:")
    lines += [f"#   {c}" for c in helm.header_commands(hub, chart, has_secrets)]
    return "\n".join(lines) + "\n"


def render_hub(fleet: Fleet, hub: Hub) -> Rendered:
    """The rendered file of one hub of a loaded fleet (pure over the fleet's Source)."""
    from .helm import rendered_path

    layers = hub_layers(fleet, hub)
    values = compose(layers, facts_for(fleet, hub))
    return Rendered(
        hub.name, rendered_path(hub), values, text(values, header(fleet, hub, [f for f, _ in layers]))
    )
