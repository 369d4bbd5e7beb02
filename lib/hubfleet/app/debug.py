"""Getting onto a cluster: `invoke shell --cluster C [-- CMD]` and `invoke logs --hub H`.

Both go through the cluster's own credentials adapter (`adapters.providers`), exactly as a deploy
does, and hand kubectl a private kubeconfig holding that one cluster (`kubectl config view
--minify --flatten` of what the adapter gave), named by `KUBECONFIG`. Nothing else changes: your
`~/.kube/config` is never written, and that kubeconfig (credentials in clear) exists only in memory,
as /dev/fd/N of the shell and its children, gone on every path (exit, failure, Ctrl-C, SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hubfleet.adapters import kubectl, providers, tools
from hubfleet.adapters.memfile import memfile
from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.adapters.sops import private_dir
from hubfleet.core.errors import HubfleetError, did_you_mean
from hubfleet.core.model import Cluster, Fleet

__all__ = ["cluster_kubeconfig", "log_target", "logs", "shell", "shell_argv"]


def _kubernetes(fleet: Fleet, name: str) -> Cluster:
    cluster = fleet.cluster(name)
    if cluster.is_local:
        raise HubfleetError(
            f"{cluster.file}: cluster {name} is `provider: local`: its hubs run on this machine, with no "
            "Kubernetes credentials (`invoke logs --hub H` shows a local hub's log)"
        )
    return cluster


@dataclass(frozen=True)
class Kubeconfig:
    path: str  # what `KUBECONFIG` names: /dev/fd/N (in memory), or a 0600 file where there is no memfd
    fds: tuple[int, ...] = ()  # pass them to the child (`pass_fds=`)


@contextlib.contextmanager
def cluster_kubeconfig(root: Path, cluster: Cluster, *, runner: Runner = run) -> Iterator[Kubeconfig]:
    """A kubeconfig holding only `cluster` (current context set), gone on exit.

    It holds credentials in clear, so like a decrypted kubeconfig it lives in memory
    (`adapters.memfile`, sealed); the shell and its children read it as /dev/fd/N."""
    exe = tools.kubectl(root, runner=runner)
    with providers.credentials(cluster, root, runner) as creds:
        env = {**os.environ, **creds.env}
        try:
            done = runner(
                kubectl.config_view_argv(creds.flags, kubectl=exe),
                env=env,
                timeout=60,
                pass_fds=creds.fds,
                mask=creds.mask,
            )
        except CommandError as e:
            raise HubfleetError(
                f"{cluster.file}: cannot read credentials for cluster {cluster.name}: {e}"
            ) from None
    data = done.stdout.encode()
    if hasattr(os, "memfd_create"):
        with memfile(data, f"kubeconfig-{cluster.name}") as mem:
            yield Kubeconfig(mem.path, (mem.fd,))
    else:  # no memfd (not Linux): a shell reads its kubeconfig many times, a pipe would not do
        with private_dir() as folder:
            path = folder / "kubeconfig"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            yield Kubeconfig(str(path))


def shell_argv(command: Sequence[str] | None, environ: Mapping[str, str]) -> list[str]:
    """`command` as given (an argv, as `kubectl exec --` takes it), else your `$SHELL` (else
    /bin/sh), interactive."""
    return list(command) if command else [environ.get("SHELL") or "/bin/sh"]


def shell(
    root: Path,
    fleet: Fleet,
    cluster_name: str,
    command: Sequence[str] | None,
    *,
    runner: Runner = run,
    echo: Callable[[str], None] = print,
) -> int:
    """Open a shell (or run the argv `command`) with the cluster's credentials; its exit code."""
    cluster = _kubernetes(fleet, cluster_name)
    with cluster_kubeconfig(root, cluster, runner=runner) as kubeconfig:
        env = {**os.environ, "KUBECONFIG": kubeconfig.path, "HUBFLEET_CLUSTER": cluster.name}
        if not command:
            echo(
                f"shell with cluster {cluster.name}'s credentials (KUBECONFIG={kubeconfig.path}): exit leaves"
            )
        argv = shell_argv(command, env)
        code = runner(argv, env=env, interactive=True, check=False, pass_fds=kubeconfig.fds).returncode
    if not command:
        echo(f"left cluster {cluster.name}: its temporary credentials are removed")
    return code


def log_target(component: str) -> tuple[str, str | None]:
    """(`hub` | `proxy` | `autohttps` | `user`, the user's name): `user:NAME` names a user's server."""
    kind, _, user = component.partition(":")
    if kind == "user" and user:
        return "user", user
    if kind in kubectl.COMPONENTS and not user:
        return kind, None
    choices = [*kubectl.COMPONENTS, "user:NAME"]
    raise HubfleetError(
        f"--component {component}: use one of {', '.join(choices)}{did_you_mean(component, choices)}"
    )


def logs(
    root: Path,
    fleet: Fleet,
    hub_name: str,
    component: str = "hub",
    *,
    follow: bool = False,
    runner: Runner = run,
    echo: Callable[[str], None] = print,
) -> int:
    """A hub component's logs through kubectl with its cluster's credentials; a local hub's log file."""
    kind, user = log_target(component)
    hub = fleet.hub(hub_name)
    cluster = fleet.cluster_of(hub)
    if cluster.is_local:
        return _local_log(root, hub.name, kind, follow=follow, echo=echo)
    exe = tools.kubectl(root, runner=runner)
    with cluster_kubeconfig(root, cluster, runner=runner) as kubeconfig:
        env = {**os.environ, "KUBECONFIG": kubeconfig.path}
        if user is not None:
            pod = kubectl.get_user_pod(
                hub.namespace, user, kubectl=exe, env=env, pass_fds=kubeconfig.fds, runner=runner
            )
            target, container = f"pod/{pod}", kubectl.USER_CONTAINER
        else:
            target, container = kubectl.COMPONENTS[kind]
        argv = kubectl.logs_argv(hub.namespace, target, container, follow=follow, kubectl=exe)
        return kubectl.stream(argv, env=env, pass_fds=kubeconfig.fds, runner=runner)


def _local_log(root: Path, hub: str, kind: str, *, follow: bool, echo: Callable[[str], None]) -> int:
    """A local hub has one log (hub and proxy); `--follow` polls it until Ctrl-C."""
    from hubfleet.adapters.source import state_dir

    if kind not in ("hub", "proxy"):
        raise HubfleetError(f"hub {hub} runs on this machine: only `--component hub` (its log) applies")
    path = state_dir(root) / "local" / hub / "hub.log"
    if not path.is_file():
        raise HubfleetError(f"{path}: no log: the hub has not run here (`invoke deploy --hub {hub}`)")
    with path.open(encoding="utf-8", errors="replace") as f:
        echo(f.read().rstrip("\n"))
        while follow:
            line = f.readline()
            if line:
                echo(line.rstrip("\n"))
            else:
                time.sleep(0.2)
    return 0
