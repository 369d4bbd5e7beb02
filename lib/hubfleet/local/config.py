"""A hub's chart values -> JupyterHub configuration for a hub on this machine (pure).

Shaped like the z2jh chart's `images/hub/jupyterhub_config.py`: one mapping
table of (class, trait, values key), one `set_config_if_not_none` helper, and a
comment on every special case. Kubernetes-only keys (ingress, images, storage,
scheduling...) have no local meaning: they are collected and reported once.
"""

from __future__ import annotations

import ast
import hashlib
import json
import pprint
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hubfleet.adapters.hubapi import HEALTH_SCOPES, HEALTH_SERVICE
from hubfleet.core.errors import KeyPath, did_you_mean
from hubfleet.core.tree import coalesce

# Rendered values hold only the fleet's layers; Helm coalesces them over the chart's own
# defaults, so the local hub does too. Those of the chart the hub names are used when cached
# (`build(chart_defaults=...)`); without them, these: z2jh 4.4.0's defaults that change
# JupyterHub's behaviour here.
CHART_DEFAULTS: dict[str, Any] = {
    "hub": {
        "config": {"JupyterHub": {"admin_access": True, "authenticator_class": "dummy"}},
        "concurrentSpawnLimit": 64,
        "consecutiveFailureLimit": 5,
    },
    "singleuser": {"cmd": "jupyterhub-singleuser", "startTimeout": 300},
    "cull": {
        "enabled": True,
        "users": False,
        "adminUsers": True,
        "removeNamedServers": False,
        "timeout": 3600,
        "every": 600,
        "concurrency": 10,
        "maxAge": 0,
    },
}

# (config class, trait, values key): the z2jh table, minus KubeSpawner-only traits.
TRAITS: tuple[tuple[str, str, str], ...] = (
    ("JupyterHub", "concurrent_spawn_limit", "hub.concurrentSpawnLimit"),
    ("JupyterHub", "active_server_limit", "hub.activeServerLimit"),
    ("JupyterHub", "base_url", "hub.baseUrl"),
    ("JupyterHub", "allow_named_servers", "hub.allowNamedServers"),
    ("JupyterHub", "named_server_limit_per_user", "hub.namedServerLimitPerUser"),
    ("JupyterHub", "authenticate_prometheus", "hub.authenticatePrometheus"),
    ("JupyterHub", "redirect_to_server", "hub.redirectToServer"),
    ("JupyterHub", "shutdown_on_logout", "hub.shutdownOnLogout"),
    ("JupyterHub", "template_paths", "hub.templatePaths"),
    ("JupyterHub", "template_vars", "hub.templateVars"),
    # The chart keeps it in a k8s Secret; here it goes straight to the trait (hex string).
    ("JupyterHub", "cookie_secret", "hub.cookieSecret"),
    ("Spawner", "consecutive_failure_limit", "hub.consecutiveFailureLimit"),
    ("Spawner", "start_timeout", "singleuser.startTimeout"),
    # Local processes are not confined: the spawner exports these as MEM_LIMIT, CPU_LIMIT...
    ("Spawner", "mem_limit", "singleuser.memory.limit"),
    ("Spawner", "mem_guarantee", "singleuser.memory.guarantee"),
    ("Spawner", "cpu_limit", "singleuser.cpu.limit"),
    ("Spawner", "cpu_guarantee", "singleuser.cpu.guarantee"),
    ("Spawner", "default_url", "singleuser.defaultUrl"),
)

# Keys read by the special cases below (plus TRAITS): everything else is "not applied locally".
SPECIAL = (
    "hub.config",
    "hub.extraConfig",
    "hub.extraEnv",
    "hub.services",
    "hub.loadRoles",
    "hub.db.type",
    "singleuser.cmd",
    "singleuser.extraEnv",
    "cull",
    "debug",
    "custom",  # read by extraConfig snippets through z2jh.get_config
)

# authenticator_class values that work on one machine (entry-point names and classes).
LOCAL_AUTHENTICATORS = {
    "dummy": "jupyterhub.auth.DummyAuthenticator",
    "null": "jupyterhub.auth.NullAuthenticator",
    "shared-password": "jupyterhub.authenticators.shared.SharedPasswordAuthenticator",
    "tmp": "tmpauthenticator.TmpAuthenticator",
    "native": "nativeauthenticator.NativeAuthenticator",
}
AUTHENTICATOR_PACKAGES = {
    "tmpauthenticator": "jupyterhub-tmpauthenticator",
    "nativeauthenticator": "jupyterhub-nativeauthenticator",
}

SPAWNER = "jupyterhub.spawner.SimpleLocalProcessSpawner"  # users need no system account
MARKER = "HUBFLEET_LOCAL_HUB"  # in every process of a local hub, so `stop` finds them all


class LocalConfigError(Exception):
    """Values a local hub cannot honour, at a key path of the values."""

    def __init__(self, keypath: KeyPath, message: str) -> None:
        super().__init__(message)
        self.keypath = keypath
        self.message = message


@dataclass(frozen=True)
class LocalEnv:
    """Facts of this machine and this hub's state folder (all the impure inputs)."""

    hub: str
    port: int
    hub_api_port: int
    proxy_api_port: int
    state: str  # .hubfleet/local/<hub>
    python: str  # sys.executable: the culler runs with it
    chp: str  # configurable-http-proxy executable
    health_token: str
    as_root: bool = False
    password: str = ""  # this hub's own password for DummyAuthenticator (state/password, 0600)


@dataclass(frozen=True)
class HubConfig:
    traits: dict[str, dict[str, Any]]
    extra_config: tuple[tuple[str, str], ...] = ()
    hub_env: dict[str, str] = field(default_factory=dict)  # hub.extraEnv: the hub process's env
    not_applied: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)  # for z2jh.get_config in extraConfig

    def text(self) -> str:
        return config_text(self)

    @property
    def digest(self) -> str:
        blob = json.dumps(
            [self.traits, self.extra_config, self.hub_env, self.values], sort_keys=True, default=_object_name
        )
        return hashlib.sha256(blob.encode()).hexdigest()


# --- helpers ---------------------------------------------------------------------------

_UNSET = object()


def get(values: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """`a.b.c` in nested mappings (z2jh's get_config)."""
    node: Any = values
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def set_config_if_not_none(traits: dict[str, dict[str, Any]], cls: str, trait: str, value: Any) -> None:
    if value is not None:
        traits.setdefault(cls, {})[trait] = value


# --- the mapping -----------------------------------------------------------------------


def build(
    values: Mapping[str, Any], env: LocalEnv, chart_defaults: Mapping[str, Any] | None = None
) -> HubConfig:
    """Values (rendered + secrets) -> JupyterHub traits for a hub on this machine.

    `chart_defaults`: the hub's chart's values.yaml; None falls back to `CHART_DEFAULTS`.
    """
    v = coalesce(CHART_DEFAULTS if chart_defaults is None else chart_defaults, values)
    c: dict[str, dict[str, Any]] = {"JupyterHub": {}, "Spawner": {}}  # set below whatever the defaults
    for cls, trait, key in TRAITS:
        set_config_if_not_none(c, cls, trait, get(v, key))

    # hub.db: only the in-memory choice means something here; the rest is a local sqlite file.
    if get(v, "hub.db.type") == "sqlite-memory":
        c["JupyterHub"]["db_url"] = "sqlite://"
    else:
        c["JupyterHub"]["db_url"] = f"sqlite:///{env.state}/jupyterhub.sqlite"

    # singleuser.cmd: an explicit null means JupyterHub's own default (z2jh does the same).
    if "cmd" in (values.get("singleuser") or {}) and get(values, "singleuser.cmd") is None:
        c["Spawner"]["cmd"] = None
    else:
        set_config_if_not_none(c, "Spawner", "cmd", get(v, "singleuser.cmd"))

    environment, unusable = extra_env(get(v, "singleuser.extraEnv"), "singleuser.extraEnv")
    c["Spawner"]["environment"] = environment
    hub_env, hub_unusable = extra_env(get(v, "hub.extraEnv"), "hub.extraEnv")

    if get(v, "debug.enabled"):
        c["JupyterHub"]["log_level"] = "DEBUG"
        c["Spawner"]["debug"] = True

    base_url = get(v, "hub.baseUrl") or "/"
    services, roles = [], []
    if get(v, "cull.enabled"):
        service, role = culler(get(v, "cull"), env, base_url)
        services.append(service)
        roles.append(role)
    services += hub_services(get(v, "hub.services") or {}, env.health_token)
    roles += load_roles(get(v, "hub.loadRoles") or {})
    c["JupyterHub"]["services"] = services
    c["JupyterHub"]["load_roles"] = roles

    # hub.config goes to traitlets as-is, after the table (it wins), minus what z2jh
    # also drops: secrets it seeds itself and the services list built above.
    for cls, cfg in (get(v, "hub.config") or {}).items():
        cfg = dict(cfg or {})
        if cls == "JupyterHub":
            for k in ("proxy_auth_token", "services"):
                cfg.pop(k, None)
        c.setdefault(cls, {}).update(cfg)

    check_authenticator(c["JupyterHub"].get("authenticator_class"))
    # DummyAuthenticator with no password lets anyone on this machine in, as the user running the
    # hub (root, often): a local hub gets its own password unless the values chose one.
    if is_dummy(c["JupyterHub"].get("authenticator_class")) and env.password:
        dummy = c.setdefault("DummyAuthenticator", {})
        if not dummy.get("password"):
            dummy["password"] = env.password
    for service in services:  # hub-managed services (the idle culler) carry the marker too
        if service.get("command"):
            service["environment"] = {**(service.get("environment") or {}), MARKER: env.state}
    spawner_class, replaced = local_spawner(c["JupyterHub"].get("spawner_class"))
    c["JupyterHub"].update(pinned(env))  # where this hub lives on this machine: always ours
    c["JupyterHub"]["spawner_class"] = spawner_class
    spawner = c["Spawner"]
    spawner["environment"] = {**(spawner.get("environment") or {}), MARKER: env.state}
    if env.as_root and "--allow-root" not in (spawner.get("args") or []):
        spawner["args"] = [*(spawner.get("args") or []), "--allow-root"]  # jupyter-server refuses root
    c.setdefault("ConfigurableHTTPProxy", {}).update(
        command=[env.chp], api_url=f"http://127.0.0.1:{env.proxy_api_port}", should_start=True
    )
    c.setdefault("SimpleLocalProcessSpawner", {})["home_dir_template"] = f"{env.state}/home/{{username}}"

    extra = get(v, "hub.extraConfig") or {}
    if isinstance(extra, str):  # the chart's old string form
        extra = {"extraConfig": extra}
    skipped = sorted(set(not_applied(values)) | set(unusable) | set(hub_unusable) | set(replaced))
    return HubConfig(
        traits=c,
        extra_config=tuple(sorted((str(k), str(code)) for k, code in extra.items())),
        hub_env=hub_env,
        not_applied=tuple(skipped),
        values=v,
    )


def pinned(env: LocalEnv) -> dict[str, Any]:
    """JupyterHub traits that place the hub in its own folder and ports."""
    return {
        "ip": "127.0.0.1",
        "port": env.port,
        "hub_bind_url": f"http://127.0.0.1:{env.hub_api_port}",
        "cookie_secret_file": f"{env.state}/jupyterhub_cookie_secret",
        "pid_file": f"{env.state}/jupyterhub.pid",
        "cleanup_servers": True,  # `stop` stops single-user servers with the hub
        "cleanup_proxy": True,
    }


def extra_env(raw: Any, key: str) -> tuple[dict[str, str], list[str]]:
    """extraEnv in the chart's forms: {NAME: value}, {NAME: {value: v}}, [{name, value}].

    `valueFrom` (k8s Secrets, fields of the pod) has no meaning here: reported as not applied.
    """
    if not raw:
        return {}, []
    items: Iterable[tuple[str, Any]]
    if isinstance(raw, list):
        items = [(str(e.get("name")), e) for e in raw if isinstance(e, Mapping)]
    else:
        items = [(str(k), {"value": val} if not isinstance(val, Mapping) else val) for k, val in raw.items()]
    env, skipped = {}, []
    for name, spec in items:
        if "value" in spec:
            env[name] = "" if spec["value"] is None else str(spec["value"])
        else:
            skipped.append(f"{key}.{name}")
    return env, skipped


def hub_services(raw: Mapping[str, Any], health_token: str) -> list[dict[str, Any]]:
    """hub.services is a dict (mergeable layers); JupyterHub wants a list with names.

    The chart's camelCase `apiToken` becomes `api_token`. The health service always
    exists locally, with the token generated at deploy (remote hubs keep it in secrets).
    """
    out = []
    for name, spec in {HEALTH_SERVICE: {}, **raw}.items():
        service = dict(spec or {})
        service.setdefault("name", name)
        token = service.pop("apiToken", None)
        if token:
            service["api_token"] = token
        if name == HEALTH_SERVICE:
            service["api_token"] = health_token
        out.append(service)
    return out


def load_roles(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """hub.loadRoles is a dict too; the health role is added when the values lack one."""
    default = {"scopes": list(HEALTH_SCOPES), "services": [HEALTH_SERVICE]}
    out = []
    for name, spec in {HEALTH_SERVICE: default, **raw}.items():
        role = dict(spec or {})
        role.setdefault("name", name)
        out.append(role)
    return out


def culler(cull: Mapping[str, Any], env: LocalEnv, base_url: str) -> tuple[dict, dict]:
    """jupyterhub-idle-culler as a hub-managed service, with z2jh's flags and scopes."""
    scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
    prefix = "/".join(p for p in base_url.split("/") if p)
    api = f"http://127.0.0.1:{env.hub_api_port}/" + (f"{prefix}/" if prefix else "") + "hub/api"
    cmd = [env.python, "-m", "jupyterhub_idle_culler", f"--url={api}"]
    for flag, key in (("timeout", "timeout"), ("cull-every", "every"), ("concurrency", "concurrency")):
        if cull.get(key):
            cmd.append(f"--{flag}={cull[key]}")
    if cull.get("users"):
        cmd.append("--cull-users")
        scopes.append("admin:users")
    if not cull.get("adminUsers"):
        cmd.append("--cull-admin-users=false")
    if cull.get("removeNamedServers"):
        cmd.append("--remove-named-servers")
    if cull.get("maxAge"):
        cmd.append(f"--max-age={cull['maxAge']}")
    name = "jupyterhub-idle-culler"
    return {"name": name, "command": cmd}, {"name": name, "scopes": scopes, "services": [name]}


# Authenticators that need an identity provider or system accounts: nobody could log in here.
REMOTE_ONLY_AUTHENTICATORS = ("oauthenticator", "ldapauthenticator", "jupyterhub.auth.PAMAuthenticator")
REMOTE_ONLY_ALIASES = ("pam", "default", "github", "google", "cilogon", "generic", "gitlab", "azuread")
AUTHENTICATOR_KEY = ("hub", "config", "JupyterHub", "authenticator_class")
SPAWNER_KEY = ("hub", "config", "JupyterHub", "spawner_class")


DUMMY_NAMES = ("dummy", "jupyterhub.auth.DummyAuthenticator", "DummyAuthenticator")


def is_dummy(value: Any) -> bool:
    """JupyterHub's DummyAuthenticator, by alias or class path (unset: JupyterHub's default is PAM)."""
    return isinstance(value, str) and value in DUMMY_NAMES


def check_authenticator(value: Any) -> None:
    """Taken as configured (class, import path, entry point), unless nobody could log in here."""
    if value is None or value in LOCAL_AUTHENTICATORS or value in LOCAL_AUTHENTICATORS.values():
        return
    # JupyterHub's default when unset is PAM; the chart always sets one (dummy).
    known = ", ".join(sorted(LOCAL_AUTHENTICATORS))
    use = f"use one of: {known} (e.g. in hubs/<hub>/values.yaml, or a layer for the local cluster)"
    name = _class_name(value)
    if str(value).lower() in REMOTE_ONLY_ALIASES or name.startswith(REMOTE_ONLY_AUTHENTICATORS):
        raise LocalConfigError(
            AUTHENTICATOR_KEY,
            f"`{value}` cannot log anyone in on a local hub{did_you_mean(str(value), LOCAL_AUTHENTICATORS)}; "
            + use,
        )
    cls = _resolve(AUTHENTICATOR_KEY, value, "jupyterhub.authenticators", "jupyterhub.auth.Authenticator")
    if cls.__module__.startswith(REMOTE_ONLY_AUTHENTICATORS):
        raise LocalConfigError(
            AUTHENTICATOR_KEY, f"`{value}` ({cls.__module__}) cannot log anyone in locally; " + use
        )


def local_spawner(value: Any) -> tuple[Any, list[str]]:
    """The spawner as configured; KubeSpawner (the chart's) runs here as SimpleLocalProcessSpawner,
    and says so in the "not applied locally" warning."""
    if value is None:
        return SPAWNER, []
    if str(value).lower() == "kubespawner" or _class_name(value).startswith("kubespawner"):
        return SPAWNER, [
            ".".join(SPAWNER_KEY) + " (KubeSpawner: Kubernetes only; SimpleLocalProcessSpawner here)"
        ]
    _resolve(SPAWNER_KEY, value, "jupyterhub.spawners", "jupyterhub.spawner.Spawner")
    return value, []


def _class_name(value: Any) -> str:
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return str(value)


def _resolve(keypath: KeyPath, value: Any, group: str, base: str) -> type:
    from hubfleet.local.pyconfig import ConfigKeyError, resolve_class

    try:
        return resolve_class(".".join(keypath), value, group, base)
    except ConfigKeyError as e:
        raise LocalConfigError(keypath, e.message) from None


def not_applied(values: Mapping[str, Any]) -> list[str]:
    """Keys present in the values that nothing here reads, at the shallowest such level."""
    used = {key for _, _, key in TRAITS} | set(SPECIAL)
    out: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if path in used or (isinstance(value, Mapping) and value.get("enabled") is False):
                continue  # read here, or switched off: nothing to miss
            if any(u.startswith(path + ".") for u in used) and isinstance(value, Mapping):
                walk(value, path + ".")
            elif value not in (None, {}, []):
                out.append(path)

    walk(values, "")
    return out


# --- the file ----------------------------------------------------------------------------

Z2JH_SHIM = '''"""z2jh's helpers for hub.extraConfig snippets, over this hub's values (by hubfleet)."""
import json
import os

_values = json.load(open(os.path.join(os.path.dirname(__file__), "values.json")))


def get_config(key, default=None):
    node = _values
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


get_secret_value = get_config


def set_config_if_not_none(cparent, name, key):
    value = get_config(key)
    if value is not None:
        setattr(cparent, name, value)
'''


def _object_name(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def _traits_source(traits: dict[str, dict[str, Any]]) -> str:
    """The traits as Python source: literals pretty-printed; objects by import path (or an error)."""
    from hubfleet.local.pyconfig import ConfigKeyError, source

    try:
        literal = pprint.pformat(traits, sort_dicts=True, width=100)
        if ast.literal_eval(literal) == traits:
            return literal
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    ordered = {cls: dict(sorted(t.items())) for cls, t in sorted(traits.items())}
    try:
        return source("hub.config", ordered)
    except ConfigKeyError as e:
        raise LocalConfigError(tuple(e.key.split(".")), e.message) from None


def config_text(cfg: HubConfig) -> str:
    """jupyterhub_config.py: the traits as literals, then hub.extraConfig sorted by key."""
    lines = [
        "# GENERATED by hubfleet from the hub's rendered values; do not edit: re-run `invoke deploy`.",
        "import os, sys",
        "",
        "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # z2jh.py for extraConfig",
        "from z2jh import get_config, get_secret_value, set_config_if_not_none  # noqa",
        "",
        "import importlib",
        "",
        "",
        "def _obj(module, name):  # classes and callables passed as Python objects, by import path",
        "    obj = importlib.import_module(module)",
        "    for part in name.split('.'):",
        "        obj = getattr(obj, part)",
        "    return obj",
        "",
        "",
        f"TRAITS = {_traits_source(cfg.traits)}",
        "for _cls, _traits in TRAITS.items():",
        "    for _name, _value in _traits.items():",
        "        setattr(c[_cls], _name, _value)",
        "",
    ]
    for key, code in cfg.extra_config:
        lines += [
            f"# hub.extraConfig.{key}",
            f"print({'Loading extra config: ' + key!r})",
            f"exec(compile({code!r}, {'hub.extraConfig.' + key!r}, 'exec'))",
        ]
    return "\n".join(lines) + "\n"
