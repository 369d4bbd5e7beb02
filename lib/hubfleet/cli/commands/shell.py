"""`invoke shell --cluster C [-- CMD]`: a shell with one cluster's temporary credentials."""

from __future__ import annotations

from hubfleet.app import debug
from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import err_console


def run(cluster: str, line: str | None = None) -> int:
    """`line`: the command after `--`, run by `$SHELL -c` (None: an interactive shell)."""
    root, fleet = load_work_tree()
    return debug.shell(root, fleet, cluster, line, echo=lambda t: err_console.print(t, markup=False))
