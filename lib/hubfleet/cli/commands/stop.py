"""`invoke stop --hub H`: stop a hub running on a local cluster (idempotent)."""

from __future__ import annotations

from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console
from hubfleet.cli.options import named
from hubfleet.core.errors import HubfleetError
from hubfleet.local import provider as local


def run(hub: str) -> int:
    hub = named(hub, "hub")
    root, fleet = load_work_tree()
    target = fleet.hub(hub)
    cluster = fleet.cluster_of(target)
    if not cluster.is_local:
        raise HubfleetError(
            f"{target.file}: hub {hub} is on cluster {cluster.name} (provider {cluster.provider}); "
            "`invoke stop` only stops hubs on a `provider: local` cluster"
        )
    pids = local.stop(root, target)
    if pids:
        console.print(f"{hub}: stopped ({len(pids)} processes)", markup=False)
    else:
        console.print(f"{hub}: was not running", markup=False)
    return 0
