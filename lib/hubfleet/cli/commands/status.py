"""`invoke status [--hub H[,H2] | --cluster C] [--json] [--live]`: what runs where."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from hubfleet.app.inventory import live_releases, status_rows, with_local_state
from hubfleet.cli.boundary import err_console, print_problems, quiet_stdout
from hubfleet.cli.options import check_one_of, hub_names, named
from hubfleet.core import inventory
from hubfleet.core.errors import errors_only


def run(
    cluster: str | None = None,
    as_json: bool = False,
    live: bool = False,
    hub: str | Sequence[str] | None = None,
) -> int:
    hubs, cluster = hub_names(hub), named(cluster, "cluster")
    check_one_of(hubs, cluster)
    root, fleet, found = status_rows(cluster=cluster, hubs=hubs)
    print_problems(errors_only(fleet.problems))  # hubs that do not load are not listed: say why
    if live:
        clusters = [cluster] if cluster else list(fleet.clusters)
        if hubs is not None:  # only the named hubs' clusters
            clusters = [c for c in clusters if any(r.cluster == c for r in found)]
        providers = {name: c.provider for name, c in fleet.clusters.items()}
        found = inventory.with_live(found, live_releases(root, fleet, clusters), providers)
        found = with_local_state(root, fleet, found)
    # Plain writes: thousands of rows print in milliseconds (a rich table would take seconds).
    text = inventory.to_json(found) if as_json else "\n".join(inventory.table(found, live=live)) + "\n"
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `hubfleet status | head`: the reader has what it wanted
        quiet_stdout()
        return 0
    if live and not as_json:  # JSON keeps the reason on each row, for scripts
        for line in inventory.unreachable(found):
            err_console.print(line, style="red", markup=False)
    # Drift fails `--live` (CI can ask "does what runs match what we committed?"); a release the
    # fleet does not name is listed, but is no drift of ours.
    drifted = [r for r in found if r.kind != "untracked" and (r.drift or r.live_error)]
    return 1 if live and drifted else 0
