"""`invoke logs --hub H [--component hub|proxy|autohttps|user:NAME] [--follow]`."""

from __future__ import annotations

from hubfleet.app import debug
from hubfleet.app.load import load_work_tree


def run(hub: str, component: str = "hub", follow: bool = False) -> int:
    root, fleet = load_work_tree()
    return debug.logs(root, fleet, hub, component, follow=follow, echo=lambda t: print(t, flush=True))
