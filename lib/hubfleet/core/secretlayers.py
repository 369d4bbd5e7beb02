"""Layered secrets (contract v1.1), pure: where they sit, what their encrypted form tells.

Three levels, lowest first: `clusters/secrets.yaml` (the fleet), `clusters/<c>/secrets.yaml`
(a cluster), `hubs/<h>/secrets.yaml`. sops leaves keys readable and records each leaf's type
(`ENC[AES256_GCM,data:...,type:str]`), so without any key we can still check the keys against
the chart schema, satisfy required keys with typed placeholders, say which key paths changed
between two commits (never a value), and list the keys a leaving community must set itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hubfleet.core import paths
from hubfleet.core.errors import KeyPath, format_keypath
from hubfleet.core.tree import leaves

__all__ = [
    "ENCRYPTED_STR",
    "FLEET_SECRETS",
    "ciphertext_changes",
    "clear_leaves",
    "cluster_secrets",
    "content_digest",
    "enc_type",
    "encrypted_paths",
    "hub_secret_name",
    "hub_secrets",
    "key_paths",
    "layer_paths",
    "placeholders",
    "service_token_key",
    "shared_paths",
    "strip_sops",
    "token_keypath",
]

FLEET_SECRETS = paths.FLEET_SECRETS
HEALTH_SERVICE = "hubfleet-health"  # the service whose token `invoke health` uses
ENCRYPTED_STR = "<encrypted>"  # the placeholder of an encrypted string leaf

_ENC = re.compile(r"^ENC\[AES256_GCM,data:[^,\]]*,iv:[^,\]]*,tag:[^,\]]*,type:(?P<type>[a-z]+)\]$")
# sops' leaf types -> a value of that type (YAML/JSON types as Helm reads them).
_PLACEHOLDER: dict[str, Any] = {
    "str": ENCRYPTED_STR,
    "bytes": ENCRYPTED_STR,
    "int": 0,
    "float": 0.5,
    "bool": False,
}


def cluster_secrets(cluster: str) -> str:
    return paths.cluster(cluster).secrets


def hub_secrets(hub: str) -> str:
    return paths.hub(hub).secrets


def shared_paths(cluster: str) -> tuple[str, str]:
    """The shared levels a hub on `cluster` inherits, lowest first."""
    return (FLEET_SECRETS, cluster_secrets(cluster))


def layer_paths(cluster: str, hub: str) -> tuple[str, str, str]:
    """Every secrets level of a hub, lowest first (the last `--values` merges them in this order)."""
    return paths.secret_layers(hub, cluster)


def strip_sops(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a sops document (its `sops:` metadata removed)."""
    return {k: v for k, v in doc.items() if k != "sops"}


def enc_type(value: Any) -> str | None:
    """`str`, `int`, `float`, `bool`, `bytes` for a sops-encrypted leaf; None for anything else."""
    if not isinstance(value, str):
        return None
    m = _ENC.match(value)
    return m.group("type") if m else None


def clear_leaves(doc: Mapping[str, Any]) -> list[KeyPath]:
    """Key paths of the leaves sops would have encrypted that are not `ENC[...]`: a value added
    in clear beside encrypted ones (sops finds it only at decryption, by the MAC). Honours the
    settings the file's `sops:` metadata records, as sops applies them to the key path:
    `unencrypted_suffix` (default `_unencrypted`), `encrypted_suffix`, `unencrypted_regex`,
    `encrypted_regex`. With a comment rule (`*_comment_regex`) comments decide, which a parsed
    document no longer holds: nothing is reported then."""
    meta = doc.get("sops") if isinstance(doc.get("sops"), Mapping) else {}
    if any(meta.get(k) for k in ("encrypted_comment_regex", "unencrypted_comment_regex")):
        return []
    return [
        path
        for path, value in leaves(strip_sops(doc))
        if value is not None and enc_type(value) is None and _sops_encrypts(meta, path)
    ]


def _sops_encrypts(meta: Mapping[str, Any], path: KeyPath) -> bool:
    """Whether sops encrypts the value at `path` (sops' `shouldBeEncrypted`, over the path's keys)."""
    keys = [k for k in path if isinstance(k, str)]
    setting = {k: meta.get(k) for k in _SOPS_RULES if isinstance(meta.get(k), str) and meta.get(k)}
    if not setting:
        setting = {"unencrypted_suffix": "_unencrypted"}
    encrypted = True
    if "unencrypted_suffix" in setting:
        encrypted = not any(k.endswith(setting["unencrypted_suffix"]) for k in keys)
    if "encrypted_suffix" in setting:
        encrypted = any(k.endswith(setting["encrypted_suffix"]) for k in keys)
    if "unencrypted_regex" in setting:
        encrypted = not _any_match(setting["unencrypted_regex"], keys)
    if "encrypted_regex" in setting:
        encrypted = _any_match(setting["encrypted_regex"], keys)
    return encrypted


_SOPS_RULES = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")


def _any_match(pattern: str, keys: Sequence[str]) -> bool:
    try:
        found = re.compile(pattern)
    except re.error:
        return True  # a Go-only regex: assume sops encrypts it (a clear leaf is then reported)
    return any(found.search(k) for k in keys)


def placeholders(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The values with each encrypted leaf replaced by a value of its recorded type."""
    return _replace(strip_sops(doc))


def _replace(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _replace(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v) for v in node]
    kind = enc_type(node)
    if kind is None:
        return node
    return _PLACEHOLDER.get(kind, ENCRYPTED_STR)


def encrypted_paths(doc: Mapping[str, Any]) -> frozenset[KeyPath]:
    """Key paths of the encrypted leaves (their values cannot be checked, only their type)."""
    return frozenset(p for p, v in leaves(strip_sops(doc)) if enc_type(v) is not None)


def key_paths(doc: Mapping[str, Any]) -> list[str]:
    """Every leaf's dotted key path, sorted: what a bundle's README lists (no value)."""
    return sorted(format_keypath(p) for p, _ in leaves(strip_sops(doc)))


def content_digest(doc: Mapping[str, Any] | None) -> str | None:
    """A digest of the encrypted values only: re-keying (`sops updatekeys`) changes no value."""
    if doc is None:
        return None
    text = json.dumps(strip_sops(doc), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def ciphertext_changes(was: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> list[str]:
    """Dotted key paths whose encrypted value differs (added, removed, re-encrypted): no values."""
    a = dict(leaves(strip_sops(was or {})))
    b = dict(leaves(strip_sops(now or {})))
    return sorted(format_keypath(p) for p in {*a, *b} if a.get(p, _GONE) != b.get(p, _GONE))


_GONE = object()


# --- the health check's token, as the jupyterhub chart keeps it -------------------------------


def token_keypath(service: str) -> KeyPath:
    return ("hub", "services", service, "apiToken")


def service_token_key(service: str) -> str:
    """The data key of the chart's hub Secret that holds a service's token."""
    return f"hub.services.{service}.apiToken"


def hub_secret_name(release: str, values: Mapping[str, Any], chart_name: str = "jupyterhub") -> str:
    """The name of the Secret the jupyterhub chart creates (`jupyterhub.hub.fullname`).

    The chart's rule: a string `fullnameOverride` is the prefix as is (`""`, its default: no
    prefix); otherwise `<release>-<nameOverride or chart name>`, or the release alone when it
    already contains that name. A wrapper chart reads the overrides under `jupyterhub:`.
    """
    scope: Mapping[str, Any] = values
    if chart_name != "jupyterhub" and isinstance(values.get("jupyterhub"), Mapping):
        scope = values["jupyterhub"]
    override = scope.get("fullnameOverride", "")
    if isinstance(override, str):
        prefix = override
    else:
        name = scope.get("nameOverride") or "jupyterhub"  # the subchart's own .Chart.Name
        prefix = release if str(name) in release else f"{release}-{name}"
    return f"{prefix}-hub" if prefix else "hub"


def merged_token(layers: Sequence[Mapping[str, Any]], service: str) -> Any:
    """The service token of the highest layer setting it (decrypted layers), else None."""
    found = None
    for layer in layers:
        node: Any = layer
        for part in token_keypath(service):
            node = node.get(part) if isinstance(node, dict) else None
        if node not in (None, ""):
            found = node
    return found
