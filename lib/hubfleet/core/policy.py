"""Fleet policy, tuned to be precise (a noisy check teaches people to ignore it).

Pure functions over parsed layers and rendered values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hubfleet.core.errors import KeyPath, Problem
from hubfleet.core.model import Cluster, Hub
from hubfleet.core.resolve import scan
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


@functools.lru_cache(maxsize=8192)  # every leaf of every layer asks, with a few hundred distinct keys
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


def interpolated_secret_problems(
    merged: Mapping[str, Any],
    values: Mapping[str, Any],
    file_of: Callable[[KeyPath], str],
    interpolated: Sequence[tuple[KeyPath, str]] | None = None,
) -> list[Problem]:
    """A secret-bearing key set by an interpolation (`client_secret: ${x}`) that resolves to a
    plain value: layers hold no secrets, so that value is a secret written in a values file.
    `interpolated`: `scan(merged).interpolated` where the caller has it."""
    out = []
    for path, raw in scan(merged).interpolated if interpolated is None else interpolated:
        if not (path and isinstance(path[-1], str)):
            continue
        if _fold(path[-1]) not in SECRET_KEYS:
            continue
        try:
            value = _node(values, path)
        except (KeyError, IndexError, TypeError):
            continue
        if not _is_placeholder(value):
            out.append(
                Problem(
                    file_of(path),
                    f"`{raw}` resolves to a plain value from a values file: a secret belongs in the "
                    "hub's sops-encrypted secrets.yaml (`invoke secrets --hub <hub>`)",
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


# --- ingress: a hub's hosts are its own ------------------------------------------------

Claim = tuple[str, KeyPath, str]  # (kind: "host" | "tls-secret", where in the values, the name)


def ingress_claims(values: Mapping[str, Any]) -> list[Claim]:
    """Every ingress host and TLS secret the values claim (z2jh's `ingress.hosts`, `ingress.tls`,
    `proxy.https.hosts`), at the root and under a wrapper chart's key."""
    prefixes: list[KeyPath] = [()] + [
        (k,) for k, v in values.items() if isinstance(v, dict) and ("ingress" in v or "proxy" in v)
    ]
    out: list[Claim] = []
    for prefix in prefixes:
        node = _get(values, prefix)
        ingress = node.get("ingress") if isinstance(node, dict) else None
        if isinstance(ingress, dict) and ingress.get("enabled", True) is not False:
            for i, host in _items(ingress.get("hosts")):
                out.append(("host", (*prefix, "ingress", "hosts", i), host))
            for i, tls in _items(ingress.get("tls"), dict):
                for j, host in _items(tls.get("hosts")):
                    out.append(("host", (*prefix, "ingress", "tls", i, "hosts", j), host))
                if isinstance(tls.get("secretName"), str) and tls["secretName"]:
                    out.append(
                        ("tls-secret", (*prefix, "ingress", "tls", i, "secretName"), tls["secretName"])
                    )
        https = _get(values, (*prefix, "proxy", "https"))
        if isinstance(https, dict) and https.get("enabled") is True:
            for i, host in _items(https.get("hosts")):
                out.append(("host", (*prefix, "proxy", "https", "hosts", i), host))
    return out


def _get(values: Any, path: KeyPath) -> Any:
    for part in path:
        values = values.get(part) if isinstance(values, dict) else None
    return values


def _items(node: Any, kind: type = str) -> list[tuple[int, Any]]:
    return [(i, v) for i, v in enumerate(node) if isinstance(v, kind)] if isinstance(node, list) else []


def own_domain_problems(hub: Hub, claims: list[Claim], file_of: Callable[[KeyPath], str]) -> list[Problem]:
    """A hub's ingress hosts are its domain or below it, unless hub.yaml waives `foreign-host`."""
    if "foreign-host" in hub.waive:
        return []
    out = []
    for kind, where, name in claims:
        if kind == "tls-secret" and "/" in name:
            out.append(
                Problem(
                    file_of(where),
                    f"TLS secret {name} names another namespace: a hub's TLS secret lives in its own "
                    f"namespace {hub.namespace}; waive in hub.yaml (`waive: {{foreign-host: <reason>}}`) "
                    "if it must",
                    where,
                    hub=hub.name,
                )
            )
            continue
        host = name.lower().rstrip(".")
        if kind == "host" and host != hub.domain and not host.endswith("." + hub.domain):
            out.append(
                Problem(
                    file_of(where),
                    f"ingress host {name} is not this hub's domain {hub.domain} (or below it): "
                    "a hub serves only its own domain; waive in hub.yaml "
                    "(`waive: {foreign-host: <reason>}`) if it must",
                    where,
                    hub=hub.name,
                )
            )
    return out


def shared_claim_problems(
    claims: Mapping[str, list[Claim]],
    place_of: Mapping[str, tuple[str, str, str]],
    file_of: Callable[[str, KeyPath], str],
) -> list[Problem]:
    """Ingress hosts are unique across the hubs of a cluster, TLS secrets across those of a
    namespace (Kubernetes keeps a TLS secret in the Ingress's own namespace, so the same
    `secretName` in two hubs' namespaces is two secrets). `place_of`: hub -> (cluster,
    namespace, domain). A host belongs to the hub whose domain it is under; otherwise, and for
    secrets, the first hub in name order keeps the claim. Every other claimant is an error."""

    def key(hub: str, kind: str, name: str) -> tuple[str, str, str]:
        cluster, namespace, _ = place_of[hub]
        if kind == "host":
            return (cluster, kind, name.lower().rstrip("."))
        return (f"{cluster}/{namespace}", kind, name)

    def own(hub: str, kind: str, name: str) -> bool:
        host, domain = name.lower().rstrip("."), place_of[hub][2]
        return kind == "host" and (host == domain or host.endswith("." + domain))

    ordered = sorted(
        ((not own(h, kind, name), h, kind, where, name) for h in claims for kind, where, name in claims[h]),
        key=lambda t: (t[0], t[1]),
    )
    owner: dict[tuple[str, str, str], str] = {}
    out = []
    for _, hub, kind, where, name in ordered:
        first = owner.setdefault(key(hub, kind, name), hub)
        if first != hub:
            what = "ingress host" if kind == "host" else "TLS secret"
            out.append(
                Problem(
                    file_of(hub, where),
                    f"{what} {name} is already claimed by hub `{first}` on cluster {place_of[hub][0]}: "
                    "each hub needs its own",
                    where,
                    hub=hub,
                )
            )
    return out
