"""`invoke diff --hub H | --cluster C`: deployed vs repository; exit 2 when they differ (helm-diff's way)."""

from __future__ import annotations

from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console
from hubfleet.core.errors import HubfleetError, did_you_mean

DIFFERS = 2  # helm-diff's --detailed-exitcode: 0 same, 2 different (1 stays an error)


def run(hub: str | None = None, cluster: str | None = None) -> int:
    from hubfleet.app.diff import diff_hub

    root, fleet = load_work_tree()
    if (hub is None) == (cluster is None):
        raise HubfleetError("give --hub H or --cluster C")
    if cluster is not None and cluster not in fleet.clusters:
        raise HubfleetError(f"no cluster `{cluster}` in clusters/{did_you_mean(cluster, fleet.clusters)}")
    names = [fleet.hub(hub).name] if hub else [h.name for h in fleet.hubs.values() if h.cluster == cluster]
    results = [diff_hub(root, fleet, n) for n in names]
    for r in results:
        style = {"same": "green", "error": "red"}.get(r.state, "yellow")
        console.print(r.headline(), style=style, markup=False, highlight=False)
        if r.state == "differs":
            console.print(r.text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    if any(r.state == "error" for r in results):
        return 1
    return DIFFERS if any(r.state in ("differs", "not installed") for r in results) else 0
