"""Amazon EKS: `aws eks update-kubeconfig` into a private kubeconfig (never ~/.kube/config)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hubfleet.adapters.providers import cloud_kubeconfig, describe_cloud
from hubfleet.adapters.runner import Runner, run
from hubfleet.core.model import Cluster


def argv(cluster: Cluster, kubeconfig: str, cli: str = "aws") -> list[str]:
    s = cluster.settings
    out = [
        cli,
        "eks",
        "update-kubeconfig",
        "--name",
        str(s["cluster"]),
        "--region",
        str(s["region"]),
        "--kubeconfig",
        kubeconfig,
    ]
    if s.get("role_arn"):
        out += ["--role-arn", str(s["role_arn"])]
    return out


def describe(cluster: Cluster) -> list[str]:
    return describe_cloud(argv(cluster, "<temp>"))


def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> contextlib.AbstractContextManager:
    return cloud_kubeconfig(cluster, "aws", lambda kubeconfig, cli: argv(cluster, kubeconfig, cli), runner)
