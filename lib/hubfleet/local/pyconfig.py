"""Python objects in JupyterHub config: classes as configured, and config written as source.

`resolve_class` finds the class a trait names the way JupyterHub does (a class object,
an entry-point alias, an import path) and turns a name that cannot load into one error
naming the key. `source` writes a config value as Python source for a
`jupyterhub_config.py`: literals as literals, classes and callables by import path; an
object that has no import path (a lambda, a class defined in a test function) is an
error naming the key. JupyterHub is imported inside functions (the `[local]` extra).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from typing import Any

from hubfleet.core.errors import HubfleetError, did_you_mean

# (trait, entry-point group, base class): the pluggable classes of a hub.
CLASS_TRAITS = (
    ("authenticator_class", "jupyterhub.authenticators", "jupyterhub.auth.Authenticator"),
    ("spawner_class", "jupyterhub.spawners", "jupyterhub.spawner.Spawner"),
    ("proxy_class", "jupyterhub.proxies", "jupyterhub.proxy.Proxy"),
)


class ConfigKeyError(HubfleetError):
    """Configuration a hub on this machine cannot honour, naming the key (`JupyterHub.x: ...`)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def entry_point_names(group: str) -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name.lower(): ep for ep in entry_points(group=group)}


def resolve_class(key: str, value: Any, group: str, base: str) -> type:
    """The class `value` names (JupyterHub's own lookup order), or one error naming `key`."""
    base_cls = import_path(base)
    if isinstance(value, type):
        cls = value
    elif isinstance(value, str):
        aliases = entry_point_names(group)
        if value.lower() in aliases:
            try:
                cls = aliases[value.lower()].load()
            except Exception as e:
                raise ConfigKeyError(key, f"entry point `{value}` of {group} fails to load: {e}") from None
        elif "." not in value:
            hint = did_you_mean(value.lower(), aliases)
            known = ", ".join(sorted(aliases))
            raise ConfigKeyError(
                key, f"`{value}` is no installed {group} entry point{hint} (installed: {known})"
            )
        else:
            try:
                cls = import_path(value)
            except (ImportError, AttributeError) as e:
                raise ConfigKeyError(key, f"`{value}` cannot be imported: {e}") from None
    else:
        raise ConfigKeyError(key, f"expected a class, an import path or an entry-point name, got {value!r}")
    if not (isinstance(cls, type) and issubclass(cls, base_cls)):
        raise ConfigKeyError(key, f"{_name(cls)} is not a {base_cls.__name__} subclass")
    return cls


def import_path(path: str) -> Any:
    """`pkg.mod.Class` or `pkg.mod:Outer.Inner`."""
    module, _, qualname = path.partition(":") if ":" in path else path.rpartition(".")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _name(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def source(key: str, value: Any) -> str:
    if value is None or isinstance(value, bool | int | str | bytes):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{source(key, k)}: {source(f'{key}.{k}', v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        items = [source(f"{key}[{i}]", v) for i, v in enumerate(value)]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        if isinstance(value, tuple):
            return "(" + "".join(f"{i}, " for i in items) + ")"
        return ("{" + ", ".join(items) + "}") if items else "set()"
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if module and qualname and "<" not in qualname and module != "__main__":
        try:
            found = import_path(f"{module}:{qualname}")
        except (ImportError, AttributeError):
            found = None
        if found is value:
            return f"_obj({module!r}, {qualname!r})"
    raise ConfigKeyError(
        key,
        f"{value!r} cannot be passed to a hub in its own process: define it at module level of an "
        "importable module (or use an import path string), or use an in-process hub (process=False)",
    )
