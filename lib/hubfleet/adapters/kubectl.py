"""kubectl, for what Helm cannot do for hubfleet: delete a namespace (`deploy --prune`), read one
key of a Secret (a remote hub's health-check token, kept by the jupyterhub chart), and get onto a
cluster (`invoke shell`, `invoke logs`: `hubfleet.app.debug`).

It reaches the cluster with the same credentials as Helm: Helm's `--kube-context` is kubectl's
`--context`; a cloud provider's temp `KUBECONFIG` comes in the environment; a decrypted
kubeconfig is an in-memory `/dev/fd/N` (`pass_fds`). Every verb's kubectl (health check, debug, prune) comes
from `tools.kubectl` (the pinned wheel helm comes from). Log components
follow the jupyterhub chart: Deployments `hub`, `proxy` and `autohttps` with containers `hub`,
`chp` and `traefik`; a user's server is a pod labelled `component=singleuser-server` whose
annotation `hub.jupyter.org/username` is the user's name, unescaped.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from hubfleet.adapters.runner import CommandError, Completed, Runner, run
from hubfleet.core.errors import HubfleetError

__all__ = [
    "COMPONENTS",
    "call",
    "config_view_argv",
    "delete_namespace",
    "delete_namespace_argv",
    "diff_live",
    "diff_live_argv",
    "get_json",
    "get_user_pod",
    "kubectl_flags",
    "label_namespace_argv",
    "logs_argv",
    "namespace_argv",
    "namespace_objects_argv",
    "namespaced_kinds_argv",
    "namespaces_argv",
    "secret_key_argv",
    "secret_value",
    "stream",
    "user_pod",
    "user_pods_argv",
]

KUBECTL = "kubectl"
# component -> (the Deployment, its container)
COMPONENTS: dict[str, tuple[str, str]] = {
    "hub": ("deploy/hub", "hub"),
    "proxy": ("deploy/proxy", "chp"),
    "autohttps": ("deploy/autohttps", "traefik"),
}
USER_CONTAINER = "notebook"
USERNAME_ANNOTATION = "hub.jupyter.org/username"


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
    kubectl: str,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    runner: Runner = run,
    timeout: float = 120,
) -> Completed:
    argv = delete_namespace_argv(namespace, (), kubectl=kubectl)
    return _run(argv, credentials=credentials, env=env, pass_fds=pass_fds, runner=runner, timeout=timeout)


# --- ownership: reading and marking namespaces, listing what lives in one (core.ownership) ---


def namespace_argv(namespace: str, *, kubectl: str = KUBECTL) -> list[str]:
    """One namespace as JSON; nothing printed when there is none."""
    return [kubectl, "get", "namespace", namespace, "--ignore-not-found", "--output", "json"]


def namespaces_argv(selector: str, *, kubectl: str = KUBECTL) -> list[str]:
    """The namespaces carrying labels, as a JSON list."""
    return [kubectl, "get", "namespaces", "--selector", selector, "--output", "json"]


def label_namespace_argv(namespace: str, labels: Mapping[str, str], *, kubectl: str = KUBECTL) -> list[str]:
    """`kubectl label namespace NS k=v ... --overwrite`: the mark hubfleet leaves after Helm."""
    return [kubectl, "label", "namespace", namespace, *(f"{k}={v}" for k, v in labels.items()), "--overwrite"]


def namespaced_kinds_argv(*, kubectl: str = KUBECTL) -> list[str]:
    """Every namespaced resource the API server can list (to see all that lives in a namespace)."""
    return [kubectl, "api-resources", "--verbs=list", "--namespaced", "--output", "name"]


def namespace_objects_argv(namespace: str, kinds: Sequence[str], *, kubectl: str = KUBECTL) -> list[str]:
    return [
        kubectl,
        "get",
        ",".join(kinds),
        "--namespace",
        namespace,
        "--ignore-not-found",
        "--output",
        "json",
    ]


def call(
    argv: Sequence[str],
    *,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    runner: Runner = run,
    timeout: float = 120,
) -> str:
    """Run a kubectl argv with the cluster's credentials (within `timeout` s: the fleet's
    deadline); its output, or a clear error naming it."""
    try:
        done = _run(argv, credentials=credentials, env=env, pass_fds=pass_fds, runner=runner, timeout=timeout)
    except CommandError as e:
        raise HubfleetError(f"`{_shown(argv)}` failed: {e}") from None
    return done.stdout.strip()


def get_json(argv: Sequence[str], **reach: Any) -> Any:
    """A read-only kubectl argv's JSON (None: it printed nothing, as `--ignore-not-found` does)."""
    text = call(argv, **reach)
    try:
        return json.loads(text) if text else None
    except ValueError:
        raise HubfleetError(f"`{_shown(argv)}` printed unexpected output: expected JSON") from None


def _run(
    argv: Sequence[str],
    *,
    credentials: Sequence[str],
    env: Mapping[str, str] | None,
    pass_fds: Sequence[int],
    runner: Runner,
    timeout: float,
    **more: Any,
) -> Completed:
    """A kubectl argv with the cluster's credentials flags, in the caller's environment plus theirs."""
    fds = {"pass_fds": tuple(pass_fds)} if pass_fds else {}
    return runner([*argv, *kubectl_flags(credentials)], env=_env(env), timeout=timeout, **fds, **more)


def _env(env: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's environment plus the credentials' (a provider's KUBECONFIG): never instead of it."""
    return {**os.environ, **(env or {})}


def _shown(argv: Sequence[str]) -> str:
    return " ".join(["kubectl", *argv[1:]])


# --- live drift: the release's manifest against the cluster's objects (`invoke diff`) ---------

DIFF_FIELD_MANAGER = "hubfleet-diff"


def diff_live_argv(namespace: str, *, kubectl: str = KUBECTL) -> list[str]:
    """`kubectl diff` of a manifest on stdin, as a server-side apply dry-run: it shows only the
    fields the manifest sets (fields other managers own stay as they are, managedFields are left
    out) and masks Secret data itself. `--force-conflicts`: the fields are Helm's, not ours."""
    return [
        kubectl,
        "diff",
        "--server-side",
        "--force-conflicts",
        f"--field-manager={DIFF_FIELD_MANAGER}",
        "--namespace",
        namespace,  # `helm get manifest` leaves it out: Helm installs into the release's
        "--filename",
        "-",
    ]


def diff_live(
    manifest: str,
    namespace: str,
    *,
    kubectl: str,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    runner: Runner = run,
    timeout: float = 120,
) -> str:
    """kubectl's diff of the live objects against `manifest` ('' when they agree); kubectl's
    exit 1 means differences, above 1 an error (raised, its first line)."""
    argv = diff_live_argv(namespace, kubectl=kubectl)
    done = _run(
        argv,
        credentials=credentials,
        env={**(env or {}), "KUBECTL_EXTERNAL_DIFF": ""},
        pass_fds=pass_fds,
        runner=runner,
        timeout=timeout,
        input=manifest,
        check=False,
    )
    if done.returncode > 1:
        why = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[0]
        raise HubfleetError(f"`{_shown(argv)}` failed: {why}")
    return done.stdout if done.returncode == 1 else ""


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


# --- getting onto a cluster: `invoke shell`, `invoke logs` -----------------------------------


def config_view_argv(flags: Sequence[str], *, kubectl: str = KUBECTL) -> list[str]:
    """One context's cluster, user and credentials, self-contained (`--flatten` embeds the certs).

    `flags`: the credential adapter's Helm flags (`--kube-context`, `--kubeconfig`)."""
    return [kubectl, "config", "view", "--minify", "--flatten", "--output", "yaml", *kubectl_flags(flags)]


def logs_argv(
    namespace: str, target: str, container: str, *, follow: bool, kubectl: str = KUBECTL
) -> list[str]:
    """`kubectl logs` of one pod or workload's container."""
    argv = [kubectl, "logs", "--namespace", namespace, target, "--container", container]
    return [*argv, "--follow"] if follow else argv


def user_pods_argv(namespace: str, *, kubectl: str = KUBECTL) -> list[str]:
    return [
        kubectl,
        "get",
        "pods",
        "--namespace",
        namespace,
        "--selector",
        "component=singleuser-server",
        "--output",
        "json",
    ]


def user_pod(pods: Any, user: str) -> str | None:
    """The pod of `user`'s server in `kubectl get pods -o json` output (by the unescaped annotation)."""
    items = pods.get("items", []) if isinstance(pods, Mapping) else []
    for item in items:
        meta = item.get("metadata", {}) if isinstance(item, Mapping) else {}
        if (meta.get("annotations") or {}).get(USERNAME_ANNOTATION) == user:
            return str(meta.get("name"))
    return None


def get_user_pod(
    namespace: str,
    user: str,
    *,
    kubectl: str,
    env: Mapping[str, str],
    pass_fds: Sequence[int] = (),
    runner: Runner = run,
) -> str:
    """The name of `user`'s server pod; one clear error when the user has no running server."""
    done = runner(user_pods_argv(namespace, kubectl=kubectl), env=env, timeout=120, pass_fds=tuple(pass_fds))
    try:
        pods = json.loads(done.stdout or "{}")
    except ValueError:
        raise HubfleetError(f"`kubectl get pods` gave no JSON: {done.stdout[:200]!r}") from None
    pod = user_pod(pods, user)
    if pod is None:
        raise HubfleetError(
            f"no server pod for user `{user}` in namespace {namespace} (is the server running?)"
        )
    return pod


def stream(
    argv: Sequence[str], *, env: Mapping[str, str], pass_fds: Sequence[int] = (), runner: Runner = run
) -> int:
    """Run with the terminal (logs stream as they come; Ctrl-C reaches kubectl); its exit code."""
    return runner(list(argv), env=env, interactive=True, check=False, pass_fds=tuple(pass_fds)).returncode
