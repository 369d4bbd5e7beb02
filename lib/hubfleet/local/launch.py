"""Run one hub on this machine from its values: write its folder, (re)start it, wait for it.

Everything lives in the hub's state folder (`.hubfleet/local/<hub>/`, or a temp
folder in tests): generated config, sqlite db, cookie secret, health token, log,
pid. A filelock serialises deploys and stops of the same hub.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import sqlite3
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from filelock import FileLock

from hubfleet.adapters.hubapi import HEALTH_SERVICE, hub_url
from hubfleet.adapters.runner import check_interrupted
from hubfleet.core.errors import HubfleetError
from hubfleet.local import peer, process
from hubfleet.local.config import (
    AUTHENTICATOR_PACKAGES,
    LOCAL_AUTHENTICATORS,
    MARKER,
    Z2JH_SHIM,
    HubConfig,
    LocalEnv,
    build,
)


@dataclass(frozen=True)
class Running:
    name: str
    url: str  # http://127.0.0.1:<port>/<base_url>
    state: Path
    pid: int
    token: str  # the hubfleet-health service's token
    changed: bool  # False: it already ran with the same config and was healthy
    not_applied: tuple[str, ...] = ()
    config: HubConfig | None = None


def bin_dir() -> Path:
    """The Python environment's scripts (jupyterhub, jupyterhub-singleuser): not resolved,
    so a venv's symlinked python still points at the venv."""
    return Path(sys.executable).parent


def _secret_file(path: Path, make: str) -> str:
    """The secret kept in `path` (0600), made now if the file is missing or empty."""
    if path.exists() and (kept := path.read_text().strip()):
        path.chmod(process.PRIVATE_FILE)  # a file kept from before
        return kept
    _write_private(path, make)
    return make


_write_private = process.write_private


def _ports(state: Path, running: bool, port: int) -> tuple[int, int]:
    """Hub API and proxy API ports: kept across restarts while still free (stable digest)."""
    path = state / "ports.json"
    try:
        saved = json.loads(path.read_text())
        hub_api, proxy_api = int(saved["hub_api"]), int(saved["proxy_api"])
        usable = running or (process.port_free(hub_api) and process.port_free(proxy_api))
        if usable and port not in (hub_api, proxy_api):
            return hub_api, proxy_api
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        pass
    hub_api = process.free_port(avoid=[port])
    proxy_api = process.free_port(avoid=[port, hub_api])
    _write_private(path, json.dumps({"hub_api": hub_api, "proxy_api": proxy_api}))
    return hub_api, proxy_api


def up(
    state: Path,
    name: str,
    values: Mapping[str, Any],
    port: int,
    *,
    chp: Path,
    chart_defaults: Mapping[str, Any] | None = None,
    timeout: float = 90.0,
) -> Running:
    """Make the hub in `state` run with `values` on `port`; restart only if its config changed.

    `chart_defaults`: the values.yaml of the hub's chart, when cached (see `config.build`).
    """
    _private_state(state)
    jupyterhub = bin_dir() / "jupyterhub"
    if not jupyterhub.exists():
        raise HubfleetError(
            f"JupyterHub is not installed in {sys.prefix}: `pip install 'hubfleet[local]'` for local hubs"
        )
    # every request that may carry the token goes to this hub's proxy, or nowhere
    # (30 s: a hub that answers slowly on a loaded machine is still running, not to be restarted)
    with _lock(state), httpx.Client(transport=peer.transport(state, name), timeout=30) as http:
        check_interrupted()
        pid = process.read_pid(state / "hub.pid")
        running = process.alive(pid)
        token = _secret_file(state / "health-token", secrets.token_hex(32))
        password = _secret_file(state / "password", secrets.token_urlsafe(12))
        hub_api, proxy_api = _ports(state, running, port)
        env = LocalEnv(
            hub=name,
            port=port,
            hub_api_port=hub_api,
            proxy_api_port=proxy_api,
            state=str(state),
            python=sys.executable,
            chp=str(chp),
            health_token=token,
            as_root=hasattr(os, "geteuid") and os.geteuid() == 0,
            password=password,
        )
        cfg = build(values, env, chart_defaults)  # LocalConfigError: the caller names the values file
        _check_authenticator_installed(cfg)
        url = hub_url(port, values)
        digest_file = state / "config.digest"
        old = digest_file.read_text().strip() if digest_file.exists() else ""
        if running and pid and old == cfg.digest and _healthy(http, url, token):
            return Running(name, url, state, pid, token, False, cfg.not_applied, cfg)
        if running or process.processes_of(state):
            process.stop(state, pid)
        if not process.port_free(port):
            raise HubfleetError(
                f"hub {name}: port {port} on 127.0.0.1 is in use by {process.port_owner(port)}; "
                f"stop that program or give the hub another `local: {{port: ...}}` in hubs/{name}/hub.yaml"
            )
        _write_files(state, cfg)
        _forget_health_tokens(state)
        digest_file.unlink(missing_ok=True)
        log = state / "hub.log"
        if log.exists():
            log.replace(state / "hub.log.1")
        argv = [str(jupyterhub), "-f", str(state / "jupyterhub_config.py")]
        pid = process.start(argv, cwd=state, env=hub_environment(cfg, env), log=log)
        process.write_pid(state / "hub.pid", pid, state, argv)
        try:
            _wait_ready(http, name, url, token, pid, log, timeout)
        except BaseException:
            process.stop(state, pid)
            (state / "health-token").unlink(missing_ok=True)  # the next start makes another
            _forget_health_tokens(state)
            raise
        _write_private(digest_file, cfg.digest)
        _write_private(state / "url", url)  # for `invoke health`
        return Running(name, url, state, pid, token, True, cfg.not_applied, cfg)


def down(state: Path) -> list[int]:
    """Stop every process of the hub in `state`; the pids that were running. Idempotent."""
    if not state.exists():
        return []
    with _lock(state):
        pids = process.stop(state, process.read_pid(state / "hub.pid"))
        (state / "hub.pid").unlink(missing_ok=True)
        (state / "config.digest").unlink(missing_ok=True)
        return pids


def is_running(state: Path) -> bool:
    """Whether the hub in `state` runs; `process.Undecided` when that cannot be told."""
    return process.alive(process.read_pid(state / "hub.pid"))


def _private_state(state: Path) -> None:
    """The hub's database, log, secrets and users' homes are its owner's alone: the folder is 0700
    and what an older hubfleet left in it loses its group and other bits (the hub itself runs with
    umask 077, so what it makes is private from the start)."""
    process.private_dir(state)
    for entry in state.iterdir():
        if not entry.is_symlink():
            entry.chmod(entry.stat().st_mode & 0o7700)


def _lock(state: Path) -> FileLock:
    """Serialises deploys and stops of one hub (a private file, as everything in `state`)."""
    return FileLock(str(state / ".lock"), mode=process.PRIVATE_FILE)


def hub_environment(cfg: HubConfig, env: LocalEnv) -> dict[str, str]:
    """The hub's environment: ours, minus a surrounding hub's, plus hub.extraEnv and the marker."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "JPY_"))}
    tools = [str(bin_dir()), str(Path(env.chp).parent)]
    out["PATH"] = os.pathsep.join([*tools, out.get("PATH", "")])
    out.update(cfg.hub_env)
    out[MARKER] = env.state
    return out


def _write_files(state: Path, cfg: HubConfig) -> None:
    process.private_dir(state / "home")
    _write_private(state / "values.json", json.dumps(cfg.values, indent=1, default=str))
    _write_private(state / "z2jh.py", Z2JH_SHIM)
    _write_private(state / "jupyterhub_config.py", cfg.text())


def _check_authenticator_installed(cfg: HubConfig) -> None:
    value = cfg.traits.get("JupyterHub", {}).get("authenticator_class")
    cls = LOCAL_AUTHENTICATORS.get(value, value) if isinstance(value, str) else None
    module = cls.split(".")[0] if cls else None
    if module in AUTHENTICATOR_PACKAGES and importlib.util.find_spec(module) is None:
        raise HubfleetError(
            f"authenticator `{value}` needs `pip install {AUTHENTICATOR_PACKAGES[module]}` in {sys.prefix}"
        )


def _forget_health_tokens(state: Path) -> None:
    """Only the token of this start is valid: JupyterHub adds a service's configured token to its
    database at start-up and never removes the ones configured before, so before each start, and
    after a failed one, the health service's tokens are deleted from the hub's database."""
    db = state / "jupyterhub.sqlite"
    if not db.exists():
        return
    try:
        with contextlib.closing(sqlite3.connect(db)) as con, con:
            con.execute(
                "DELETE FROM api_tokens WHERE service_id IN (SELECT id FROM services WHERE name = ?)",
                (HEALTH_SERVICE,),
            )
    except sqlite3.Error as e:
        raise HubfleetError(f"{db}: cannot remove the old tokens of {HEALTH_SERVICE}: {e}") from None


def _healthy(http: httpx.Client, url: str, token: str) -> bool:
    try:
        r = http.get(f"{url}hub/api/", headers={"Authorization": f"token {token}"})
        return r.status_code == 200
    except httpx.HTTPError:
        return False


def _wait_ready(
    http: httpx.Client, name: str, url: str, token: str, pid: int, log: Path, timeout: float
) -> None:
    """GET /hub/health through the proxy, then the API with the token; fail fast on a crash, and at
    once when the port is answered by a process that is not this hub's (`peer.NotOurHub`)."""
    deadline = time.monotonic() + timeout
    step = "hub/health"
    while time.monotonic() < deadline:
        check_interrupted()  # Ctrl-C: `up` stops the half-started hub
        try:
            if step == "hub/health":
                if http.get(f"{url}hub/health", timeout=3).status_code == 200:
                    step = "hub/api"
                    continue
            elif _healthy(http, url, token):
                return
        except httpx.HTTPError:
            pass
        if not process.alive(pid):
            raise HubfleetError(f"hub {name} exited while starting; end of {log}:\n{process.log_tail(log)}")
        time.sleep(0.25)
    raise HubfleetError(
        f"hub {name} did not answer {url}{step} within {timeout:g}s; end of {log}:\n{process.log_tail(log)}"
    )
