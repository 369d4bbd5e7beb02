"""Cluster providers: how Helm reaches a cluster, one small adapter per kind.

Each Kubernetes provider module has one context manager,
`credentials(cluster, root, runner) -> CredentialArgs`, which yields the flags
(and environment) to add to a Helm call and removes every temp file on exit.
The user's `~/.kube/config` is never written: cloud CLIs write into a private
temp kubeconfig. `local` (a JupyterHub on this machine) has its own module.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.adapters.tools import find_cli
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Cluster

__all__ = ["KUBERNETES", "CredentialArgs", "cloud_kubeconfig", "credentials", "describe", "need_cli"]

KUBERNETES = ("kubeconfig", "gke", "eks", "aks")


@dataclass(frozen=True)
class CredentialArgs:
    flags: list[str]
    env: Mapping[str, str] = field(default_factory=dict)
    fds: tuple[int, ...] = ()  # in-memory files the flags name as /dev/fd/N (pass them on)
    mask: tuple[str, ...] = ()  # decrypted credential strings: masked in every message


def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> contextlib.AbstractContextManager:
    """The provider module's `credentials(...)` for this cluster."""
    if cluster.provider not in KUBERNETES:
        raise HubfleetError(f"{cluster.file}: provider {cluster.provider} is not reached with Helm")
    module = import_module(f"{__name__}.{cluster.provider}")
    return module.credentials(cluster, root, runner)


def describe(cluster: Cluster) -> list[str]:
    """Pure: the credential flags as they would read in a dry run (temp files as placeholders)."""
    module = import_module(f"{__name__}.{cluster.provider}")
    return module.describe(cluster)


def need_cli(name: str, cluster: Cluster) -> str:
    found = find_cli(name)
    if found is None:
        raise HubfleetError(
            f"{cluster.file}: provider {cluster.provider} needs the `{name}` CLI, which is not on PATH: "
            f"install it or set HUBFLEET_{name.upper()} to its path"
        )
    return str(found)


def get_credentials(cluster: Cluster, argv: list[str], kubeconfig: Path, runner: Runner) -> None:
    """Run a cloud CLI that writes `kubeconfig` (a private temp file); a failure names the cluster."""
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    try:
        runner(argv, env=env, timeout=300)
    except CommandError as e:
        raise HubfleetError(
            f"{cluster.file}: cannot get credentials for cluster {cluster.name}: {e}"
        ) from None
    if not kubeconfig.is_file():
        raise HubfleetError(f"{cluster.file}: `{Path(argv[0]).name}` wrote no kubeconfig for {cluster.name}")


@contextlib.contextmanager
def cloud_kubeconfig(
    cluster: Cluster, cli_name: str, make_argv: Callable[[str, str], list[str]], runner: Runner
) -> Iterator[CredentialArgs]:
    """gke/eks/aks: the cloud CLI writes a private temp kubeconfig, removed on every path.

    `make_argv(kubeconfig_path, cli)` is the provider's own command.
    """
    from hubfleet.adapters.sops import private_dir

    cli = need_cli(cli_name, cluster)
    with private_dir() as folder:
        kubeconfig = folder / "kubeconfig"
        get_credentials(cluster, make_argv(str(kubeconfig), cli), kubeconfig, runner)
        yield CredentialArgs(["--kubeconfig", str(kubeconfig)])


def describe_cloud(argv: list[str]) -> list[str]:
    """A dry run's stand-in for the temp kubeconfig that `argv` would write."""
    return ["--kubeconfig", f"<temp kubeconfig from: {' '.join(argv)}>"]
