"""`invoke health --hub H`: a real health check of a running hub, each step named."""

from __future__ import annotations

from hubfleet.adapters.hubapi import check
from hubfleet.app.health import check_options, hub_endpoint
from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console, err_console
from hubfleet.cli.options import named


def run(hub: str) -> int:
    hub = named(hub, "hub")
    root, fleet = load_work_tree()
    fleet.hub(hub)  # unknown hub: one line with a 'did you mean'
    url, token = hub_endpoint(root, fleet, hub)
    rollout = fleet.config.rollout
    console.print(f"checking {hub} at {url} ...", markup=False)
    report = check(
        url,
        token,
        timeout=rollout.health_timeout,
        retries=rollout.health_retries,
        **check_options(root, fleet, hub),
    )
    for step, took in report.durations.items():
        mark = "failed" if step == report.step else "ok"
        console.print(f"  {step:<8} {mark:<6} {took:6.2f}s", markup=False)
    if report.ok:
        console.print(f"{hub}: {report.summary()}", style="green", markup=False)
        return 0
    err_console.print(f"{hub}: {report.summary()}", style="red", markup=False)
    return 1
