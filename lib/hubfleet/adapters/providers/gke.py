"""Google Kubernetes Engine: `gcloud container clusters get-credentials` into a private kubeconfig."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hubfleet.adapters.providers import cloud_kubeconfig, describe_cloud
from hubfleet.adapters.runner import Runner, run
from hubfleet.core.model import Cluster


def argv(cluster: Cluster, cli: str = "gcloud") -> list[str]:
    s = cluster.settings
    return [
        cli,
        "container",
        "clusters",
        "get-credentials",
        str(s["cluster"]),
        "--project",
        str(s["project"]),
        "--location",
        str(s["location"]),
    ]


def describe(cluster: Cluster) -> list[str]:
    return describe_cloud(argv(cluster))


def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> contextlib.AbstractContextManager:
    return cloud_kubeconfig(cluster, "gcloud", lambda _kubeconfig, cli: argv(cluster, cli), runner)
