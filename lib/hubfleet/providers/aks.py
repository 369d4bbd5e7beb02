"""Azure AKS: `az aks get-credentials --file` into a private kubeconfig."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..model import Cluster
from ..runner import Runner, run
from ..secrets import private_dir
from . import CredentialArgs, get_credentials, need_cli


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
    return ["--kubeconfig", f"<temp kubeconfig from: {' '.join(argv(cluster, '<temp>'))}>"]


@contextlib.contextmanager
def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> Iterator[CredentialArgs]:
    cli = need_cli("az", cluster)
    with private_dir() as folder:
        kubeconfig = folder / "kubeconfig"
        get_credentials(cluster, argv(cluster, str(kubeconfig), cli), kubeconfig, runner)
        yield CredentialArgs(["--kubeconfig", str(kubeconfig)])
