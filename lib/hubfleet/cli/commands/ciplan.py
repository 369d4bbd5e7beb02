"""`invoke ci-plan`: the deploy workflow's plan, each cluster from its `refs/deployed/<cluster>`."""

from __future__ import annotations

from pathlib import Path

from hubfleet.adapters.source import find_root
from hubfleet.cli import reports
from hubfleet.cli.boundary import console
from hubfleet.core.ciplan import Selection


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (text or "").split(",") if n.strip())


def run(
    head: str = "HEAD",
    fallback_base: str | None = None,
    hubs: str | None = None,
    clusters: str | None = None,
    all_hubs: bool = False,
    force: bool = False,
    prune: bool = False,
    out: str = "plans",
    github_output: str | None = None,
) -> int:
    from hubfleet.app.ciplan import DEPLOYED_REF, ci_plan, write_outputs

    root = find_root()
    selection = Selection(_names(hubs), _names(clusters), all_hubs, force)
    result = ci_plan(root, head, fallback_base or f"{head}~1", selection, prune=prune)
    settings = result.fleet.config.rollout
    parts = [
        f"## hubfleet deploy plan for `{result.head[:12]}`",
        "",
        f"Each cluster is planned from `{DEPLOYED_REF}<cluster>` (what this workflow last deployed there).",
    ]
    for wave in ("canary", "rest"):
        for job in result.jobs[wave]:
            plan = result.plans[job["cluster"]]
            console.print(reports.console_table(plan))
            parts += ["", f"<!-- {wave} -->", reports.markdown(plan, settings)]
    if not any(result.jobs.values()):
        console.print("nothing to deploy on any cluster", markup=False)
        parts += ["", "Nothing to deploy on any cluster."]
    write_outputs(result, Path(out), Path(github_output) if github_output else None, "\n".join(parts) + "\n")
    return 0
