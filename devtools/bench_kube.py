"""A rollout on real control planes: `hubfleet deploy` of a synthetic fleet (hubs on the real
jupyterhub chart from ../shared/charts/repo, served on 127.0.0.1) over local test clusters.

The clusters have no nodes and the fleet no `--wait`, so the figures are Helm's and the API
servers' work, not pods starting. Figures: the makespan (the deploy's wall time) against the
critical path (the slowest cluster's releases' helm times summed, from the same run's summary),
hubs per minute, and the control planes' memory (RSS of their processes). No assertions on time.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["kube_rollout"]

CHART_VERSION = "4.4.0"
# No nodes: nothing would ever pull images, and a hook Job would hold `helm upgrade` until its timeout.
HUB_VALUES = "prePuller:\n  hook: {enabled: false}\n  continuous: {enabled: false}\n"


@contextlib.contextmanager
def _served(folder: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def _write_fleet(root: Path, url: str, clusters: list[str], per_cluster: int) -> list[dict[str, Any]]:
    """The fleet's files (no support releases), and a plan listing every hub."""
    (root / "clusters").mkdir(parents=True)
    (root / "fleet.yaml").write_text(
        "charts:\n"
        f"  jupyterhub: {{repo: '{url}', name: jupyterhub, version: {CHART_VERSION}}}\n"
        "default_chart: jupyterhub\n"
        "rollout: {max_parallel_per_cluster: 4, max_parallel: 12, timeout: 300, wait: false, breaker: 3}\n"
    )
    (root / "clusters" / "common.values.yaml").write_text(HUB_VALUES)
    planned = []
    for c in clusters:
        (root / "clusters" / c).mkdir()
        (root / "clusters" / c / "cluster.yaml").write_text(
            f"name: {c}\nprovider: kubeconfig\nkubeconfig: {{context: {c}}}\n"
        )
        for i in range(per_cluster):
            name = f"{c}-hub{i:02d}"
            (root / "hubs" / name).mkdir(parents=True)
            (root / "hubs" / name / "hub.yaml").write_text(
                f"name: {name}\ncluster: {c}\ndomain: {name}.bench.example\n"
            )
            planned.append({"name": name, "cluster": c, "stage": "prod", "reasons": ["bench"]})
    return planned


def _rows(summary: str) -> list[tuple[str, str, float]]:
    """(cluster, result, seconds) per release, from the deploy's Markdown summary."""
    row = r"^\| `[^`]+` \| (\S+) \| \S+ \| (.*) \| [^|]* \| ([0-9.]+)s \|$"
    return [(m.group(1), m.group(2), float(m.group(3))) for m in re.finditer(row, summary, re.M)]


def _rss_mb(pids: list[int]) -> float:
    import psutil

    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            total += proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
    return total / 2**20


def kube_rollout(
    work: Path, binary: Path, helm: str, repo: Path, clusters: int = 3, per_cluster: int = 20
) -> dict[str, Any]:
    """Start the control planes, deploy every hub with `hubfleet deploy --plan`, stop them."""
    from hubfleet.local.testcluster import ControlPlane

    names = [f"k{i}" for i in range(clusters)]
    planes = [ControlPlane(n, work / "kube" / n, binary, die_with_parent=True) for n in names]
    root = work / "kubefleet"
    try:
        t0 = time.perf_counter()
        for plane in planes:
            plane.start()
        started = time.perf_counter() - t0
        idle_mb = _rss_mb([p.pid for plane in planes for p in plane.procs.values()])
        with _served(repo) as url:
            planned = _write_fleet(root, url, names, per_cluster)
            plan = {"base": "0" * 40, "head": "0" * 40, "hubs": planned, "removed": []}
            (root / "plan.json").write_text(json.dumps(plan))
            env = {
                **os.environ,
                "KUBECONFIG": os.pathsep.join(str(p.kubeconfig) for p in planes),
                "HUBFLEET_HELM": str(Path(helm).resolve()),
                "HUBFLEET_STATE": str(work / "kubestate"),
            }
            hubfleet = str(Path(sys.executable).parent / "hubfleet")
            subprocess.run(
                [hubfleet, "render"], cwd=root, env=env, check=True, capture_output=True, timeout=300
            )
            t0 = time.perf_counter()
            done = subprocess.run(
                [hubfleet, "deploy", "--plan", "plan.json", "--no-health", "--summary", "summary.md"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            makespan = time.perf_counter() - t0
        loaded_mb = _rss_mb([p.pid for plane in planes for p in plane.procs.values()])
        summary = (root / "summary.md").read_text() if (root / "summary.md").is_file() else ""
    finally:
        for plane in planes:
            plane.stop()
    rows = _rows(summary)
    per_cluster_s = {c: sum(s for rc, _, s in rows if rc == c) for c in names}
    failed = [r for _, r, _ in rows if r.startswith(("failed", "skipped"))]
    deployed = len(rows) - len(failed)
    critical = max(per_cluster_s.values(), default=0.0)
    return {
        "clusters": clusters,
        "hubs": len(planned),
        "deployed": deployed,
        "exit": done.returncode,
        "first failure": failed[0] if failed else done.stderr.strip()[-300:] if done.returncode else "",
        "control planes started (s)": round(started, 1),
        "makespan (s)": round(makespan, 1),
        "critical path (s)": round(critical, 1),
        "makespan / critical path": round(makespan / critical, 2) if critical else None,
        "hubs per minute": round(60 * deployed / makespan, 1) if makespan else None,
        "per cluster serial helm (s)": {c: round(s, 1) for c, s in sorted(per_cluster_s.items())},
        "control planes RSS idle (MB)": round(idle_mb),
        "control planes RSS after (MB)": round(loaded_mb),
    }
