"""Cerberus schemas of our own files, declared once as data (pre-commit's clientlib style).

Unknown keys are rejected everywhere; provider blocks are required per provider.
"""

from __future__ import annotations

# DNS-1123 label: Helm release names (<= 53 chars) and namespaces (<= 63 chars) must be one.
# Every pattern ends in \Z, not $: `$` also matches before a trailing newline ("genomics\n").
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z"
HOSTNAME = r"^(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
NOT_BLANK = r"^(?s:.*\S.*)\Z"  # some visible text: a waiver's reason
PROVIDERS = ("local", "kubeconfig", "gke", "eks", "aks")
STAGES = ("staging", "prod")

# Defaults, declared once: the model's dataclasses and the loader both read these.
DEFAULT_STAGE = "prod"
DEFAULT_LOCAL_PORT = 8000  # a hub on a `provider: local` cluster without `local: {port: N}`
ROLLOUT_DEFAULTS = {
    "max_parallel_per_cluster": 4,
    "max_parallel": 16,
    "timeout": 900,  # seconds per release; also Helm's --timeout
    "wait": False,
    "breaker": 0,  # 0: off
    "stuck": "rollback",
    "atomic": False,
}
HEALTH_DEFAULTS = {"timeout": 300, "retries": 3, "prod": True}
CANARY_DEFAULTS = {"clusters": (), "when": "chart"}

# Policy checks a hub may waive in hub.yaml `waive:`, each with a written reason.
WAIVABLE = ("dummy-authenticator", "allow-all", "tmp-authenticator", "foreign-host")
# Namespaces a hub may not take: Kubernetes' own (`kube-system`, `kube-public`, ...) and `default`.
SYSTEM_NAMESPACE = r"^(kube-.*|default)\Z"

_name = {"type": "string", "required": True, "empty": False}
_str = {"type": "string", "empty": False}

CHART = {
    "repo": {**_str, "regex": r"^(https?|oci)://\S+\Z", "excludes": "path"},
    "name": {**_str},
    "version": {**_str, "excludes": "path"},
    "path": {**_str, "excludes": ["repo", "version"]},
}

SUPPORT_RELEASE = {
    "name": {**_name, "regex": DNS_LABEL, "maxlength": 53},
    "chart": _name,
    "namespace": {**_str, "regex": DNS_LABEL, "maxlength": 63},
}

DEFAULT_FLEET_NAME = "default"

FLEET = {
    # The fleet's name in its ownership marks on clusters (a label value): fleets that deploy to
    # one cluster each need their own (extends contract v1.2, which names no such key).
    "name": {**_str, "regex": DNS_LABEL, "maxlength": 63},
    "charts": {
        "type": "dict",
        "required": True,
        "empty": False,
        "keysrules": {"type": "string", "regex": r"^[a-z0-9]([-a-z0-9_]*[a-z0-9])?\Z"},
        "valuesrules": {"type": "dict", "schema": CHART},
    },
    "default_chart": {**_str, "required": True},
    # Cluster support releases (contract v1.1), deployed in this order before a cluster's hubs.
    "support": {"type": "list", "schema": {"type": "dict", "schema": SUPPORT_RELEASE}},
    "rollout": {
        "type": "dict",
        "schema": {
            "max_parallel_per_cluster": {"type": "integer", "min": 1, "max": 64},
            "max_parallel": {"type": "integer", "min": 1, "max": 512},
            "timeout": {"type": "integer", "min": 10, "max": 86_400},
            "wait": {"type": "boolean"},
            "breaker": {"type": "integer", "min": 0},
            "health": {
                "type": "dict",
                "schema": {
                    "timeout": {"type": "integer", "min": 5, "max": 3_600},
                    "retries": {"type": "integer", "min": 0, "max": 20},
                    "prod": {"type": "boolean"},
                },
            },
            "stuck": {"type": "string", "allowed": ["rollback", "fail"]},
            "atomic": {"type": "boolean"},
            "canary": {
                "type": "dict",
                "schema": {
                    "clusters": {"type": "list", "schema": {"type": "string"}, "required": True},
                    "when": {"type": "string", "allowed": ["chart", "always"]},
                },
            },
        },
    },
}

PROVIDER_BLOCKS = {
    "local": {"host": {**_str}},
    "kubeconfig": {"context": {**_str, "required": True}, "file": {**_str}},
    "gke": {"project": _name, "location": _name, "cluster": _name},
    "eks": {"region": _name, "cluster": _name, "account": {**_str}, "role_arn": {**_str}},
    "aks": {"resource_group": _name, "cluster": _name, "subscription": {**_str}},
}

CLUSTER = {
    "name": {**_name, "regex": DNS_LABEL, "maxlength": 63},
    "provider": {"type": "string", "required": True, "allowed": list(PROVIDERS)},
    "support": {"type": "dict", "schema": {"skip": {"type": "list", "schema": {**_str, "type": "string"}}}},
    **{
        p: {"type": "dict", "schema": block, "dependencies": {"provider": [p]}}
        for p, block in PROVIDER_BLOCKS.items()
    },
}

HUB = {
    "name": {**_name, "regex": DNS_LABEL, "maxlength": 53},
    "cluster": _name,
    "domain": {**_name, "regex": HOSTNAME},
    "stage": {"type": "string", "allowed": list(STAGES)},
    "chart": {**_str},
    "namespace": {**_str, "regex": DNS_LABEL, "maxlength": 63},
    "local": {
        "type": "dict",
        "schema": {"port": {"type": "integer", "min": 1024, "max": 65535}},
    },
    "waive": {
        "type": "dict",
        "keysrules": {"type": "string", "allowed": list(WAIVABLE)},
        "valuesrules": {"type": "string", "empty": False, "regex": NOT_BLANK},
    },
}

# What a provider block must hold; cerberus' `dependencies` only says a block
# belongs to its provider, so `required` per provider is checked in model.py.
REQUIRED_BLOCK = {"kubeconfig", "gke", "eks", "aks"}
