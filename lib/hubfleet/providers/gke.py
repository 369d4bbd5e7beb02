"""Google Kubernetes Engine: `gcloud container clusters get-credentials` into a private kubeconfig."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ..model import Cluster
from ..runner import Runner, run
from ..secrets import private_dir
from . import CredentialArgs, get_credentials, need_cli


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
    return ["--kubeconfig", f"<temp kubeconfig from: {' '.join(argv(cluster))}>"]


@contextlib.contextmanager
def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> Iterator[CredentialArgs]:
    cli = need_cli("gcloud", cluster)
    with private_dir() as folder:
        kubeconfig = folder / "kubeconfig"
        get_credentials(cluster, argv(cluster, cli), kubeconfig, runner)
        yield CredentialArgs(["--kubeconfig", str(kubeconfig)])
