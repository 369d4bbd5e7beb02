"""`invoke diff --hub H[,H2] | --cluster C`: deployed vs repository; exit 2 when they differ (helm-diff's)."""

from __future__ import annotations

from collections.abc import Sequence

from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console
from hubfleet.cli.options import hub_names, named, selected_hubs
from hubfleet.core.errors import HubfleetError

DIFFERS = 2  # helm-diff's --detailed-exitcode: 0 same, 2 different (1 stays an error)


def run(hub: str | Sequence[str] | None = None, cluster: str | None = None) -> int:
    from hubfleet.app import diff

    hubs, cluster = hub_names(hub), named(cluster, "cluster")
    root, fleet = load_work_tree()
    names = selected_hubs(fleet, hubs, cluster)
    if names is None:
        raise HubfleetError("give --hub H (several: --hub a,b) or --cluster C")
    results = [diff.diff_hub(root, fleet, n) for n in names]
    for r in results:
        style = {"same": "green", "error": "red"}.get(r.state, "yellow")
        console.print(r.headline(), style=style, markup=False, highlight=False)
        if r.state == "differs":
            console.print(r.text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    if any(r.state == "error" for r in results):
        return 1
    return DIFFERS if any(r.state in ("differs", "not installed") for r in results) else 0
