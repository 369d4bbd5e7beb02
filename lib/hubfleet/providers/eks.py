"""Amazon EKS: `aws eks update-kubeconfig` into a private kubeconfig (never ~/.kube/config)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..model import Cluster
from ..runner import Runner, run
from ..secrets import private_dir
from . import CredentialArgs, get_credentials, need_cli


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
    return ["--kubeconfig", f"<temp kubeconfig from: {' '.join(argv(cluster, '<temp>'))}>"]


@contextlib.contextmanager
def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> Iterator[CredentialArgs]:
    cli = need_cli("aws", cluster)
    with private_dir() as folder:
        kubeconfig = folder / "kubeconfig"
        get_credentials(cluster, argv(cluster, str(kubeconfig), cli), kubeconfig, runner)
        yield CredentialArgs(["--kubeconfig", str(kubeconfig)])
