"""Every file of a fleet, by its path from the fleet root: the one place that spells them.

Pure: strings in, strings out (POSIX, relative to the fleet root, as Sources read them).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CLUSTERS",
    "FLEET_FILE",
    "FLEET_LAYER",
    "HUBS",
    "ClusterPaths",
    "HubPaths",
    "cluster",
    "hub",
    "layers",
    "rendered_path",
    "secrets_path",
]

FLEET_FILE = "fleet.yaml"  # marks the fleet root
HUBS = "hubs"
CLUSTERS = "clusters"
FLEET_LAYER = f"{CLUSTERS}/common.values.yaml"  # the values layer under every hub


@dataclass(frozen=True)
class HubPaths:
    """The files of `hubs/<name>/`."""

    name: str

    @property
    def folder(self) -> str:
        return f"{HUBS}/{self.name}"

    @property
    def hub_yaml(self) -> str:
        return f"{self.folder}/hub.yaml"

    @property
    def values(self) -> str:
        return f"{self.folder}/values.yaml"

    @property
    def secrets(self) -> str:
        return f"{self.folder}/secrets.yaml"

    @property
    def rendered(self) -> str:
        return f"{self.folder}/rendered.values.yaml"

    @property
    def tests(self) -> str:
        return f"{self.folder}/tests"

    def owns(self, file: str) -> bool:
        """Whether `file` lies in this hub's folder."""
        return file.startswith(f"{self.folder}/")


@dataclass(frozen=True)
class ClusterPaths:
    """The files of `clusters/<name>/`."""

    name: str

    @property
    def folder(self) -> str:
        return f"{CLUSTERS}/{self.name}"

    @property
    def cluster_yaml(self) -> str:
        return f"{self.folder}/cluster.yaml"

    @property
    def layer(self) -> str:
        return f"{self.folder}/common.values.yaml"


def hub(name: str) -> HubPaths:
    return HubPaths(name)


def cluster(name: str) -> ClusterPaths:
    return ClusterPaths(name)


def layers(hub_name: str, cluster_name: str) -> tuple[str, str, str]:
    """The values layers of a hub, lowest first (the contract's order)."""
    return (FLEET_LAYER, cluster(cluster_name).layer, hub(hub_name).values)


def rendered_path(hub_: object) -> str:
    """`hubs/<hub>/rendered.values.yaml` of anything with a `.name` (a Hub)."""
    return hub(hub_.name).rendered  # type: ignore[attr-defined]


def secrets_path(hub_: object) -> str:
    """`hubs/<hub>/secrets.yaml` of anything with a `.name` (a Hub)."""
    return hub(hub_.name).secrets  # type: ignore[attr-defined]
