"""`invoke testcluster up NAME [--nodes N]` / `down NAME` / `list`: local Kubernetes control planes."""

from __future__ import annotations

from hubfleet.adapters.source import find_root
from hubfleet.app import testcluster as app
from hubfleet.cli.boundary import console
from hubfleet.core.errors import HubfleetError

ACTIONS = ("up", "down", "list")


def run(action: str, name: str | None = None, nodes: int = 0) -> int:
    if action not in ACTIONS:
        raise HubfleetError(f"testcluster {action!r}: use one of {', '.join(ACTIONS)}")
    root = find_root()
    if action == "list":
        return _list(root)
    if not name:
        raise HubfleetError(f"testcluster {action} needs a NAME, e.g. `invoke testcluster {action} dev`")
    if action == "down":
        stopped = app.down(root, name)
        console.print(f"{name}: {'stopped' if stopped else 'was not running'}", markup=False)
        return 0
    cluster, already = app.up(root, name, int(nodes))
    what = "already running" if already else f"started ({cluster.nodes} simulated node(s))"
    console.print(f"{name}: {what} at {cluster.server}; context {name}", markup=False)
    print(cluster.kubeconfig)  # last, alone: `export KUBECONFIG=$(invoke testcluster up dev | tail -1)`
    return 0


def _list(root) -> int:
    for c in app.listing(root):
        state = "running" if c.running else "stopped (stale; `up` restarts it)"
        console.print(f"{c.name}\t{state}\t{c.nodes} node(s)\t{c.server}\t{c.kubeconfig}", markup=False)
    return 0
