"""kubectl, for the one thing Helm cannot do for hubfleet: delete a namespace (`deploy --prune`).

Found as `HUBFLEET_KUBECTL`, else on PATH (hubfleet does not install it). It reaches the cluster
with the same credentials as Helm: Helm's `--kube-context` is kubectl's `--context`; a cloud
provider's temp `KUBECONFIG` comes in the environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hubfleet.adapters.runner import Completed, Runner, run
from hubfleet.adapters.tools import find_cli
from hubfleet.core.errors import HubfleetError

__all__ = ["delete_namespace", "delete_namespace_argv", "kubectl_flags"]


def kubectl_flags(helm_flags: Sequence[str]) -> list[str]:
    """Pure: Helm's credential flags as kubectl's (`--kube-context` -> `--context`)."""
    return ["--context" if f == "--kube-context" else f for f in helm_flags]


def delete_namespace_argv(
    namespace: str, credentials: Sequence[str], *, kubectl: str = "kubectl"
) -> list[str]:
    return [kubectl, "delete", "namespace", namespace, "--wait=false", *kubectl_flags(credentials)]


def delete_namespace(
    namespace: str,
    *,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    runner: Runner = run,
) -> Completed:
    exe = find_cli("kubectl")
    if exe is None:
        raise HubfleetError("deleting a namespace needs `kubectl` on PATH (or HUBFLEET_KUBECTL)")
    argv = delete_namespace_argv(namespace, credentials, kubectl=str(exe))
    return runner(argv, env=env, timeout=120, **({"pass_fds": tuple(pass_fds)} if pass_fds else {}))
