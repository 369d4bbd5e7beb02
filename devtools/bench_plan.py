"""Figures for `invoke plan` and the rollout engine (the bench session calls these).

Functions return numbers; they assert nothing. Targets: a 2000-hub plan with a
one-line cluster-layer change in <= 1.5 s warm; a simulated rollout within 10%
of its critical-path bound.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from hubfleet.adapters.runner import Runner, run
from hubfleet.core.model import Rollout
from hubfleet.core.rollout import Result, Target, run_rollout

__all__ = ["bench_plan", "bench_rollout", "critical_path"]

_IDENT = [
    "-c",
    "user.name=hubfleet bench",
    "-c",
    "user.email=bench@example.org",
    "-c",
    "commit.gpgsign=false",
]


def bench_plan(fleet_root_with_git: Path, *, repeats: int = 3, runner: Runner = run) -> dict[str, Any]:
    """Plan a one-line change to one cluster layer of a committed fleet.

    Works on a local clone (hard links; the given repository is not touched).
    `cold` is the first plan in this process, `warm` the best of the next `repeats`.
    """
    from hubfleet.app.plan import compute

    src = Path(fleet_root_with_git).resolve()
    with tempfile.TemporaryDirectory(prefix="hubfleet-bench-") as tmp:
        root = Path(tmp) / "fleet"
        runner(["git", "clone", "-q", "--local", str(src), str(root)])
        cluster, line = _one_line_change(root)
        runner(["git", *_IDENT, "commit", "-q", "-am", "bench: one-line change"], cwd=root)
        times = []
        result = None
        for _ in range(1 + repeats):
            t0 = time.perf_counter()
            result, fleet = compute(root, "HEAD~1", "HEAD", runner)
            times.append(time.perf_counter() - t0)
        assert result is not None
        return {
            "hubs": len(fleet.hubs),
            "clusters": len(fleet.clusters),
            "changed_cluster": cluster,
            "changed_line": line,
            "planned": len(result.hubs),
            "cold_s": round(times[0], 3),
            "warm_s": round(min(times[1:]), 3),
            "target_warm_s": 1.5,
        }


def _one_line_change(root: Path) -> tuple[str, str]:
    """Edit one line of the first cluster's layer (a size, else append a key)."""
    clusters = sorted(p.parent.name for p in (root / "clusters").glob("*/common.values.yaml"))
    if not clusters:
        raise FileNotFoundError(f"{root}: no clusters/<c>/common.values.yaml to change")
    layer = root / "clusters" / clusters[0] / "common.values.yaml"
    text = layer.read_text(encoding="utf-8")
    m = re.search(r"^(\s*capacity: )(\d+)Gi$", text, re.M)
    if m:
        new = f"{m.group(1)}{int(m.group(2)) + 1}Gi"
        layer.write_text(text[: m.start()] + new + text[m.end() :], encoding="utf-8")
        return clusters[0], new.strip()
    layer.write_text(text + "hubfleet_bench: 1\n", encoding="utf-8")
    return clusters[0], "hubfleet_bench: 1"


def critical_path(
    staging: int, prod: int, per_cluster: int, latency: float, health: float, health_prod: bool = True
) -> float:
    """Seconds one cluster needs at best: staging in waves of `per_cluster`, each release followed by
    its health check, then prod the same way (health after each prod release when `health_prod`)."""
    staging_s = math.ceil(staging / per_cluster) * (latency + health)
    return staging_s + math.ceil(prod / per_cluster) * (latency + (health if health_prod else 0.0))


def bench_rollout(
    clusters: int = 30,
    staging: int = 1,
    prod: int = 5,
    per_cluster: int = 4,
    latency: float = 0.2,
    health_s: float = 0.2,
    max_parallel: int | None = None,
    health_prod: bool = True,
) -> dict[str, Any]:
    """Makespan of a simulated rollout, health checks included (sleeping stand-ins for helm and the
    health check): staging hubs and, with `health_prod` (the default, as `rollout.health.prod`), prod hubs."""
    targets = []
    for c in range(clusters):
        name = f"cluster-{c:03d}"
        targets += [Target(f"{name}-s{i}", name, "staging") for i in range(staging)]
        targets += [Target(f"{name}-p{i}", name, "prod") for i in range(prod)]

    def deploy(hub: str) -> Result:
        time.sleep(latency)
        return Result(hub, True, "", latency)

    def health(hub: str) -> Result:
        time.sleep(health_s)
        return Result(hub, True, "", health_s)

    # Default: enough global slots that the per-cluster bound is the one that binds.
    settings = Rollout(
        max_parallel_per_cluster=per_cluster,
        max_parallel=max_parallel or clusters * per_cluster,
        health_prod=health_prod,
    )
    from io import StringIO

    from rich.console import Console

    t0 = time.perf_counter()
    report = run_rollout(targets, deploy, health, settings, console=Console(file=StringIO()))
    wall = time.perf_counter() - t0
    makespan = report.duration  # the engine's own time; `wall` adds printing the final table
    bound = critical_path(staging, prod, per_cluster, latency, health_s, health_prod)
    checks = sum(1 for o in report.outcomes if o.health)
    return {
        "releases": len(targets),
        "health_checks": checks,
        "clusters": clusters,
        "max_parallel": settings.max_parallel,
        "ok": report.ok,
        "makespan_s": round(makespan, 3),
        "wall_with_table_s": round(wall, 3),
        "bound_s": round(bound, 3),
        "overhead_pct": round(100 * (makespan / bound - 1), 1),
        "target_pct": 10.0,
    }
