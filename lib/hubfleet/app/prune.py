"""`invoke deploy --prune`: uninstall the hubs a plan lists as removed from the repository.

Never by default, and in CI only through workflow_dispatch. A removed hub is gone from the
repository, so its namespace is the one the cluster shows hubfleet marked as that hub's when it
deployed it (`hubfleet.core.ownership`); the release is its name (the contract). Namespaces are
kept unless asked, and even then unless hubfleet created them and nothing else lives in them.
"""

from __future__ import annotations

import time
from pathlib import Path

from hubfleet.adapters import helm, kubectl, providers, tools
from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.app.ownership import OwnershipOnCluster, protected_namespaces
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Fleet
from hubfleet.core.plan import Removed
from hubfleet.core.rollout import Result

__all__ = ["prune_commands", "prune_hub"]


def prune_commands(removed: Removed, namespace: str | None, delete_namespace: bool) -> list[str]:
    """Pure: what `--prune` runs for one removed hub (for a dry run), once ownership is checked."""
    ns = namespace or "<the namespace hubfleet marked as its own>"
    lines = [helm.shell(helm.uninstall_argv(removed.name, ns))]
    if delete_namespace:
        lines.append(helm.shell(kubectl.delete_namespace_argv(ns, [])))
    return lines


def prune_hub(
    root: Path, fleet: Fleet, removed: Removed, *, delete_namespace: bool = False, runner: Runner = run
) -> Result:
    """Uninstall one removed hub's release; a failed Result, never an exception, when it cannot.

    Only the release named after the hub, in the one namespace the cluster shows hubfleet deployed
    that hub into (its mark, `hubfleet.core.ownership`), never one the fleet still uses; the
    namespace only if hubfleet created it and nothing else lives in it."""
    start = time.monotonic()
    rollout = fleet.config.rollout

    def done(ok: bool, message: str) -> Result:
        return Result(removed.name, ok, message, time.monotonic() - start)

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
            owned = OwnershipOnCluster(
                root, cluster.name, fleet.config.name, creds, runner, rollout.tool_timeout
            )
            target = owned.prune_target(removed.name, protected_namespaces(fleet, cluster.name))
            if target.namespace is None:
                return done(True, f"nothing uninstalled: {target.why}")
            namespace = target.namespace
            listed = helm.releases(
                helm.list_releases(root, namespace, **reach, runner=runner, timeout=rollout.tool_timeout)
            )
            if removed.name not in {r.name for r in listed}:
                said = f"not installed in namespace {namespace}: nothing to uninstall"
            else:
                helm.uninstall(root, removed.name, namespace, **reach, runner=runner, timeout=rollout.timeout)
                said = f"uninstalled from namespace {namespace}"
            if not delete_namespace:
                return done(True, f"{said} (namespace kept)")
            others = sorted(r.name for r in listed if r.name != removed.name)
            why = owned.namespace_kept_because(namespace, removed.name, removed.name, others)
            if why:
                return done(True, f"{said}; namespace kept: {why}")
            kubectl.delete_namespace(
                namespace,
                kubectl=tools.kubectl(root, runner=runner),
                **reach,
                runner=runner,
                timeout=rollout.tool_timeout,
            )
            return done(True, f"{said}; namespace deleted")
    except (CommandError, HubfleetError, ValueError) as e:
        return done(False, str(e).splitlines()[0])
