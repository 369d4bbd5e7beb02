"""Editor support: JSON Schemas under `.hubfleet/schemas/` and the VS Code mappings to them.

`invoke setup` calls `write_schemas`. Our own files' schemas come from the Cerberus schemas; a
values layer's from its chart's own schema (pulled or cached like `invoke validate` does). The
committed `.vscode/settings.json` maps every layer to the default chart's schema; a hub on
another chart names its own in a `# yaml-language-server: $schema=...` line (`invoke new-hub`
writes it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubfleet.adapters import charts, userfiles
from hubfleet.core import editorschema, paths, schemas
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Chart, Fleet

__all__ = ["OWN_FILES", "update_vscode_settings", "vscode_settings", "write_schemas"]

# schema file -> (Cerberus schema, kind, the files it describes)
OWN_FILES: dict[str, tuple[dict[str, Any], str, tuple[str, ...]]] = {
    "fleet.schema.json": (schemas.FLEET, "fleet", (paths.FLEET_FILE,)),
    "cluster.schema.json": (schemas.CLUSTER, "cluster", (f"{paths.CLUSTERS}/*/cluster.yaml",)),
    "hub.schema.json": (schemas.HUB, "hub", (f"{paths.HUBS}/*/hub.yaml",)),
}
VSCODE_SETTINGS = ".vscode/settings.json"
LAYERS = (paths.FLEET_LAYER, f"{paths.CLUSTERS}/*/common.values.yaml", f"{paths.HUBS}/*/values.yaml")


def vscode_settings(fleet: Fleet) -> dict[str, Any]:
    """`yaml.schemas` for yaml-language-server: schema path (from the workspace) -> globs.

    Every hub layer maps to the default chart's schema; each support release's layers to its
    chart's (the release names come from fleet.yaml, so `invoke setup` keeps the file current)."""
    mapping: dict[str, list[str]] = {
        f"./{paths.SCHEMAS}/{name}": [f"/{g}" for g in globs] for name, (_, _, globs) in OWN_FILES.items()
    }
    default = fleet.config.default_chart
    mapping[f"./{paths.values_schema(default, default)}"] = [f"/{g}" for g in LAYERS]
    for release in fleet.config.support:
        target = mapping.setdefault(f"./{paths.values_schema(release.chart, default)}", [])
        p = paths.support("*", release.name)
        target += [f"/{p.fleet_layer}", f"/{p.layer}"]
    return {"yaml.schemas": mapping}


def update_vscode_settings(root: Path, fleet: Fleet) -> bool:
    """Rewrite `yaml.schemas` in `.vscode/settings.json` (other settings kept); True if it changed."""
    path = root / VSCODE_SETTINGS
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        current = {}
    except ValueError as e:
        raise HubfleetError(f"{VSCODE_SETTINGS}: not JSON ({e}): fix it, then `invoke setup`") from None
    if not isinstance(current, dict):
        raise HubfleetError(f"{VSCODE_SETTINGS}: not a JSON object: fix it, then `invoke setup`")
    wanted = {**current, **vscode_settings(fleet)}
    if wanted == current:
        return False
    _write(path, wanted)
    return True


def chart_layer_schema(meta: charts.ChartMeta, title: str) -> dict[str, Any]:
    """A values layer of a hub on this chart; a wrapper chart's subcharts sit under their keys."""
    out = editorschema.values_layer(
        meta.schema, meta.defaults, editorschema.comment_descriptions(meta.defaults_text), title
    )
    for sub in meta.subcharts:
        nested = editorschema.values_layer(sub.schema, sub.defaults, {}, sub.key)
        nested.pop("$schema", None)
        out.setdefault("properties", {})[sub.key] = nested
    return out


def write_schemas(
    root: Path,
    fleet: Fleet,
    *,
    chart_meta: Callable[[Chart], charts.ChartMeta | None] | None = None,
) -> tuple[list[str], list[str]]:
    """(files written, warnings): our files' schemas, and one per chart whose metadata is at hand.

    A chart that cannot be had (no network, not cached) is a warning: `invoke validate` or
    `invoke setup --seed-chart` caches it, and setup writes its schema the next time.
    """
    folder = root / paths.SCHEMAS
    written: list[str] = []
    for name, (schema, kind, _) in OWN_FILES.items():
        written.append(_write(folder / name, editorschema.from_cerberus(schema, kind, name)))
    load = chart_meta or (lambda chart: charts.chart_meta(root, chart))
    warnings = []
    for key, chart in sorted(fleet.config.charts.items()):
        try:
            meta = load(chart)
        except HubfleetError as e:
            meta = None
            problem = e.problems[0].message if e.problems else str(e)
            reason = "it cannot be pulled here" if "cannot pull" in problem else problem.splitlines()[0]
        else:
            reason = "not in the chart cache"
        if meta is None:
            warnings.append(
                f"{paths.FLEET_FILE}: charts.{key}: warning: no values schema for editors ({reason}): "
                f"`invoke validate` or `invoke setup --seed-chart {key}=DIR` caches the chart"
            )
            continue
        target = root / paths.values_schema(key, fleet.config.default_chart)
        written.append(
            _write(
                target,
                chart_layer_schema(
                    meta, f"values of chart {key} ({chart.name} {chart.version or ''})".strip()
                ),
            )
        )
    return [str(Path(w).relative_to(root)) for w in written], warnings


def _write(path: Path, doc: dict[str, Any]) -> str:
    """Atomically: an editor reading the file never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    userfiles.write_file(path, json.dumps(doc, indent=2) + "\n")
    return str(path)
