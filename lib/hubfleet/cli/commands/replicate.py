"""`invoke replicate --hub H --out DIR` / `invoke replicate --cluster C --out DIR`."""

from __future__ import annotations

from pathlib import Path

from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console
from hubfleet.cli.options import named
from hubfleet.core.errors import HubfleetError


def run(out: str, hub: str | None = None, cluster: str | None = None) -> int:
    hub, cluster = named(hub, "hub"), named(cluster, "cluster")
    if (hub is None) == (cluster is None):
        raise HubfleetError("give --hub H (a hub's bundle) or --cluster C (its support releases), not both")
    root, fleet = load_work_tree()
    target = Path(out).resolve()
    if hub is not None:
        from hubfleet.app.replicate import write_replica

        files = write_replica(root, fleet, hub, target)
    else:
        from hubfleet.app.replicate_support import write_support_replica

        files = write_support_replica(root, fleet, cluster or "", target)
    console.print(f"wrote {len(files)} files to {target}:", markup=False)
    for f in files:
        console.print(f"  {f.relative_to(target)}", markup=False)
    console.print(f"deploy with: {target / 'deploy.sh'} --kube-context <context>", markup=False)
    return 0
