"""What a chart version change does to each affected hub: manifests and chart defaults, base vs head.

For the plan comment (`invoke plan --markdown`). Offline in the sense that matters: no cluster is
contacted; the two chart versions come from the chart cache (pulled once). Each side is `helm
template` of that commit's chart, release, namespace and rendered values (no secrets: the plan
runs without them, and Secret data is redacted anyway), compared by `core.manifests`. The chart
defaults that changed are listed for the keys the hub's values leave to the chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubfleet.adapters import charts, helm, yamlio
from hubfleet.adapters.gitsource import GitSource
from hubfleet.adapters.memfile import memfile
from hubfleet.adapters.runner import Runner, run
from hubfleet.app.load import load_fleet
from hubfleet.core.errors import HubfleetError
from hubfleet.core.manifests import default_changes, diff_text
from hubfleet.core.model import Chart, Fleet, Hub
from hubfleet.core.plan import Plan

__all__ = ["MAX_HUBS", "ChartBump", "chart_bumps"]

MAX_HUBS = 10  # hubs whose manifests are templated per plan (two `helm template` runs each)


@dataclass(frozen=True)
class ChartBump:
    hub: str
    label: str  # "jupyterhub 4.3.5 -> 4.4.0"
    manifest_diff: str = ""
    defaults: tuple[str, ...] = ()  # "hub.image.tag: 4.3.5 -> 4.4.0"
    note: str = ""  # why there is no diff (chart unreachable, ...)


def _version_change(was: Chart, now: Chart) -> bool:
    """A repository/OCI chart whose name or version changed (a chart folder's content is not a version)."""
    return "path" not in (was.kind, now.kind) and (was.name, was.version) != (now.name, now.version)


def _template(root: Path, hub: Hub, chart: Chart, values: Mapping[str, Any], runner: Runner) -> str:
    folder = charts.chart_dir(root, chart, runner=runner)
    with memfile(yamlio.dump(dict(values)).encode(), f"{hub.name}.values.yaml") as mem:
        done = helm.template(
            root, hub, chart, [mem.path], chart_folder=folder, runner=runner, pass_fds=[mem.fd]
        )
    return done.stdout


def _unlabelled(manifests: str, chart: Chart) -> str:
    """Every object's `chart`/`helm.sh/chart` label names the chart version: a bump changes them all,
    which says nothing; left out so the diff shows what really changes."""
    return manifests.replace(f"{chart.name}-{chart.version}", f"{chart.name}-<version>")


def _bump(
    root: Path, base: Fleet, head: Fleet, name: str, before: Any, after: Any, runner: Runner
) -> ChartBump:
    was, now = base.hubs[name], head.hubs[name]
    old, new = base.chart_of(was), head.chart_of(now)
    label = f"{old.name} {old.version} -> " + (
        new.version or "" if new.name == old.name else f"{new.name} {new.version}"
    )
    try:
        diff = diff_text(
            _unlabelled(_template(root, was, old, before, runner), old),
            _unlabelled(_template(root, now, new, after, runner), new),
            f"base/{old.name}-{old.version}",
            f"head/{new.name}-{new.version}",
        )
        old_meta = charts.chart_meta(root, old, runner=runner)
        new_meta = charts.chart_meta(root, new, runner=runner)
        changed = default_changes(
            old_meta.defaults if old_meta else {}, new_meta.defaults if new_meta else {}, after
        )
        return ChartBump(name, label, diff, tuple(c.line() for c in changed))
    except (HubfleetError, ValueError) as e:
        return ChartBump(name, label, note=f"no manifest diff: {str(e).splitlines()[0]}")


def chart_bumps(root: Path, plan: Plan, *, runner: Runner = run, limit: int = MAX_HUBS) -> list[ChartBump]:
    """A ChartBump per planned hub whose chart version changed (the first `limit` of them)."""
    candidates = [h for h in plan.hubs if h.before is not None and h.after is not None]
    if not candidates:
        return []
    with GitSource(root, plan.base, runner) as base_src, GitSource(root, plan.head, runner) as head_src:
        base, head = load_fleet(base_src), load_fleet(head_src)
    out: list[ChartBump] = []
    for h in candidates:
        if h.name not in base.hubs or h.name not in head.hubs or h.name in base.broken_hubs:
            continue
        if not _version_change(base.chart_of(base.hubs[h.name]), head.chart_of(head.hubs[h.name])):
            continue
        if len(out) >= limit:
            out.append(ChartBump(h.name, "", note=f"more than {limit} hubs: run `invoke plan` locally"))
            continue
        out.append(_bump(root, base, head, h.name, h.before, h.after, runner))
    return out
