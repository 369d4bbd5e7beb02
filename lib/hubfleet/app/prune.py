"""`invoke deploy --prune`: uninstall the hubs a plan lists as removed from the repository.

Never by default, and in CI only through workflow_dispatch. A removed hub is gone from the
repository, so its namespace is read from the cluster (`helm list`, every namespace); the
release is its name (the contract). Namespaces are kept unless asked, and even then never one
that another hub of the fleet still uses.
"""

from __future__ import annotations

import time
from pathlib import Path

from hubfleet.adapters import helm, kubectl, providers, tools
from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Fleet
from hubfleet.core.plan import Removed
from hubfleet.core.rollout import Result

__all__ = ["prune_commands", "prune_hub"]


def prune_commands(removed: Removed, namespace: str | None, delete_namespace: bool) -> list[str]:
    """Pure: what `--prune` runs for one removed hub (for a dry run)."""
    ns = namespace or "<its namespace, from helm list>"
    lines = [helm.shell(helm.uninstall_argv(removed.name, ns))]
    if delete_namespace:
        lines.append(helm.shell(kubectl.delete_namespace_argv(ns, [])))
    return lines


def prune_hub(
    root: Path, fleet: Fleet, removed: Removed, *, delete_namespace: bool = False, runner: Runner = run
) -> Result:
    """Uninstall one removed hub's release; a failed Result, never an exception, when it cannot."""
    start = time.monotonic()
    try:
        if removed.name in fleet.hub_names:  # the plan is checked first; this holds for every caller
            raise HubfleetError(f"hub {removed.name} is still in hubs/: it is never pruned")
        cluster = fleet.clusters.get(removed.cluster)
        if cluster is None or cluster.is_local:
            raise HubfleetError(
                f"cluster {removed.cluster} is not a Kubernetes cluster of the fleet any more"
            )
        with providers.credentials(cluster, root, runner) as creds:
            reach = {"credentials": creds.flags, "env": creds.env, "pass_fds": creds.fds}
            listed = helm.list_releases(
                root, **reach, runner=runner, timeout=fleet.config.rollout.tool_timeout
            )
            found = [r for r in helm.releases(listed) if r.name == removed.name]
            if not found:
                return Result(
                    removed.name, True, "not installed: nothing to uninstall", time.monotonic() - start
                )
            namespace = found[0].namespace
            helm.uninstall(
                root,
                removed.name,
                namespace,
                credentials=creds.flags,
                env=creds.env,
                runner=runner,
                timeout=fleet.config.rollout.timeout,
            )
            said = f"uninstalled from namespace {namespace}"
            in_use = {h.namespace for h in fleet.hubs.values() if h.cluster == removed.cluster}
            if not delete_namespace:
                return Result(removed.name, True, f"{said} (namespace kept)", time.monotonic() - start)
            if namespace in in_use or namespace == "default" or namespace.startswith("kube-"):
                return Result(
                    removed.name, True, f"{said}; namespace kept: still in use", time.monotonic() - start
                )
            kubectl.delete_namespace(
                namespace, kubectl=tools.kubectl(root, runner=runner), **reach, runner=runner
            )
            return Result(removed.name, True, f"{said}; namespace deleted", time.monotonic() - start)
    except (CommandError, HubfleetError, ValueError) as e:
        return Result(removed.name, False, str(e).splitlines()[0], time.monotonic() - start)
