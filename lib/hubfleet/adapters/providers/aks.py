"""Azure AKS: `az aks get-credentials --file` into a private kubeconfig."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hubfleet.adapters.providers import cloud_kubeconfig, describe_cloud
from hubfleet.adapters.runner import Runner, run
from hubfleet.core.model import Cluster


def argv(cluster: Cluster, kubeconfig: str, cli: str = "az") -> list[str]:
    s = cluster.settings
    out = [
        cli,
        "aks",
        "get-credentials",
        "--resource-group",
        str(s["resource_group"]),
        "--name",
        str(s["cluster"]),
        "--file",
        kubeconfig,
    ]
    if s.get("subscription"):
        out += ["--subscription", str(s["subscription"])]
    return out


def describe(cluster: Cluster) -> list[str]:
    return describe_cloud(argv(cluster, "<temp>"))


def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> contextlib.AbstractContextManager:
    return cloud_kubeconfig(cluster, "az", lambda kubeconfig, cli: argv(cluster, kubeconfig, cli), runner)
