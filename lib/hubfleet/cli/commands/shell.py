"""`invoke shell --cluster C [-- CMD]`: a shell with one cluster's temporary credentials."""

from __future__ import annotations

from hubfleet.app import debug
from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import err_console


def run(cluster: str, command: str | None = None) -> int:
    root, fleet = load_work_tree()
    return debug.shell(root, fleet, cluster, command, echo=lambda t: err_console.print(t, markup=False))
