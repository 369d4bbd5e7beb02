"""`invoke chart-diff --from V --to W`: what moving the fleet's chart V to W changes for its hubs.

For each chart of fleet.yaml at version V (a chart repository's chart): both versions' defaults
and schemas (pulled once into the chart cache), each hub's rendered values, and then, from the
pure `core.chartdiff`: the defaults that change for hubs that do not set those keys themselves,
the schema's changes, and the hubs whose values the new schema rejects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hubfleet.app.load import located
from hubfleet.app.render import hub_layers, render_hub
from hubfleet.core.chartdiff import DefaultChange, SchemaChange, default_changes, reaches, schema_changes
from hubfleet.core.chartschema import ChartSchema
from hubfleet.core.compose import layer_setting
from hubfleet.core.errors import HubfleetError, Problem, did_you_mean
from hubfleet.core.model import Chart, Fleet
from hubfleet.core.versions import is_downgrade

__all__ = ["ChartDiff", "chart_diff"]


@dataclass
class ChartDiff:
    key: str  # the chart's key in fleet.yaml
    before: Chart
    after: Chart
    hubs: list[str]
    defaults: list[tuple[DefaultChange, list[str]]] = field(default_factory=list)  # change, hubs reached
    schema: list[SchemaChange] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)  # hub values the new schema rejects

    @property
    def downgrade(self) -> bool:
        return is_downgrade(self.before.version, self.after.version)


def chart_diff(root: Path, fleet: Fleet, version: str, to: str, *, offline: bool = False) -> list[ChartDiff]:
    """One ChartDiff per chart of fleet.yaml at `version`."""
    from hubfleet.adapters.charts import chart_meta

    charts = {k: c for k, c in fleet.config.charts.items() if c.kind != "path" and c.version == version}
    if not charts:
        known = sorted({c.version for c in fleet.config.charts.values() if c.version})
        raise HubfleetError.at(
            "fleet.yaml",
            f"no chart of a repository is at version {version} (the fleet has {', '.join(known) or 'none'})"
            + did_you_mean(version, known),
            ("charts",),
        )
    out = []
    for key, chart in sorted(charts.items()):
        target = replace(chart, version=to)
        metas = [chart_meta(root, c, offline=offline) for c in (chart, target)]
        for c, meta in zip((chart, target), metas, strict=True):
            if meta is None:
                raise HubfleetError.at(
                    "fleet.yaml",
                    f"{c.name} {c.version} is not in the chart cache (--offline)",
                    ("charts", key),
                )
        before, after = metas
        diff = ChartDiff(key, chart, target, sorted(n for n, h in fleet.hubs.items() if h.chart == key))
        values = {n: render_hub(fleet, fleet.hubs[n]).values for n in diff.hubs if n not in fleet.broken_hubs}
        for change in default_changes(before.defaults, after.defaults):
            reached = [n for n, v in values.items() if reaches(v, change.keypath)]
            if reached:
                diff.defaults.append((change, reached))
        diff.schema = schema_changes(before.schema, after.schema)
        diff.rejected = _rejected(
            fleet,
            values,
            ChartSchema(before.schema, before.defaults),
            ChartSchema(after.schema, after.defaults),
        )
        out.append(diff)
    return out


def _rejected(
    fleet: Fleet, values: Mapping[str, Mapping[str, Any]], before: ChartSchema, after: ChartSchema
) -> list[Problem]:
    """Each hub's schema errors under the new chart that it does not have under the old one."""
    out: list[Problem] = []
    for name, hub_values in values.items():
        old = {(e.keypath, e.message) for e in before.errors(hub_values)}
        layers = hub_layers(fleet, fleet.hubs[name])
        for e in after.errors(hub_values):
            if (e.keypath, e.message) not in old:
                out.append(
                    Problem(
                        layer_setting(layers, e.keypath),
                        f"with the new chart: {e.message}",
                        e.keypath,
                        hub=name,
                    )
                )
    return list(dict.fromkeys(located(out, fleet.source)))
