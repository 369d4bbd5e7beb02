"""Render one hub of a loaded fleet: read its layers (through the fleet's Source), compose, format.

The composition itself is pure (`hubfleet.core.compose`); this module does the reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hubfleet.adapters import yamlio
from hubfleet.app.load import parse_bytes
from hubfleet.core import paths
from hubfleet.core.compose import compose, facts_for, header
from hubfleet.core.model import Fleet, Hub

__all__ = ["Rendered", "hub_header", "hub_layers", "render_hub", "text"]


@dataclass(frozen=True)
class Rendered:
    hub: str
    path: str  # hubs/<hub>/rendered.values.yaml
    values: dict[str, Any]
    text: str


def hub_layers(fleet: Fleet, hub: Hub) -> list[tuple[str, dict[str, Any]]]:
    """(file, parsed layer) for each layer file that exists, lowest first (each read once)."""
    out = []
    for path in paths.layers(hub.name, hub.cluster):
        data = fleet.source.read(path)
        if data is not None:
            out.append((path, parse_bytes(data, path, allow_empty=True)))
    return out


def secret_files(fleet: Fleet, hub: Hub) -> list[str]:
    """The hub's secrets levels that exist (fleet, cluster, hub), lowest first."""
    return [f for f in paths.secret_layers(hub.name, hub.cluster) if fleet.source.read(f) is not None]


def hub_header(fleet: Fleet, hub: Hub, layer_files: list[str]) -> str:
    """The rendered file's header for this hub (which secrets levels exist is read from the Source)."""
    found = secret_files(fleet, hub)
    from hubfleet.adapters import helm  # validate reads layers through here and never needs Helm

    commands = helm.header_commands(hub, fleet.chart_of(hub), bool(found), secrets_files=found)
    return header(layer_files, commands, ", ".join(found) or None)


def text(values: Mapping[str, Any], header_text: str) -> str:
    """The file's bytes: header comment, then deterministic YAML."""
    body = yamlio.dump(_unshared(values)) if values else "{}\n"
    return header_text + body


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


def render_hub(fleet: Fleet, hub: Hub) -> Rendered:
    """The rendered file of one hub of a loaded fleet: read the layers, then compose (pure)."""
    layers = hub_layers(fleet, hub)
    values = compose(layers, facts_for(fleet, hub))
    files = [f for f, _ in layers]
    return Rendered(
        hub.name, paths.hub(hub.name).rendered, values, text(values, hub_header(fleet, hub, files))
    )
