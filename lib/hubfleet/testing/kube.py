"""The `kube_cluster` fixture: real local Kubernetes control planes for a test session.

`kube_cluster.kubeconfig` / `.context` start (once) a control plane without nodes: enough for
anything the API server alone decides (apply, dry-run=server, Helm releases without `--wait`).
`kube_cluster(nodes=N)` gives one with N simulated nodes, so Deployments become Ready and
`helm --wait`/`--atomic` complete; `kube_cluster(name="b")` another independent one. Each is
started once per session, dies with the session (even a killed one), and is checked gone at its
end. Without the control-plane binary the test is skipped, saying how to get it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["KubeCluster", "KubeClusters", "kube_cluster"]


@dataclass(frozen=True)
class KubeCluster:
    """A started test cluster: its kubeconfig (a path) and context name."""

    name: str
    kubeconfig: Path
    context: str
    server: str
    nodes: int
    tools_root: Path  # where hubfleet's setup keeps kubectl/helm when none is on PATH

    @property
    def env(self) -> dict[str, str]:
        """The environment for kubectl/helm/hubfleet to reach this cluster."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def kubectl(self, *args: str, check: bool = True, input: str | None = None) -> str:
        """`kubectl --context NAME ARGS...` against this cluster; its stdout."""
        from hubfleet.adapters import tools
        from hubfleet.adapters.runner import run

        argv = [tools.kubectl(self.tools_root), "--kubeconfig", str(self.kubeconfig)]
        done = run([*argv, "--context", self.context, *args], input=input, timeout=120, check=False)
        if check and done.returncode:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout


class KubeClusters:
    """The session's test clusters, started on first use: `kube_cluster(nodes=N, name=...)`."""

    def __init__(self, base: Path, binary: Path, tools_root: Path) -> None:
        self._base = base
        self._binary = binary
        self._tools_root = tools_root
        self._planes: dict[str, object] = {}
        self._clusters: dict[str, KubeCluster] = {}

    def __call__(self, nodes: int = 0, name: str | None = None) -> KubeCluster:
        from hubfleet.local.testcluster import ControlPlane

        name = name or (f"kube-{nodes}n" if nodes else "kube")
        known = self._clusters.get(name)
        if known is not None:
            if known.nodes != nodes:
                raise ValueError(f"kube_cluster: {name} already runs with {known.nodes} node(s)")
            return known
        plane = ControlPlane(name, self._base / name, self._binary, nodes=nodes, die_with_parent=True)
        plane.start()
        self._planes[name] = plane
        cluster = KubeCluster(name, plane.kubeconfig, plane.context, plane.server, nodes, self._tools_root)
        self._clusters[name] = cluster
        return cluster

    @property
    def kubeconfig(self) -> Path:
        return self().kubeconfig

    @property
    def context(self) -> str:
        return self().context

    def pids(self) -> list[int]:
        return [p.pid for plane in self._planes.values() for p in plane.procs.values()]  # type: ignore[attr-defined]

    def stop(self) -> list[int]:
        """Stop every cluster; the pids that were still alive after (none, unless broken)."""
        pids = self.pids()
        for plane in self._planes.values():
            plane.stop()  # type: ignore[attr-defined]
        self._planes.clear()
        self._clusters.clear()
        from hubfleet.local.testcluster import running

        return [pid for pid in pids if running(pid)]


def _binary(root: Path) -> Path:
    from hubfleet.adapters import kubebin

    try:
        found = kubebin.find(root)
    except kubebin.KubeUnavailable as e:
        pytest.skip(f"kube_cluster: {e}")
    if found is None:
        pytest.skip(
            "kube_cluster: no test-cluster binary; build it with `invoke setup --kube` (needs Go) "
            "or set HUBFLEET_KUBE"
        )
    return found


@pytest.fixture(scope="session")
def kube_cluster(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KubeClusters]:
    """Local Kubernetes control planes for the session (see the module's docstring)."""
    root = Path(pytestconfig.rootpath)
    binary = _binary(root)
    clusters = KubeClusters(tmp_path_factory.mktemp("kube", numbered=True), binary, root)
    try:
        yield clusters
    finally:
        left = clusters.stop()
        assert not left, f"test cluster processes survived their stop: {left}"
