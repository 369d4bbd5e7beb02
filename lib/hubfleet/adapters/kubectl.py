"""kubectl, for what Helm cannot do for hubfleet: delete a namespace (`deploy --prune`), and read
one key of a Secret (a remote hub's health-check token, kept by the jupyterhub chart).

It reaches the cluster with the same credentials as Helm: Helm's `--kube-context` is kubectl's
`--context`; a cloud provider's temp `KUBECONFIG` comes in the environment; a decrypted
kubeconfig is an in-memory `/dev/fd/N` (`pass_fds`). The health check's kubectl comes from
`tools.kubectl` (the pinned wheel helm comes from); `--prune` looks on PATH.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence

from hubfleet.adapters.runner import CommandError, Completed, Runner, run
from hubfleet.adapters.tools import find_cli
from hubfleet.core.errors import HubfleetError

__all__ = ["delete_namespace", "delete_namespace_argv", "kubectl_flags", "secret_key_argv", "secret_value"]


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


# --- reading one key of a Secret (the health check's token) -------------------------------


def _jsonpath_key(key: str) -> str:
    return key.replace("\\", "\\\\").replace(".", "\\.")


def secret_key_argv(
    namespace: str, secret: str, key: str, credentials: Sequence[str], *, kubectl: str = "kubectl"
) -> list[str]:
    """Pure: `kubectl get secret S -n NS -o jsonpath={.data.<key>}`: that one key, never the whole Secret."""
    return [
        kubectl,
        "get",
        "secret",
        secret,
        "--namespace",
        namespace,
        "--output",
        f"jsonpath={{.data.{_jsonpath_key(key)}}}",
        *kubectl_flags(credentials),
    ]


def secret_value(
    kubectl: str,
    namespace: str,
    secret: str,
    key: str,
    *,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    runner: Runner = run,
) -> str:
    """The decoded value of `key` in Secret `secret`; a clear error if it is absent or unreadable."""
    argv = secret_key_argv(namespace, secret, key, credentials, kubectl=kubectl)
    where = f"Secret {namespace}/{secret}"
    try:
        done = runner(argv, env=env, timeout=60, **({"pass_fds": tuple(pass_fds)} if pass_fds else {}))
    except CommandError as e:
        raise HubfleetError(f"kubectl cannot read {where}: {e}") from None
    encoded = done.stdout.strip()
    if not encoded:
        raise HubfleetError(f"{where} has no key `{key}`")
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise HubfleetError(f"{where}: key `{key}` is not base64 text") from None
