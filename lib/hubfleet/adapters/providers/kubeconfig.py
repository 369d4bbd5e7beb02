"""A cluster named by a kubeconfig context; optionally a sops-encrypted kubeconfig in its folder."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from hubfleet.adapters.providers import CredentialArgs
from hubfleet.adapters.runner import Runner, run
from hubfleet.adapters.sops import decrypted_in_memory
from hubfleet.core import paths
from hubfleet.core.model import Cluster


def cluster_file(cluster: Cluster, root: Path) -> Path | None:
    name = cluster.settings.get("file")
    return root / paths.cluster(cluster.name).folder / name if name else None


def describe(cluster: Cluster) -> list[str]:
    flags = ["--kube-context", str(cluster.settings["context"])]
    if cluster.settings.get("file"):
        flags += ["--kubeconfig", f"<decrypted clusters/{cluster.name}/{cluster.settings['file']}>"]
    return flags


@contextlib.contextmanager
def credentials(cluster: Cluster, root: Path, runner: Runner = run) -> Iterator[CredentialArgs]:
    flags = ["--kube-context", str(cluster.settings["context"])]
    path = cluster_file(cluster, root)
    if path is None:
        yield CredentialArgs(flags)
        return
    if not path.is_file():
        from hubfleet.core.errors import HubfleetError

        raise HubfleetError.at(cluster.file, f"no file {path.relative_to(root)}", ("kubeconfig", "file"))
    with decrypted_in_memory(root, path, runner=runner, remember=False) as (clear, mask):
        yield CredentialArgs([*flags, "--kubeconfig", clear.path], fds=(clear.fd,), mask=tuple(mask))
