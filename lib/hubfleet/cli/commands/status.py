"""`invoke status [--cluster C] [--json] [--live]`: what runs where."""

from __future__ import annotations

import sys

from hubfleet.app.inventory import live_releases, status_rows
from hubfleet.cli.boundary import print_problems, quiet_stdout
from hubfleet.core import inventory
from hubfleet.core.errors import errors_only


def run(cluster: str | None = None, as_json: bool = False, live: bool = False) -> int:
    root, fleet, found = status_rows(cluster=cluster)
    print_problems(errors_only(fleet.problems))  # hubs that do not load are not listed: say why
    if live:
        clusters = [cluster] if cluster else list(fleet.clusters)
        providers = {name: c.provider for name, c in fleet.clusters.items()}
        found = inventory.with_live(found, live_releases(root, fleet, clusters), providers)
    # Plain writes: thousands of rows print in milliseconds (a rich table would take seconds).
    text = inventory.to_json(found) if as_json else "\n".join(inventory.table(found, live=live)) + "\n"
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `hubfleet status | head`: the reader has what it wanted
        quiet_stdout()
        return 0
    # Drift fails `--live` (CI can ask "does what runs match what we committed?"); a release the
    # fleet does not name is listed, but is no drift of ours.
    drifted = [r for r in found if r.kind != "untracked" and (r.drift or r.live_error)]
    return 1 if live and drifted else 0
