"""Fleet policy, tuned to be precise (a noisy check teaches people to ignore it).

Pure functions over parsed layers and rendered values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hubfleet.core.errors import KeyPath, Problem
from hubfleet.core.model import Cluster, Hub
from hubfleet.core.tree import leaves

# Whole key names (case and `_`/`-` folded) that carry a secret. Whole names only:
# `token_url`, `secretName`, `client_id` or `password_reset_url` are not secrets.
SECRET_KEYS = frozenset(
    k.replace("_", "").lower()
    for k in (
        "password",
        "user_password",  # SharedPasswordAuthenticator
        "admin_password",  # SharedPasswordAuthenticator
        "client_secret",
        "api_token",
        "apiToken",
        "cookieSecret",
        "cookie_secret",
        "secretToken",
        "secret_token",
        "secret_key",
        "secretKey",
        "private_key",
        "privateKey",
        "access_token",
        "accessToken",
        "auth_token",
        "authToken",
        "bearer_token",
        "crypt_key",
        "client_secret_key",
        "hmac_key",
        "signing_key",
        "db_password",
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "JUPYTERHUB_CRYPT_KEY",
    )
)

DUMMY = {"dummy", "dummyauthenticator", "jupyterhub.auth.dummyauthenticator"}
TMP = {"tmp", "tmpauthenticator", "tmpauthenticator.tmpauthenticator"}


def _fold(key: Any) -> str:
    return str(key).replace("_", "").replace("-", "").lower()


def _is_placeholder(value: Any) -> bool:
    """Empty, null, or an interpolation/env reference: not a secret written down."""
    if value is None or value == "" or isinstance(value, bool):
        return True
    return isinstance(value, str) and (value.startswith("${") or value.startswith("$("))


def secret_key_problems(file: str, layer: Mapping[str, Any]) -> list[Problem]:
    """A secret-bearing key with a value in a plain (committed, readable) layer."""
    out = []
    for path, value in leaves(layer):
        named = [p for p in path if isinstance(p, str)]
        # extraEnv list form: [{name: X_PASSWORD, value: ...}] names the secret in `name`.
        if path and path[-1] == "value" and len(path) >= 2:
            sibling = _node(layer, path[:-1])
            if isinstance(sibling, dict) and _fold(sibling.get("name", "")) in SECRET_KEYS:
                named.append(str(sibling["name"]))
        if named and _fold(named[-1]) in SECRET_KEYS and not _is_placeholder(value):
            out.append(
                Problem(
                    file,
                    "looks like a secret in a plain values file: move it to the hub's "
                    "sops-encrypted secrets.yaml (`invoke secrets --hub <hub>`)",
                    path,
                )
            )
    return out


def _node(data: Any, path: KeyPath) -> Any:
    for p in path:
        data = data[p]
    return data


def hub_config_prefixes(values: Mapping[str, Any]) -> list[KeyPath]:
    """Where z2jh's `hub.config` sits: at the root (the jupyterhub chart) and/or under one
    top-level key (a wrapper chart such as 2i2c's basehub nests z2jh under `jupyterhub:`)."""

    def has_hub_config(node: Any) -> bool:
        return (
            isinstance(node, dict)
            and isinstance(node.get("hub"), dict)
            and isinstance(node["hub"].get("config"), dict)
        )

    found: list[KeyPath] = [()] if has_hub_config(values) else []
    return found + [(k,) for k, v in values.items() if k != "hub" and has_hub_config(v)]


def _hub_config(values: Mapping[str, Any], prefix: KeyPath) -> dict[str, Any]:
    return _node(values, (*prefix, "hub", "config"))


def authenticator(values: Mapping[str, Any], prefix: KeyPath = ()) -> str:
    """`hub.config.JupyterHub.authenticator_class` under `prefix`, lowercased ("" if unset)."""
    node: Any = values
    for key in (*prefix, "hub", "config", "JupyterHub", "authenticator_class"):
        node = node.get(key) if isinstance(node, dict) else None
    return str(node or "").lower()


def auth_problems(
    hub: Hub, cluster: Cluster, values: Mapping[str, Any], file_of: Callable[[KeyPath], str]
) -> list[Problem]:
    """Authenticator policy on one hub's rendered values (local clusters are for trying things)."""
    if cluster.is_local:
        return []
    out = []
    for prefix in hub_config_prefixes(values):
        out += _auth_problems_at(hub, values, prefix, file_of)
    return out


def _auth_problems_at(
    hub: Hub, values: Mapping[str, Any], prefix: KeyPath, file_of: Callable[[KeyPath], str]
) -> list[Problem]:
    out = []
    auth = authenticator(values, prefix)
    key = (*prefix, "hub", "config", "JupyterHub", "authenticator_class")
    if auth in DUMMY and "dummy-authenticator" not in hub.waive:
        out.append(
            Problem(
                file_of(key),
                "DummyAuthenticator lets anyone log in on a real cluster: use a real authenticator, or "
                "waive it in hub.yaml (`waive: {dummy-authenticator: <reason>}`)",
                key,
                hub=hub.name,
            )
        )
    if auth in TMP and "tmp-authenticator" not in hub.waive:
        out.append(
            Problem(
                file_of(key),
                "the tmp authenticator gives anyone a throwaway account (public hub?); "
                "waive in hub.yaml if intended",
                key,
                severity="warning",
                hub=hub.name,
            )
        )
    for cls, traits in _hub_config(values, prefix).items():
        # Authenticator-wide allow_all only: per-IdP ones (CILogon allowed_idps.<idp>.allow_all) are normal.
        if isinstance(traits, dict) and traits.get("allow_all") is True and "allow-all" not in hub.waive:
            where = (*prefix, "hub", "config", cls, "allow_all")
            out.append(
                Problem(
                    file_of(where),
                    "allow_all: true lets every identity of the provider in; waive in hub.yaml "
                    "(`waive: {allow-all: <reason>}`) if this hub is public on purpose",
                    where,
                    severity="warning",
                    hub=hub.name,
                )
            )
    return out
