"""Test clusters by name under `<state>/testclusters/NAME/`: up, down, list (the use cases of
`invoke testcluster`), and the binary they run (`invoke setup --kube`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hubfleet.adapters import kubebin
from hubfleet.adapters.source import state_dir
from hubfleet.core import testcluster as tc
from hubfleet.core.errors import HubfleetError
from hubfleet.local.testcluster import ControlPlane, is_running, read_state, stop_folder

__all__ = ["Running", "binary", "down", "folder_of", "listing", "up"]


@dataclass(frozen=True)
class Running:
    name: str
    nodes: int
    kubeconfig: Path
    server: str
    running: bool  # False: recorded but its processes are gone (a reboot, a kill)


def folder_of(root: Path, name: str) -> Path:
    if not tc.NAME_PATTERN.fullmatch(name or ""):
        raise HubfleetError(
            f"test cluster name {name!r}: use lowercase letters, digits and '-' (at most 40), "
            "e.g. `invoke testcluster up dev`"
        )
    return state_dir(root) / "testclusters" / name


def binary(root: Path) -> Path:
    """The control-plane binary: found, or one clear line saying how to get it."""
    found = kubebin.find(root)
    if found is None:
        raise kubebin.KubeUnavailable(
            "no test-cluster binary yet: run `invoke setup --kube` (builds kubebin/ with Go, "
            "once) or set HUBFLEET_KUBE to a binary built from it"
        )
    return found


def up(root: Path, name: str, nodes: int = 0) -> tuple[Running, bool]:
    """Start cluster `name` (detached); (the cluster, whether it was already running)."""
    if nodes < 0:
        raise HubfleetError(f"--nodes {nodes}: a number of simulated nodes, 0 or more")
    folder = folder_of(root, name)
    if folder.exists():
        if is_running(folder):
            return _running(name, folder), True
        stop_folder(folder)  # what a reboot or a kill left: processes gone, files stale
    plane = ControlPlane(name, folder, binary(root), nodes=nodes, die_with_parent=False)
    plane.start()
    return _running(name, folder), False


def down(root: Path, name: str) -> list[str]:
    folder = folder_of(root, name)
    return stop_folder(folder) if folder.exists() else []


def listing(root: Path) -> list[Running]:
    base = state_dir(root) / "testclusters"
    if not base.is_dir():
        return []
    return [_running(f.name, f) for f in sorted(base.iterdir()) if f.is_dir() and read_state(f)]


def _running(name: str, folder: Path) -> Running:
    state = read_state(folder) or {}
    return Running(
        name=name,
        nodes=int(state.get("nodes", 0)),
        kubeconfig=tc.Layout(folder).kubeconfig,
        server=str(state.get("server", "")),
        running=is_running(folder),
    )
