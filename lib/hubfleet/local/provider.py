"""`provider: local`: a hub runs as a real JupyterHub on this machine, no Kubernetes.

`invoke deploy` calls `deploy`, `invoke stop` calls `stop`. The hub gets its
committed `rendered.values.yaml` plus its decrypted `secrets.yaml`, exactly what
Helm would get, mapped to JupyterHub by `hubfleet.local.config`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubfleet.adapters import yamlio
from hubfleet.adapters.source import state_dir
from hubfleet.core import paths, schemas
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Fleet, Hub
from hubfleet.core.rollout import Result
from hubfleet.core.tree import merge
from hubfleet.local import launch
from hubfleet.local.config import LocalConfigError
from hubfleet.local.install import ensure_chp

__all__ = ["LocalResult", "chart_defaults", "deploy", "hub_state", "local_values", "stop"]

DEFAULT_PORT = schemas.DEFAULT_LOCAL_PORT


@dataclass(frozen=True)
class LocalResult(Result):
    url: str = ""
    changed: bool = True


def hub_state(root: Path, hub: str) -> Path:
    return state_dir(root) / "local" / hub


def local_values(root: Path, hub: Hub) -> dict[str, Any]:
    """The committed rendered values, with the decrypted secrets levels (fleet, cluster, hub) merged
    over them, as a remote hub's Helm receives them."""
    rel = paths.hub(hub.name).rendered
    path = root / rel
    if not path.is_file():
        raise HubfleetError(f"{rel}: missing: run `invoke render --hub {hub.name}` first")
    values = yamlio.parse(path.read_bytes(), rel, allow_empty=True)
    levels = [f for f in paths.secret_layers(hub.name, hub.cluster) if (root / f).is_file()]
    if levels:
        from hubfleet.adapters import sops as secrets

        values = merge([values, *(secrets.decrypt_doc(root, f) for f in levels)])
    return values


def chart_defaults(root: Path, fleet: Fleet, hub: Hub) -> dict[str, Any] | None:
    """The defaults of the chart the hub names, if cached (no network); else None."""
    from hubfleet.adapters.charts import chart_meta

    meta = chart_meta(root, fleet.chart_of(hub), offline=True)
    return meta.defaults if meta is not None else None


def deploy(root: Path, fleet: Fleet, hub: Hub, *, echo=print) -> LocalResult:
    """Start (or restart, if its config changed) the hub; returns once it is healthy."""
    start = time.monotonic()
    if not fleet.cluster_of(hub).is_local:
        raise HubfleetError(f"{hub.file}: cluster {hub.cluster} is not `provider: local`")
    values = local_values(root, hub)
    port = hub.local_port or DEFAULT_PORT
    try:
        running = launch.up(
            hub_state(root, hub.name),
            hub.name,
            values,
            port,
            chp=ensure_chp(root),
            chart_defaults=chart_defaults(root, fleet, hub),
        )
    except LocalConfigError as e:
        raise HubfleetError.at(paths.hub(hub.name).rendered, e.message, e.keypath) from None
    if running.not_applied:
        echo(
            f"warning: {paths.hub(hub.name).rendered}: not applied locally (Kubernetes only): "
            + ", ".join(running.not_applied)
        )
    what = "started" if running.changed else "already running with this config"
    echo(f"{hub.name}: {what} at {running.url} (log: {running.state / 'hub.log'})")
    echo(f"  log in: {login_hint(running.config.traits if running.config else {}, running.state)}")
    return LocalResult(
        hub.name,
        True,
        f"{what}: {running.url}",
        time.monotonic() - start,
        unchanged=not running.changed,  # it answered with this config: no health check again
        url=running.url,
        changed=running.changed,
    )


def login_hint(traits: dict[str, dict[str, Any]], state: Path | None = None) -> str:
    """How a person logs in, from the authenticator the values chose (and this hub's password)."""
    auth = traits.get("JupyterHub", {}).get("authenticator_class")
    if auth in (None, "dummy", "jupyterhub.auth.DummyAuthenticator"):
        password = traits.get("DummyAuthenticator", {}).get("password")
        kept = state / "password" if state is not None else None
        if password and kept is not None and kept.is_file() and kept.read_text().strip() == password:
            return f"any user name, password {password} (this hub's own, kept in {kept}, mode 0600)"
        return "any user name, " + (
            "the password from DummyAuthenticator.password" if password else "any password"
        )
    if auth in ("shared-password", "jupyterhub.authenticators.shared.SharedPasswordAuthenticator"):
        return "any user name, the shared password (SharedPasswordAuthenticator.user_password)"
    if auth in ("tmp", "tmpauthenticator.TmpAuthenticator"):
        return "open the URL: a temporary user is made for you"
    if auth in ("native", "nativeauthenticator.NativeAuthenticator"):
        return "sign up at /hub/signup (an admin authorizes new users)"
    return f"as `{auth}` allows"


def stop(root: Path, hub: Hub) -> list[int]:
    """Stop the hub's processes (hub, proxy, servers, kernels); the pids stopped. Idempotent."""
    return launch.down(hub_state(root, hub.name))
