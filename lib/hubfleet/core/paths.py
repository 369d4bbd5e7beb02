"""Every file of a fleet, by its path from the fleet root: the one place that spells them.

Pure: strings in, strings out (POSIX, relative to the fleet root, as Sources read them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

__all__ = [
    "CLUSTERS",
    "FLEET_FILE",
    "FLEET_LAYER",
    "FLEET_SECRETS",
    "HUBS",
    "SCHEMAS",
    "SUPPORT",
    "ClusterPaths",
    "HubPaths",
    "SupportPaths",
    "cluster",
    "confined",
    "hub",
    "layers",
    "rendered_path",
    "secret_layers",
    "secrets_path",
    "support",
    "values_schema",
]

FLEET_FILE = "fleet.yaml"  # marks the fleet root
HUBS = "hubs"
CLUSTERS = "clusters"
FLEET_LAYER = f"{CLUSTERS}/common.values.yaml"  # the values layer under every hub
FLEET_SECRETS = f"{CLUSTERS}/secrets.yaml"  # the secrets level under every hub (v1.1)
SUPPORT = "support"  # fleet layers of the support releases (v1.1)
# Editor JSON Schemas: always here (not $HUBFLEET_STATE), where `.vscode/settings.json` looks.
SCHEMAS = ".hubfleet/schemas"


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

    @property
    def secrets(self) -> str:
        """The cluster's secrets level: under every hub of the cluster (v1.1)."""
        return f"{self.folder}/secrets.yaml"

    @property
    def support_folder(self) -> str:
        return f"{self.folder}/{SUPPORT}"

    def support(self, release: str) -> SupportPaths:
        return SupportPaths(self.name, release)


@dataclass(frozen=True)
class SupportPaths:
    """The files of one support release on one cluster (v1.1)."""

    cluster: str
    release: str

    @property
    def fleet_layer(self) -> str:
        return f"{SUPPORT}/{self.release}.values.yaml"

    @property
    def layer(self) -> str:
        return f"{CLUSTERS}/{self.cluster}/{SUPPORT}/{self.release}.values.yaml"

    @property
    def layers(self) -> tuple[str, str]:
        """Values layers, lowest first."""
        return (self.fleet_layer, self.layer)

    @property
    def secrets(self) -> str:
        return f"{CLUSTERS}/{self.cluster}/{SUPPORT}/{self.release}.secrets.yaml"

    @property
    def rendered(self) -> str:
        return f"{CLUSTERS}/{self.cluster}/{SUPPORT}/{self.release}.rendered.values.yaml"


def hub(name: str) -> HubPaths:
    return HubPaths(name)


def cluster(name: str) -> ClusterPaths:
    return ClusterPaths(name)


def layers(hub_name: str, cluster_name: str) -> tuple[str, str, str]:
    """The values layers of a hub, lowest first (the contract's order)."""
    return (FLEET_LAYER, cluster(cluster_name).layer, hub(hub_name).values)


def secret_layers(hub_name: str, cluster_name: str) -> tuple[str, str, str]:
    """The secrets levels of a hub, lowest first (v1.1): fleet, cluster, hub."""
    return (FLEET_SECRETS, cluster(cluster_name).secrets, hub(hub_name).secrets)


def support(cluster_name: str, release: str) -> SupportPaths:
    return SupportPaths(cluster_name, release)


def rendered_path(hub_: object) -> str:
    """`hubs/<hub>/rendered.values.yaml` of anything with a `.name` (a Hub)."""
    return hub(hub_.name).rendered  # type: ignore[attr-defined]


def secrets_path(hub_: object) -> str:
    """`hubs/<hub>/secrets.yaml` of anything with a `.name` (a Hub)."""
    return hub(hub_.name).secrets  # type: ignore[attr-defined]


def values_schema(chart: str, default_chart: str) -> str:
    """The editor schema of a values layer of hubs on `chart` (`.vscode/settings.json` maps every
    layer to the default chart's; a hub on another chart names its own in a modeline)."""
    if chart == default_chart:
        return f"{SCHEMAS}/values.schema.json"
    return f"{SCHEMAS}/charts/{chart}.values.schema.json"


def confined(rel: str) -> str | None:
    """Why the path `rel`, named in a fleet file, could lead outside its folder; None if it cannot.

    Paths in fleet files are relative and go down only: no `/...`, no `..`, no `~`, no backslash.
    (Symbolic links are checked where files are read: `adapters.source`.)"""
    if not rel or rel != rel.strip():
        return "is empty or has surrounding blanks"
    if "\\" in rel or rel.startswith("~") or PurePosixPath(rel).is_absolute():
        return "must be a relative path inside the fleet (no `/...`, `~` or backslash)"
    if ".." in PurePosixPath(rel).parts:
        return "must not leave its folder (`..`): keep it inside the fleet"
    return None
