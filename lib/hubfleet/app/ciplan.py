"""The deploy workflow's plan: each cluster from what it last deployed (`refs/deployed/<cluster>`).

The imperative shell around `hubfleet.core.ciplan`: resolve each cluster's deployed ref (or the
fallback base), plan each distinct base once, narrow by the workflow_dispatch selection, and
write one contract-shaped plan file per cluster with work, a Markdown summary, and the two job
matrices (canary clusters first, then the rest) for `$GITHUB_OUTPUT`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hubfleet.adapters.gitsource import GitSource, resolve_rev
from hubfleet.adapters.runner import CommandError, Runner
from hubfleet.adapters.runner import run as default_runner
from hubfleet.app import plan as plan_app
from hubfleet.app.load import load_fleet
from hubfleet.core.ciplan import Selection, cluster_plan, group_by_base, matrices, narrow, wanted_clusters
from hubfleet.core.errors import HubfleetError, did_you_mean, os_problem
from hubfleet.core.model import Fleet
from hubfleet.core.plan import Plan

__all__ = ["DEPLOYED_REF", "CiPlan", "ci_plan", "write_outputs"]

DEPLOYED_REF = "refs/deployed/"  # + cluster name: the commit the workflow last deployed there


@dataclass(frozen=True)
class CiPlan:
    head: str
    plans: dict[str, Plan]  # cluster -> its plan (base = its deployed commit)
    jobs: dict[str, list[dict]]  # {"canary": [...], "rest": [...]}
    fleet: Fleet


def _deployed(root: Path, cluster: str, runner: Runner) -> str | None:
    try:
        return resolve_rev(root, f"{DEPLOYED_REF}{cluster}", runner)
    except HubfleetError:
        return None


def _check(selection: Selection, fleet: Fleet) -> None:
    for h in selection.hubs:
        if h not in fleet.hubs:
            raise HubfleetError(f"--hubs: no hub `{h}` in hubs/{did_you_mean(h, fleet.hubs)}")
    for c in selection.clusters:
        if c not in fleet.clusters:
            raise HubfleetError(f"--clusters: no cluster `{c}` in clusters/{did_you_mean(c, fleet.clusters)}")


def ci_plan(
    root: Path,
    head: str,
    fallback_base: str,
    selection: Selection,
    *,
    prune: bool = False,
    runner: Runner = default_runner,
) -> CiPlan:
    head_sha = resolve_rev(root, head, runner)
    with GitSource(root, head_sha, runner) as src:
        fleet = load_fleet(src)
    _check(selection, fleet)
    remote = [c for c, cl in fleet.clusters.items() if not cl.is_local]
    clusters = wanted_clusters(selection, remote, {h.name: h.cluster for h in fleet.hubs.values()})
    fallback = resolve_rev(root, fallback_base, runner)
    bases = {c: _deployed(root, c, runner) or fallback for c in clusters}
    plans: dict[str, Plan] = {}
    for base, group in group_by_base(bases).items():
        full, _ = plan_app.compute(root, base, head_sha, runner)
        for c in group:
            at_head = {h.name: (h.cluster, h.stage) for h in fleet.hubs.values() if h.cluster == c}
            plans[c] = narrow(cluster_plan(full, c), selection, at_head)
    providers = {name: c.provider for name, c in fleet.clusters.items()}
    jobs = matrices(plans, providers, fleet.config.rollout.canary, record=not selection.narrowed, prune=prune)
    return CiPlan(head_sha, plans, jobs, fleet)


def write_outputs(result: CiPlan, out: Path, github_output: Path | None, markdown: str) -> None:
    """`out/<cluster>.json` per cluster with work, `out/plan.md`, and the job matrices."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("*.json"):  # a cluster without work now has no plan file
            stale.unlink()
        for c in (e["cluster"] for wave in result.jobs.values() for e in wave):
            plan_app.write_json(result.plans[c], out / f"{c}.json")
        plan_app.write_output(out / "plan.md", markdown)
        if github_output is not None:
            lines = []
            for wave in ("canary", "rest"):
                lines.append(f"{wave}={json.dumps({'include': result.jobs[wave]}, separators=(',', ':'))}")
                lines.append(f"{wave}-count={len(result.jobs[wave])}")
            with github_output.open("a", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
    except OSError as e:
        raise os_problem(e.filename or out, "write", e) from None
    except CommandError as e:  # pragma: no cover - write_json runs no command
        raise HubfleetError(str(e)) from None
