"""`invoke chart-diff --from V --to W`: the chart's default and schema changes that reach the fleet's hubs."""

from __future__ import annotations

import json
from typing import Any

from hubfleet.app.chartdiff import ChartDiff, chart_diff
from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console, err_console, print_problems
from hubfleet.core.chartdiff import ABSENT
from hubfleet.core.errors import format_keypath

SHOWN_HUBS = 4  # name hubs up to this many; past it, a count


def run(from_version: str, to_version: str, offline: bool = False) -> int:
    root, fleet = load_work_tree()
    for diff in chart_diff(root, fleet, from_version, to_version, offline=offline):
        _print(diff)
    return 0


def _print(diff: ChartDiff) -> None:
    b, a = diff.before, diff.after
    head = f"chart {diff.key}: {b.name} {b.version} -> {a.version}, {len(diff.hubs)} hub(s)"
    console.print(head + (" (a downgrade)" if diff.downgrade else ""), markup=False)
    if diff.downgrade:
        err_console.print(
            f"warning: charts.{diff.key}: {b.version} -> {a.version} is a downgrade: the chart's upgrade "
            "notes do not cover going back",
            style="yellow",
            markup=False,
        )
    console.print(f"  defaults that reach hubs (keys they do not set): {len(diff.defaults)}", markup=False)
    for change, hubs in diff.defaults:
        console.print(
            f"    {format_keypath(change.keypath)}: {_show(change.before)} -> {_show(change.after)}"
            f"  ({_hubs(hubs, diff.hubs)})",
            markup=False,
        )
    console.print(f"  schema changes: {len(diff.schema)}", markup=False)
    for change in diff.schema:
        console.print(f"    {format_keypath(change.keypath) or '(root)'}: {change.what}", markup=False)
    if diff.rejected:
        console.print(f"  values the new schema rejects: {len(diff.rejected)}", markup=False)
        print_problems(diff.rejected)


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _hubs(reached: list[str], all_hubs: list[str]) -> str:
    if len(reached) == len(all_hubs):
        return f"all {len(all_hubs)} hubs"
    names = ", ".join(reached[:SHOWN_HUBS]) + (", ..." if len(reached) > SHOWN_HUBS else "")
    return f"{len(reached)} of {len(all_hubs)} hubs: {names}"
