"""`invoke deploy --hub H | --cluster C | --plan FILE [--dry-run] [--no-health]`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from hubfleet.app.load import load_work_tree
from hubfleet.app.plan import read_plan_json
from hubfleet.cli.boundary import console
from hubfleet.core.errors import HubfleetError, did_you_mean
from hubfleet.core.model import Fleet
from hubfleet.core.plan import canary_first as plan_canary_first


def run(
    hub: str | None = None,
    cluster: str | None = None,
    plan: str | None = None,
    dry_run: bool = False,
    no_health: bool = False,
) -> int:
    from hubfleet.adapters import runner
    from hubfleet.app.deploy import deploy_hub
    from hubfleet.core import rollout

    root, fleet = load_work_tree()
    planned = read_plan_json(plan).hubs if plan else None
    plan_hubs = [vars(h) for h in planned] if planned is not None else None
    names = select(fleet, hub=hub, cluster=cluster, plan_hubs=plan_hubs)
    if not names:
        console.print("nothing to deploy", markup=False)
        return 0
    if dry_run:
        results = [deploy_hub(root, fleet, n, dry_run=True, echo=_echo) for n in names]
        for r in (r for r in results if not r.ok):
            console.print(f"{r.hub}: {r.message}", style="red", markup=False)
        return 0 if all(r.ok for r in results) else 1
    targets = [rollout.Target(n, fleet.hubs[n].cluster, fleet.hubs[n].stage) for n in names]
    settings = fleet.config.rollout
    # Canary waves come from the plan's own reasons; a direct --hub/--cluster deploy
    # goes canary-first only with `when: always`.
    if planned is not None:
        canary_first = plan_canary_first([h for h in planned if h.name in names], settings.canary)
    else:
        canary_first = settings.canary.when == "always"
    report = rollout.run_rollout(
        targets,
        lambda name: deploy_hub(root, fleet, name),
        None if no_health else _health(root, fleet),
        settings,
        canary_first=canary_first,
        console=console,
        interrupted=runner.interrupted,
    )
    return 0 if report.ok else 1


def _echo(text: str) -> None:
    console.print(text, markup=False, highlight=False)


def select(
    fleet: Fleet,
    *,
    hub: str | None = None,
    cluster: str | None = None,
    plan_hubs: Iterable[Mapping[str, str]] | None = None,
) -> list[str]:
    """Pure: the hubs to deploy, in plan/fleet order; `cluster` filters a plan."""
    if hub is not None and (cluster is not None or plan_hubs is not None):
        raise HubfleetError("give --hub alone, or --cluster, or --plan (which --cluster may narrow)")
    if hub is None and cluster is None and plan_hubs is None:
        raise HubfleetError("give one of --hub H, --cluster C or --plan FILE")
    if cluster is not None and cluster not in fleet.clusters:
        raise HubfleetError(f"no cluster `{cluster}` in clusters/{did_you_mean(cluster, fleet.clusters)}")
    if hub is not None:
        names = [fleet.hub(hub).name]
    elif plan_hubs is not None:
        plan_hubs = list(plan_hubs)
        _check_plan_matches(fleet, plan_hubs)
        names = [h["name"] for h in plan_hubs if cluster is None or h.get("cluster") == cluster]
    else:
        names = [h.name for h in fleet.hubs.values() if h.cluster == cluster]
    broken = [n for n in names if n in fleet.broken_hubs]
    if broken:
        problems = [p for p in fleet.problems if p.hub in broken and p.severity == "error"]
        raise HubfleetError(
            f"hub(s) {', '.join(broken)} have errors: run `invoke validate` and fix them first",
            problems=problems,
        )
    return names


def _check_plan_matches(fleet: Fleet, plan_hubs: list[Mapping[str, str]]) -> None:
    """A plan from another commit or fleet may name a hub this tree lacks, or place it elsewhere."""
    again = "the plan is from another commit or fleet; make it again with `invoke plan`"
    for h in plan_hubs:
        if h["name"] not in fleet.hubs and h["name"] not in fleet.broken_hubs:
            raise HubfleetError(f"the plan names hub `{h['name']}`, which is not in hubs/: {again}")
        hub = fleet.hub(h["name"])
        if h.get("cluster") != hub.cluster:
            raise HubfleetError(
                f"the plan puts hub {hub.name} on cluster {h.get('cluster')}, but {hub.file} says "
                f"{hub.cluster}: {again}"
            )


def _health(root: Path, fleet: Fleet) -> Callable[[str], Any] | None:
    """The health check run after each staging hub (hubfleet.health)."""
    from hubfleet.app.health import health_for_hub

    return lambda name: health_for_hub(root, fleet, name)
