"""A test hub's configuration: the caller's config plus the harness's defaults (pure).

The caller's keys always win; the harness only fills what is unset (ports, database,
proxy command) and adds its own service, role and process marker. Classes are taken
as configured (objects, import paths or entry-point aliases) and checked here, so a
name that cannot load is one error naming the key, before any process starts.
`config_source` writes the same configuration as a `jupyterhub_config.py` for a hub
in its own process, naming classes and callables by import path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hubfleet.local import pyconfig

HARNESS_SERVICE = "hubfleet-harness"
# The harness's token has JupyterHub's `admin` role: creating admin users and tokens of any
# scope for them needs it.
ADMIN_ROLE = "admin"
MARKER = "HUBFLEET_LOCAL_HUB"  # the local cluster's marker, in every process a test hub starts

ALLOW_KEYS = ("allow_all", "allowed_users", "allowed_groups", "admin_users", "allow_existing_users")


HubConfigError = pyconfig.ConfigKeyError  # one error type for what a hub cannot honour


@dataclass(frozen=True)
class Place:
    """Where a test hub lives on this machine: all the impure inputs of `harness_config`."""

    state: str  # a private folder: pid files, homes, the database of a process hub
    port: int  # public (proxy)
    hub_port: int  # the hub's own API
    proxy_api_port: int
    chp: str  # configurable-http-proxy executable
    singleuser: str  # jupyterhub-singleuser of this Python environment
    token: str  # the harness service's API token
    as_root: bool
    jupyterhub_major: int
    in_process: bool = True


def to_config(config: Any = None) -> Any:
    """A traitlets `Config` from None, a `Config` or a nested mapping (copied, never shared)."""
    from traitlets.config import Config

    if config is None:
        return Config()
    if isinstance(config, Config):
        return config.copy()
    if isinstance(config, Mapping):
        return Config(_deepcopy_mapping(config))
    raise HubConfigError("config", f"expected a traitlets Config or a mapping, got {type(config).__name__}")


def _deepcopy_mapping(node: Mapping[str, Any]) -> dict[str, Any]:
    # Plain data is copied; Python objects (classes, hooks) are kept as they are.
    return {k: _deepcopy_mapping(v) if isinstance(v, Mapping) else v for k, v in node.items()}


def is_set(cfg: Any, section: str, key: str) -> bool:
    return section in cfg and key in cfg[section]


def harness_config(user: Any, place: Place, *, mockhub: bool = False) -> Any:
    """The caller's config (a `Config`) plus the harness's defaults, as a new `Config`.

    `mockhub=True` (pytest-jupyterhub's fixtures) starts from MockHub's defaults instead
    (`hubfleet.testing.mock`: its base URL, a mock authenticator with the admin `admin`, a
    spawner that starts no process), and any authenticator admits everyone unless the config
    sets `Authenticator.allow_all`, as MockHub did.
    """
    from traitlets.config import Config

    cfg = Config()
    hub = cfg.JupyterHub
    hub.ip = "127.0.0.1"
    hub.port = place.port
    hub.hub_bind_url = f"http://127.0.0.1:{place.hub_port}"
    hub.db_url = "sqlite:///:memory:" if place.in_process else f"sqlite:///{place.state}/jupyterhub.sqlite"
    hub.cookie_secret = os.urandom(32)
    hub.pid_file = f"{place.state}/jupyterhub.pid"
    hub.config_file = f"{place.state}/empty_config.py"  # the caller writes it empty: never the cwd's file
    hub.cleanup_servers = True
    hub.cleanup_proxy = True
    hub.allow_named_servers = True
    hub.spawner_class = "simple"  # users need no system account
    hub.authenticator_class = "dummy"
    proxy = cfg.ConfigurableHTTPProxy
    proxy.command = [place.chp]
    proxy.api_url = f"http://127.0.0.1:{place.proxy_api_port}"
    proxy.pid_file = f"{place.state}/proxy.pid"
    proxy.should_start = True
    cfg.Spawner.cmd = [place.singleuser]  # this environment's, whatever is on PATH
    cfg.SimpleLocalProcessSpawner.home_dir_template = f"{place.state}/home/{{username}}"
    if mockhub:  # MockHub's base URL, authenticator and spawner, where the caller sets none
        from .mock import mockhub_defaults

        cfg.merge(Config(mockhub_defaults(user)))
    cfg.merge(user)  # the caller's keys win

    if mockhub and place.jupyterhub_major >= 5 and not is_set(user, "Authenticator", "allow_all"):
        cfg.Authenticator.allow_all = True
    default_auth = not is_set(user, "JupyterHub", "authenticator_class")
    if default_auth and place.jupyterhub_major >= 5:  # noqa: SIM102
        if not any(is_set(user, s, k) for s in ("Authenticator", "DummyAuthenticator") for k in ALLOW_KEYS):
            cfg.Authenticator.allow_all = True  # the harness's own default lets anyone in, as before 5.0
    services = list(cfg.JupyterHub.get("services") or [])
    services.append({"name": HARNESS_SERVICE, "api_token": place.token})
    cfg.JupyterHub.services = services
    cfg.JupyterHub.load_roles = with_harness_admin(list(cfg.JupyterHub.get("load_roles") or []))
    spawner = cfg.Spawner
    spawner.environment = {**dict(spawner.get("environment") or {}), MARKER: place.state}
    args = list(spawner.get("args") or [])
    if place.as_root and "--allow-root" not in args:
        spawner.args = [*args, "--allow-root"]  # jupyter-server refuses root without it
    check_classes(cfg)
    return cfg


def with_harness_admin(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`roles` with the harness service in the admin role (the caller's admin role kept)."""
    out = [dict(r) for r in roles]
    for role in out:
        if role.get("name") == ADMIN_ROLE:
            role["services"] = [*role.get("services", []), HARNESS_SERVICE]
            return out
    return [*out, {"name": ADMIN_ROLE, "services": [HARNESS_SERVICE]}]


def check_classes(cfg: Any) -> None:
    """Every pluggable class loads: an object of the right kind, an entry point or an import path."""
    for trait, group, base in pyconfig.CLASS_TRAITS:
        if is_set(cfg, "JupyterHub", trait):
            pyconfig.resolve_class(f"JupyterHub.{trait}", cfg.JupyterHub[trait], group, base)


# --- the same configuration as a file, for a hub in its own process ----------------------


def config_source(cfg: Any) -> str:
    """`jupyterhub_config.py` text: literals as literals, classes and callables by import path."""
    lines = [
        "# Written by hubfleet's pytest plugin for a test hub in its own process.",
        "import importlib",
        "",
        "",
        "def _obj(module, name):",
        "    obj = importlib.import_module(module)",
        "    for part in name.split('.'):",
        "        obj = getattr(obj, part)",
        "    return obj",
        "",
        "",
    ]
    for section in sorted(cfg):
        for key in sorted(cfg[section]):
            value = pyconfig.source(f"{section}.{key}", cfg[section][key])
            lines.append(f"c.{section}.{key} = {value}")
    return "\n".join(lines) + "\n"
