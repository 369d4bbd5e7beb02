"""A fleet whose Kubernetes clusters are real test clusters (the `kube_cluster` fixture), deployed
with real helm and kubectl: `provider: kubeconfig`, `kubeconfig: {context: NAME}`, and KUBECONFIG
naming every cluster's file (joined with ':'; the contexts are distinct)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .fleetbuild import render_all, write


def make_kube_fleet(
    root: Path,
    repo_url: str,
    clusters: Mapping[str, object],
    hubs: Mapping[str, tuple[str, str, str]],
    *,
    rollout: str = "  timeout: 60\n",
    chart: tuple[str, str] = ("tinyhub", "0.1.0"),
) -> Path:
    """`chart` (name, version; tinyhub) from `repo_url`; `clusters`: fleet name -> KubeCluster;
    `hubs`: name -> (cluster, stage, namespace)."""
    write(
        root,
        "fleet.yaml",
        f"charts:\n  tiny:\n    repo: {repo_url}\n    name: {chart[0]}\n    version: {chart[1]}\n"
        f"default_chart: tiny\nrollout:\n{rollout}",
    )
    for name, kc in clusters.items():
        write(
            root,
            f"clusters/{name}/cluster.yaml",
            f"name: {name}\nprovider: kubeconfig\nkubeconfig: {{context: {kc.context}}}\n",  # type: ignore[attr-defined]
        )
    write(root, "clusters/common.values.yaml", "greeting: hello ${hub:name}\n")
    for name, (cluster, stage, ns) in hubs.items():
        write(
            root,
            f"hubs/{name}/hub.yaml",
            f"name: {name}\ncluster: {cluster}\ndomain: {name}.example.org\nstage: {stage}\nnamespace: {ns}\n",
        )
    render_all(root)
    return root


def use_clusters(monkeypatch, tmp_path: Path, root: Path, clusters: Sequence[object]) -> None:
    """The fleet as cwd, KUBECONFIG naming every cluster's file, hubfleet's state in tmp_path."""
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(str(c.kubeconfig) for c in clusters))  # type: ignore[attr-defined]
    for var in ("HUBFLEET_HELM", "HUBFLEET_KUBECTL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(root)


def plan_file(tmp_path: Path, removed: Sequence[Mapping[str, str]], hubs: Sequence[Mapping] = ()) -> str:
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps({"base": "a" * 40, "head": "b" * 40, "hubs": list(hubs), "removed": list(removed)})
    )
    return str(path)


@dataclass(frozen=True)
class RealHelm:
    """Real helm against one test cluster, in a Helm home of its own (the user's is never touched)."""

    exe: Path
    cluster: object
    home: Path

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = {
            **self.cluster.env,  # type: ignore[attr-defined]
            **{f"HELM_{k}_HOME": str(self.home / k.lower()) for k in ("CACHE", "CONFIG", "DATA")},
        }
        argv = [str(self.exe), *args, "--kube-context", self.cluster.context]  # type: ignore[attr-defined]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
        if check and done.returncode:
            raise AssertionError(f"helm {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def releases(self) -> set[tuple[str, str]]:
        """(namespace, name) of every release on the cluster."""
        out = json.loads(self("list", "--all-namespaces", "--all", "--output", "json").stdout or "[]")
        return {(r["namespace"], r["name"]) for r in out}

    def revision(self, release: str, namespace: str) -> int:
        out = json.loads(self("history", release, "--namespace", namespace, "--output", "json").stdout)
        return int(out[-1]["revision"])

    def status(self, release: str, namespace: str) -> str:
        out = json.loads(self("history", release, "--namespace", namespace, "--output", "json").stdout)
        return str(out[-1]["status"])
