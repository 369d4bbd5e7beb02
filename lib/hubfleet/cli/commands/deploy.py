"""`invoke deploy --hub H[,H2] | --cluster C | --plan F [--dry-run] [--no-health] [--prune] [--summary F]`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hubfleet.app.load import load_work_tree
from hubfleet.app.plan import read_plan_json
from hubfleet.cli import rolloutreport
from hubfleet.cli.boundary import console
from hubfleet.cli.options import hub_names, named
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError, os_problem
from hubfleet.core.model import Fleet
from hubfleet.core.plan import Plan, Removed, removed_still_present
from hubfleet.core.plan import canary_first as plan_canary_first


def run(
    hub: str | Sequence[str] | None = None,
    cluster: str | None = None,
    plan: str | None = None,
    dry_run: bool = False,
    no_health: bool = False,
    prune: bool = False,
    delete_namespaces: bool = False,
    summary: str | None = None,
    support_only: bool = False,
    force: bool = False,
) -> int:
    hubs = hub_names(hub)
    cluster = named(cluster, "cluster")
    plan = named(plan, "plan")
    from hubfleet.app.support import select_support

    root, fleet = load_work_tree()
    if (prune or delete_namespaces) and not plan:
        raise HubfleetError("--prune uninstalls the hubs a plan lists as removed: give --plan FILE too")
    if support_only and (hubs is not None or cluster is None):
        raise HubfleetError(
            "--support-only deploys one cluster's support releases: give --cluster C (no --hub)"
        )
    whole = read_plan_json(plan) if plan else None
    if whole is not None:
        _refuse_removing_present_hubs(fleet, whole, plan or "")
    planned = whole.hubs if whole is not None else None
    plan_hubs = [vars(h) for h in planned] if planned is not None else None
    names = select(fleet, hubs=hubs, cluster=cluster, plan_hubs=plan_hubs)
    support = [] if hubs else select_support(fleet, cluster=cluster, planned=whole.support if whole else None)
    if support_only:
        names = []
    _refuse_broken_clusters(fleet, {*(fleet.hubs[n].cluster for n in names), *(t.cluster for t in support)})
    removed = [r for r in (whole.removed if whole else ()) if cluster is None or r.cluster == cluster]
    if not names and not support and not (prune and removed):
        console.print("nothing to deploy", markup=False)
        _write_summary(summary, "nothing to deploy")
        return 0
    if dry_run:
        results = _dry_run(root, fleet, names, support, planned, no_health, canary=not support_only)
        if prune:
            _echo_prune(removed, delete_namespaces)
        for r in (r for r in results if not r.ok):
            console.print(f"{r.hub}: {r.message}", style="red", markup=False)
        _write_summary(summary, f"dry run: {len(results)} release(s) shown, nothing deployed")
        return 0 if all(r.ok for r in results) else 1
    from hubfleet.adapters.locks import deploy_lock
    from hubfleet.adapters.source import state_dir

    what = "invoke deploy " + " ".join(
        f"--{k} {v}" for k, v in (("hub", ",".join(hubs or ())), ("cluster", cluster), ("plan", plan)) if v
    )
    with deploy_lock(state_dir(root), what.strip()):
        return _deploy(
            root,
            fleet,
            names,
            support,
            planned,
            removed,
            no_health,
            prune,
            delete_namespaces,
            summary,
            canary=not support_only,
            force=force,
        )


def _deploy(
    root,
    fleet,
    names,
    support,
    planned,
    removed,
    no_health,
    prune,
    delete_namespaces,
    summary,
    *,
    canary=True,
    force=False,
) -> int:
    """The rollout itself, under the fleet's deploy lock: per cluster its support releases (in order),
    then its hubs; the fleet's and each cluster's shared secrets decrypted once, in memory."""
    from hubfleet.adapters import runner
    from hubfleet.app.layered_secrets import SharedSecrets
    from hubfleet.core import rollout

    targets, canary_first = _targets(fleet, names, support, planned, no_health, canary)
    shared = SharedSecrets(root)  # the fleet's and each cluster's secrets: decrypted once, in memory
    report = rollout.run_rollout(
        targets,
        lambda name: _release(root, fleet, support, name, shared=shared, force=force),
        None if no_health else _health(root, fleet),
        fleet.config.rollout,
        canary_first=canary_first,
        console=console,
        interrupted=runner.interrupted,
        prepare=shared.prepare,
    )
    pruned = _prune(root, fleet, removed, delete_namespaces) if prune else []
    if removed and not prune:
        names = ", ".join(r.name for r in removed)
        console.print(
            f"note: removed from the repository, left installed: {names} (`--prune` uninstalls them)",
            markup=False,
        )
    _write_summary(summary, rolloutreport.markdown(report, pruned))
    return 0 if report.ok and all(r.ok for r in pruned) else 1


def _targets(
    fleet: Fleet, names: list[str], support: list[Any], planned: Any, no_health: bool, canary: bool
) -> tuple[list[Any], bool]:
    """The rollout's targets (support releases, hubs, and the staging hubs checked as canaries) and
    whether its canary clusters go first."""
    from hubfleet.core import rollout

    targets = [rollout.Target(t.id, t.cluster, rollout.SUPPORT) for t in support]
    targets += [rollout.Target(n, fleet.hubs[n].cluster, fleet.hubs[n].stage) for n in names]
    if not no_health and canary:  # canary, always: a cluster's staging hubs are checked before its prod hubs
        targets = rollout.canary_checks(targets, staging_hubs(fleet))
    settings = fleet.config.rollout
    # Canary waves come from the plan's own reasons; a direct --hub/--cluster deploy
    # goes canary-first only with `when: always`.
    if planned is not None:
        return targets, plan_canary_first([h for h in planned if h.name in names], settings.canary)
    return targets, settings.canary.when == "always"


def _release(
    root: Path,
    fleet: Fleet,
    support: list[Any],
    name: str,
    *,
    dry_run: bool = False,
    shared: Any = None,
    force: bool = False,
) -> Any:
    """Deploy (or show) one target: a support release by its id, else a hub."""
    from hubfleet.app.deploy import deploy_hub
    from hubfleet.app.support import deploy_support

    echo = _echo if dry_run else print
    target = next((t for t in support if t.id == name), None)
    if target is not None:
        return deploy_support(root, fleet, target, dry_run=dry_run, echo=echo, force=force)
    return deploy_hub(root, fleet, name, dry_run=dry_run, echo=echo, shared=shared, force=force)


def _dry_run(
    root: Path,
    fleet: Fleet,
    names: list[str],
    support: list[Any],
    planned: Any,
    no_health: bool,
    *,
    canary: bool,
) -> list[Any]:
    """The rollout's steps in the order it takes them, then each release's commands and manifests
    in that order; nothing deployed."""
    from hubfleet.core import rollout

    targets, canary_first = _targets(fleet, names, support, planned, no_health, canary)
    settings = fleet.config.rollout
    _echo("rollout order (a dry run: nothing is deployed):")
    for line in rollout.describe(targets, settings, canary_first, health=not no_health):
        _echo(line)
    _echo("")
    shown = [t for t in rollout.in_order(targets, settings, canary_first) if t.action != "check"]
    return [_release(root, fleet, support, t.hub, dry_run=True) for t in shown]


def _refuse_broken_clusters(fleet: Fleet, clusters: set[str]) -> None:
    """Deploy nothing on a cluster whose own files have errors (a support layer on a local cluster,
    an unusable secrets file): one located line, exit 1."""
    from hubfleet.core import paths

    errors = [
        p
        for p in fleet.problems
        if p.severity == "error" and any(p.file.startswith(paths.cluster(c).folder + "/") for c in clusters)
    ]
    if errors:
        raise HubfleetError(str(errors[0]), problems=errors)


def staging_hubs(fleet: Fleet) -> dict[str, list[str]]:
    """Pure: each cluster's staging hubs that load (the canary checks' candidates)."""
    out: dict[str, list[str]] = {}
    for h in fleet.hubs.values():
        if h.stage == "staging" and h.name not in fleet.broken_hubs:
            out.setdefault(h.cluster, []).append(h.name)
    return out


def _prune(root: Path, fleet: Fleet, removed: list[Removed], delete_namespaces: bool) -> list[Any]:
    from hubfleet.app.prune import prune_hub

    results = [prune_hub(root, fleet, r, delete_namespace=delete_namespaces) for r in removed]
    if results:
        console.print(rolloutreport.prune_table(results, removed))
    return results


def _echo_prune(removed: list[Removed], delete_namespaces: bool) -> None:
    from hubfleet.app.prune import prune_commands

    for r in removed:
        _echo(f"# {r.name} was removed from the repository: `invoke deploy --prune` would run:")
        for line in prune_commands(r, None, delete_namespaces):
            _echo(line)


def _write_summary(path: str | None, text: str) -> None:
    """Append to a Markdown file (CI: $GITHUB_STEP_SUMMARY)."""
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text.rstrip("\n") + "\n")
    except OSError as e:
        raise os_problem(Path(path), "write", e) from None


def _echo(text: str) -> None:
    console.print(text, markup=False, highlight=False)


def select(
    fleet: Fleet,
    *,
    hubs: Sequence[str] | None = None,
    cluster: str | None = None,
    plan_hubs: Iterable[Mapping[str, str]] | None = None,
) -> list[str]:
    """Pure: the hubs to deploy, in `--hub` order or plan/fleet order; `cluster` narrows a plan."""
    if hubs is not None and (cluster is not None or plan_hubs is not None):
        raise HubfleetError("give --hub or --cluster, not both (or --plan, which --cluster may narrow)")
    if hubs is None and cluster is None and plan_hubs is None:
        raise HubfleetError("give one of --hub H (several: --hub a,b), --cluster C or --plan FILE")
    if cluster is not None:
        fleet.cluster(cluster)
    if hubs is not None:
        names = [fleet.hub(h).name for h in hubs]
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


def _refuse_removing_present_hubs(fleet: Fleet, whole: Plan, file: str) -> None:
    """A plan's `removed` is checked against hubs/ before anything runs (the whole plan is refused)."""
    present = {n: paths.hub(n).hub_yaml for n in fleet.hub_names}
    problems = removed_still_present(whole, present, file)
    if problems:  # each printed as its own located line
        raise HubfleetError(str(problems[0]), problems=problems)


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
