"""`invoke plan`: which hubs a change between two commits must deploy, in order; `--matrix`: CI's jobs."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from hubfleet.adapters.source import find_root
from hubfleet.app import plan as plan_app
from hubfleet.app.load import load_work_tree
from hubfleet.cli import reports
from hubfleet.core.model import Fleet
from hubfleet.core.plan import downgrades, staging_warnings

__all__ = ["matrix", "run"]


def run(
    base: str | None = None,
    head: str = "HEAD",
    json_out: str | None = None,
    markdown_out: str | None = None,
    matrix_of: str | None = None,
    *,
    console: Console | None = None,
) -> int:
    out = console or Console(highlight=False)
    if matrix_of:
        return matrix(matrix_of)
    root = find_root()
    result, head_fleet = plan_app.compute(root, base, head or "HEAD")
    if result.hubs or result.removed or result.support:
        out.print(reports.console_table(result))
    else:
        out.print(f"plan {result.base[:12]} -> {result.head[:12]}: nothing to deploy", markup=False)
    warnings = staging_warnings(result, staging_hubs(head_fleet)) + [
        f"hub {hub.name}: {next(r for r in hub.reasons if r.endswith(': a downgrade'))}: Helm rolls it back "
        "to an older chart, whose upgrade notes do not cover going back; check the chart's changelog"
        for hub in downgrades(result)
    ]
    for w in warnings:
        out.print(f"warning: {w}", style="yellow", markup=False)
    if json_out:
        plan_app.write_json(result, Path(json_out))
    if markdown_out:
        from hubfleet.app.chartbump import chart_bumps

        bumps = chart_bumps(root, result)
        text = reports.markdown(result, head_fleet.config.rollout, bumps=bumps, warnings=warnings)
        plan_app.write_output(Path(markdown_out), text)
    return 0


def staging_hubs(fleet: Fleet) -> dict[str, list[str]]:
    """Each cluster's staging hubs (for the no-staging-hub warning)."""
    out: dict[str, list[str]] = {}
    for h in fleet.hubs.values():
        if h.stage == "staging":
            out.setdefault(h.cluster, []).append(h.name)
    return out


def matrix(plan_file: str) -> int:
    """The deploy workflow's matrix for a plan file, as one JSON line (one job per remote cluster)."""
    _, fleet = load_work_tree()
    providers = {name: c.provider for name, c in fleet.clusters.items()}
    doc = reports.ci_matrix(plan_app.read_plan_json(plan_file), providers)
    print(json.dumps(doc))  # one line for $GITHUB_OUTPUT: no rich wrapping
    return 0
