"""JupyterHub-aware checks of one hub (`core.hubconfig`) with the catalogue of its jupyterhub chart.

Finds where the jupyterhub chart's values sit (the chart itself, or a wrapper chart's dependency
such as basehub's `jupyterhub:`), picks that chart version's trait catalogue, and blames each
finding on the layer that sets the key, or on a fleet chart folder's own `values.yaml`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hubfleet.core.errors import KeyPath, Problem
from hubfleet.core.tree import sets

if TYPE_CHECKING:
    from hubfleet.core.chartschema import ChartSchema
    from hubfleet.core.model import Chart

__all__ = ["placements", "trait_problems"]

Z2JH_CHART = "jupyterhub"


def placements(chart: Chart, schema: ChartSchema | None) -> list[tuple[KeyPath, str]]:
    """(values prefix, chart version) of each jupyterhub chart a hub's chart deploys."""
    charts = schema.charts if schema is not None and schema.charts else ()
    if not charts:  # a schema made without the chart's metadata: the fleet's own words
        charts = (((), chart.name, chart.version or ""),)
    return [(prefix, version) for prefix, name, version in charts if name == Z2JH_CHART and version]


def trait_problems(
    hub: str,
    chart: Chart,
    schema: ChartSchema | None,
    layers: Sequence[tuple[str, Mapping[str, Any]]],
    effective: Mapping[str, Any],
) -> list[Problem]:
    """Every JupyterHub-aware finding about one hub's effective values (chart defaults coalesced)."""
    from hubfleet.adapters import traitdata  # the checks and catalogues load only where hubs are checked
    from hubfleet.core.hubconfig import Z2jh, check

    own_defaults = schema.own_defaults if schema is not None and chart.kind == "path" else {}
    chart_values = f"{chart.path}/values.yaml"

    def file_of(keypath: KeyPath) -> str | None:
        for file, data in reversed(layers):
            if sets(data, keypath):
                return file
        return chart_values if own_defaults and sets(own_defaults, keypath) else None

    out: list[Problem] = []
    for prefix, version in placements(chart, schema):
        catalogue = traitdata.nearest(version)
        if catalogue is not None:
            out += check(effective, Z2jh(prefix, catalogue, version), file_of, hub, [f for f, _ in layers])
    return out


def catalogue_key(chart: Chart, schema: ChartSchema | None) -> bytes:
    """What a cached result depends on beyond the files: the placements and the catalogues' bytes."""
    from hubfleet.adapters import traitdata

    found = placements(chart, schema)
    return repr(found).encode() + (traitdata.digest() if found else b"")
