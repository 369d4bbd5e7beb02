"""`invoke shell --cluster C [-- CMD ARGS]`: a shell (or a command) with one cluster's credentials."""

from __future__ import annotations

from hubfleet.app import debug
from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import err_console


def run(cluster: str, command: list[str] | None = None) -> int:
    """`command`: the words after `--`, run as typed (None: an interactive shell)."""
    root, fleet = load_work_tree()
    return debug.shell(root, fleet, cluster, command, echo=lambda t: err_console.print(t, markup=False))
