"""The health check of a hub of the fleet: find its URL and token, then run `hubapi.check`.

A local hub's URL and token come from its state folder (`hubfleet.local`, imported
only for local hubs: a base install without the `[local]` extra checks remote hubs);
a remote hub's URL from its rendered values, its token from its secrets levels (decrypted in
memory) or, when none sets one, from the hub's own Kubernetes Secret, where the jupyterhub
chart keeps the token it generates for `hub.services.hubfleet-health` (read with kubectl).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from hubfleet.adapters import hubapi, kubectl, providers, tools, yamlio
from hubfleet.adapters.runner import Runner, run
from hubfleet.app.layered_secrets import merged_secrets
from hubfleet.core import paths, secretlayers
from hubfleet.core.errors import HubfleetError, format_keypath
from hubfleet.core.model import Cluster, Fleet, Hub
from hubfleet.core.rollout import Result

__all__ = ["check_options", "health_for_hub", "hub_endpoint"]

TOKEN_KEYPATH = secretlayers.token_keypath(hubapi.HEALTH_SERVICE)


def hub_endpoint(root: Path, fleet: Fleet, hub_name: str, *, runner: Runner = run) -> tuple[str, str]:
    """(URL, token) of a hub: a local one's from its state folder; a remote one's token from its
    secrets levels if one sets it, else from the hub's Secret that the jupyterhub chart fills."""
    hub = fleet.hub(hub_name)
    cluster = fleet.cluster_of(hub)
    if cluster.is_local:
        return _local_endpoint(root, hub.name)
    rendered_rel = paths.hub(hub.name).rendered
    rendered_file = root / rendered_rel
    rendered = (
        yamlio.parse(rendered_file.read_bytes(), rendered_rel, allow_empty=True)
        if rendered_file.is_file()
        else {}
    )
    url = hubapi.hub_url(None, rendered, host=f"https://{hub.domain}")
    merged = merged_secrets(root, hub, runner=runner)  # in memory; a failing decryption is the error
    token = secretlayers.merged_token([merged.values] if merged else [], hubapi.HEALTH_SERVICE)
    if token:
        return url, str(token)
    return url, token_from_cluster(root, fleet, hub, cluster, rendered, runner=runner)


def token_from_cluster(
    root: Path, fleet: Fleet, hub: Hub, cluster: Cluster, rendered: dict[str, Any], *, runner: Runner = run
) -> str:
    """The token the jupyterhub chart generated for `hub.services.hubfleet-health` (no layer sets
    one): one key of the hub's Secret, read with kubectl and the cluster's credentials."""
    chart = fleet.chart_of(hub)
    name = secretlayers.hub_secret_name(hub.release, rendered, chart.name)
    key = secretlayers.service_token_key(hubapi.HEALTH_SERVICE)
    with providers.credentials(cluster, root, runner) as creds:
        try:
            return kubectl.secret_value(
                tools.kubectl(root, runner=runner),
                hub.namespace,
                name,
                key,
                credentials=creds.flags,
                env={**os.environ, **creds.env},
                pass_fds=creds.fds,
                runner=runner,
            )
        except HubfleetError as e:
            raise HubfleetError(
                f"no token for the health check: no secrets file sets "
                f"`{format_keypath(secretlayers.token_keypath(hubapi.HEALTH_SERVICE))}`, and {e} "
                f"(declare `hub.services.{hubapi.HEALTH_SERVICE}` in the values so the chart keeps one there)"
            ) from None


def _local_endpoint(root: Path, name: str) -> tuple[str, str]:
    """A hub on this machine: needs the `[local]` extra, so imported here and only here."""
    from hubfleet.local import launch, provider

    state = provider.hub_state(root, name)
    if not launch.is_running(state) or not (state / "health-token").exists():
        raise HubfleetError(f"hub {name} is not running here: `invoke deploy --hub {name}` first")
    return (state / "url").read_text().strip(), (state / "health-token").read_text().strip()


def check_options(root: Path, fleet: Fleet, hub_name: str) -> dict[str, Any]:
    """`hubapi.check`'s network for the hub: a local hub's verifies at every connection that the
    far end is the hub hubfleet started (`hubfleet.local.peer`), so its token goes nowhere else."""
    hub = fleet.hub(hub_name)
    if not fleet.cluster_of(hub).is_local:
        return {}
    from hubfleet.local import peer, provider

    return peer.client_options(provider.hub_state(root, hub.name), hub.name)


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
    report = hubapi.check(url, token, **check_options(root, fleet, hub_name), **kw)
    return Result(hub_name, report.ok, f"{url}: {report.summary()}", time.monotonic() - start)
