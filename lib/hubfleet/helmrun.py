"""Helm adapter: run helm (found by `tools`) in its isolated home, through the runner.

The commands themselves come from the pure builders in `hubfleet.helm`; this
module only swaps in the real executable and the chart folder, and runs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import charts, helm, tools
from .errors import HubfleetError
from .model import Chart, Hub
from .runner import CommandError, Completed, Runner, run

__all__ = ["repo_add", "resolved", "template"]


def resolved(root: Path, argv: Sequence[str], *, runner: Runner = run) -> list[str]:
    """`argv` (argv[0] == "helm") with the helm that `tools` finds."""
    return [tools.helm(root, runner=runner), *argv[1:]]


def repo_add(root: Path, chart: Chart, *, runner: Runner = run) -> list[str] | None:
    """`helm repo add <key> <url> --force-update` in the isolated home (repository charts only)."""
    add = helm.repo_add_argv(chart)
    if add is None:
        return None
    argv = resolved(root, add, runner=runner)
    try:
        runner(argv, env=tools.helm_env(root), timeout=120)
    except CommandError as e:
        raise HubfleetError(
            f"fleet.yaml: charts.{chart.key}: cannot reach chart repository {chart.repo}: {e}"
        ) from None
    return argv


def template_command(
    root: Path, hub: Hub, chart: Chart, values: Sequence[str], *, runner: Runner = run
) -> list[str]:
    """`helm template` of the hub with its chart's folder (pulled once, cached) in place of the ref."""
    folder = charts.chart_dir(root, chart, runner=runner)
    argv = helm.template_argv(hub, chart, values)
    argv[3] = str(folder)  # [helm, template, <release>, <chart>, ...]
    return resolved(root, argv, runner=runner)


def template(
    root: Path,
    hub: Hub,
    chart: Chart,
    values: Sequence[str],
    *,
    runner: Runner = run,
    mask: Sequence[str] = (),
) -> Completed:
    """The manifests Helm makes for this hub (no cluster contacted)."""
    argv = template_command(root, hub, chart, values, runner=runner)
    try:
        return runner(argv, env=tools.helm_env(root), cwd=root, timeout=300, mask=mask)
    except CommandError as e:
        raise HubfleetError(f"hubs/{hub.name}: `helm template` failed: {e}") from None
