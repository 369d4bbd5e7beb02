"""The health check of a hub of the fleet: find its URL and token, then run `hubapi.check`.

A local hub's URL and token come from its state folder (`hubfleet.local`, imported
only for local hubs: a base install without the `[local]` extra checks remote hubs);
a remote hub's from its rendered values and its sops-encrypted secrets.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hubfleet.adapters import hubapi, sops, yamlio
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Fleet
from hubfleet.core.rollout import Result

__all__ = ["health_for_hub", "hub_endpoint"]

TOKEN_KEYPATH = ("hub", "services", hubapi.HEALTH_SERVICE, "apiToken")


def hub_endpoint(root: Path, fleet: Fleet, hub_name: str) -> tuple[str, str]:
    """(URL, token) of a hub: local ones from their state folder, remote ones from secrets."""
    hub = fleet.hub(hub_name)
    if fleet.cluster_of(hub).is_local:
        return _local_endpoint(root, hub.name)
    rel = paths.hub(hub.name).secrets
    if not (root / rel).is_file():
        raise HubfleetError(
            f"{rel}: missing: the health check needs `hub.services.hubfleet-health.apiToken` in it "
            f"(`invoke secrets --hub {hub.name}`)"
        )
    clear = yamlio.parse(sops.decrypt_file(root, root / rel), rel, allow_empty=True)
    token = ((clear.get("hub") or {}).get("services") or {}).get(hubapi.HEALTH_SERVICE, {}).get("apiToken")
    if not token:
        raise HubfleetError.at(rel, "missing: the health check's token", TOKEN_KEYPATH)
    rendered_rel = paths.hub(hub.name).rendered
    rendered_file = root / rendered_rel
    rendered = (
        yamlio.parse(rendered_file.read_bytes(), rendered_rel, allow_empty=True)
        if rendered_file.is_file()
        else {}
    )
    return hubapi.hub_url(None, rendered, host=f"https://{hub.domain}"), str(token)


def _local_endpoint(root: Path, name: str) -> tuple[str, str]:
    """A hub on this machine: needs the `[local]` extra, so imported here and only here."""
    from hubfleet.local import launch, provider

    state = provider.hub_state(root, name)
    if not launch.is_running(state) or not (state / "health-token").exists():
        raise HubfleetError(f"hub {name} is not running here: `invoke deploy --hub {name}` first")
    return (state / "url").read_text().strip(), (state / "health-token").read_text().strip()


def health_for_hub(root: Path, fleet: Fleet, hub_name: str, **kw: Any) -> Result:
    """The rollout engine's health callable: a Result, never an exception for a sick hub."""
    start = time.monotonic()
    try:
        url, token = hub_endpoint(root, fleet, hub_name)
    except HubfleetError as e:
        return Result(hub_name, False, f"health: {e}", time.monotonic() - start)
    rollout = fleet.config.rollout
    kw.setdefault("timeout", rollout.health_timeout)
    kw.setdefault("retries", rollout.health_retries)
    report = hubapi.check(url, token, **kw)
    return Result(hub_name, report.ok, f"{url}: {report.summary()}", time.monotonic() - start)
