"""`invoke validate [--hub H] [--offline] [--deep]`."""

from __future__ import annotations

from collections.abc import Sequence

from hubfleet.adapters.snapshot import Snapshot
from hubfleet.adapters.source import find_root
from hubfleet.app.load import load_fleet, touched
from hubfleet.app.validate import deep_problems
from hubfleet.app.validaterun import validate_tree
from hubfleet.cli.boundary import console, print_problems
from hubfleet.cli.options import named
from hubfleet.core.errors import errors_only


def run(
    hub: str | None = None, offline: bool = False, deep: bool = False, files: Sequence[str] | None = None
) -> int:
    hub = named(hub, "hub")
    root = find_root()
    names: list[str] | None = [hub] if hub else None
    if files is not None:  # which hubs the files touch needs the fleet first
        names = touched(load_fleet(Snapshot.take(root)), files)
        if names == []:
            console.print("no hub's Helm input among the given files: nothing to validate", markup=False)
            return 0
    checked = validate_tree(root, names, offline=offline)
    problems = checked.problems
    if deep and not errors_only(problems):
        fleet = checked.fleet or load_fleet(Snapshot.take(root))
        problems += deep_problems(root, fleet, names)
    print_problems(problems)
    errors = errors_only(problems)
    warnings = sum(p.severity == "warning" for p in problems)
    infos = sum(p.severity == "info" for p in problems)
    summary = f"{checked.hubs} hub(s) checked: {len(errors)} error(s), {warnings} warning(s)"
    summary += f", {infos} note(s)" if infos else ""
    if not hub and checked.support:
        summary += f" (and {checked.support} support release(s))"
    console.print(summary, style="red" if errors else "green")
    return 1 if errors else 0
