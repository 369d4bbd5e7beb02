"""`invoke validate [--hub H] [--offline] [--deep]`."""

from __future__ import annotations

from collections.abc import Sequence

from hubfleet.app.load import load_work_tree, touched
from hubfleet.app.validate import deep_problems, validate_fleet
from hubfleet.cli.boundary import console, print_problems
from hubfleet.cli.options import named
from hubfleet.core.errors import errors_only


def run(
    hub: str | None = None, offline: bool = False, deep: bool = False, files: Sequence[str] | None = None
) -> int:
    hub = named(hub, "hub")
    root, fleet = load_work_tree()
    names = [hub] if hub else touched(fleet, files)
    if names == []:
        console.print("no hub's Helm input among the given files: nothing to validate", markup=False)
        return 0
    problems = validate_fleet(root, fleet, names, offline=offline)
    if deep and not errors_only(problems):
        problems += deep_problems(root, fleet, names)
    print_problems(problems)
    errors = errors_only(problems)
    warnings = sum(p.severity == "warning" for p in problems)
    infos = sum(p.severity == "info" for p in problems)
    checked = len(names) if names is not None else len(fleet.hub_names)
    summary = f"{checked} hub(s) checked: {len(errors)} error(s), {warnings} warning(s)"
    summary += f", {infos} note(s)" if infos else ""
    if not hub and fleet.support_targets():
        summary += f" (and {len(fleet.support_targets())} support release(s))"
    console.print(summary, style="red" if errors else "green")
    return 1 if errors else 0
