"""JSON Schemas for editors, made from the schemas the project already has (pure).

- `from_cerberus(schema)`: our own files (`fleet.yaml`, `cluster.yaml`, `hub.yaml`) from their
  Cerberus schemas, plus the few per-file rules the model adds (`EXTRA_RULES`), with a
  description for every key from `DESCRIPTIONS`;
- `values_layer(chart_schema, defaults, comments)`: a values layer from the chart's own
  `values.schema.json`, loosened for a *layer* (no `required`: the other layers and the chart's
  defaults fill them; a `${...}` interpolation may stand where a number or boolean goes), with the
  chart's descriptions, else the comment above the key in the chart's `values.yaml`, and the
  chart's defaults as `default` (editors complete them);
- `comment_descriptions(values_yaml_text)`: those comments, by key path.

Draft-07, the newest draft yaml-language-server (VS Code's YAML extension) supports fully.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = [
    "DESCRIPTIONS",
    "DRAFT",
    "comment_descriptions",
    "from_cerberus",
    "values_layer",
]

DRAFT = "http://json-schema.org/draft-07/schema#"
INTERPOLATION = r"\$\{[^}]+\}"  # `${hub:name}`, `${singleuser.memory.limit}`: resolved at render

_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "dict": "object", "list": "array"}
# Cerberus rules handled here; any other rule in a schema is a bug to fix here (a test checks).
_RULES = frozenset(
    (
        "type",
        "required",
        "empty",
        "regex",
        "maxlength",
        "allowed",
        "min",
        "max",
        "schema",
        "keysrules",
        "valuesrules",
        "dependencies",
        "excludes",
    )
)

# What each key means, by file kind and dotted key path ("*" = any key of a mapping).
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "fleet": {
        "": "The fleet: its chart catalogue, default chart and rollout settings. Marks the fleet root.",
        "charts": "Chart catalogue: key -> a repository chart (repo + version) or a chart folder (path).",
        "charts.*": "One chart; hubs name it by this key in hub.yaml `chart:`.",
        "charts.*.repo": "http(s) chart repository URL or oci:// registry path.",
        "charts.*.name": "Chart name in that repository (default: the key).",
        "charts.*.version": "Chart version, pinned (required for repository charts).",
        "charts.*.path": "A chart folder inside this repository, e.g. charts/basehub.",
        "default_chart": "Key of `charts:` used by hubs that name no `chart:`.",
        "name": "The fleet's name (a DNS label; default `default`) in the ownership marks on its clusters' "
        "namespaces: two repositories deploying to one cluster each need their own.",
        "rollout": "How `invoke deploy` rolls changes out (all optional).",
        "rollout.max_parallel_per_cluster": "Concurrent Helm releases on one cluster (default 4).",
        "rollout.max_parallel": "Concurrent Helm releases in the whole fleet (default 16).",
        "rollout.timeout": "Seconds per release: Helm's --timeout, then the release is killed (default 900).",
        "rollout.wait": "Pass --wait to helm upgrade (default false).",
        "rollout.breaker": "After N clusters failed, start no new cluster (default 0: off).",
        "rollout.health": "The health check after each staging hub.",
        "rollout.health.timeout": "Seconds for one health check (default 300).",
        "rollout.health.retries": "Retries of a failed health check (default 3).",
        "rollout.health.prod": "Also health-check each prod hub after it deploys (reported in the results).",
        "rollout.stuck": "A release left pending by an earlier run: rollback (first) or fail.",
        "rollout.atomic": "Pass --atomic to helm upgrade: a failed release rolls back by itself.",
        "rollout.canary": "Clusters that go first; the rest only if they succeed.",
        "rollout.canary.clusters": "Folders under clusters/ that deploy first.",
        "rollout.canary.when": "chart: only plans that change a chart go canary-first; always: every plan.",
        "support": "Cluster support releases (ingress, cert-manager, ...), deployed in this order "
        "on every cluster.",
    },
    "cluster": {
        "": "One Kubernetes cluster (or `local`: hubs on this machine).",
        "name": "The cluster's name: equal to its folder under clusters/.",
        "provider": "How hubfleet reaches the cluster: local | kubeconfig | gke | eks | aks.",
        "local": "provider local: hubs run as JupyterHub processes on this machine.",
        "local.host": "Address local hubs listen on.",
        "kubeconfig": "provider kubeconfig: a context of a kubeconfig.",
        "kubeconfig.context": "The kubeconfig context (Helm's --kube-context).",
        "kubeconfig.file": "A sops-encrypted kubeconfig in this cluster's folder (default: your own).",
        "gke": "provider gke: `gcloud container clusters get-credentials`.",
        "gke.project": "Google Cloud project.",
        "gke.location": "Region or zone of the cluster.",
        "gke.cluster": "GKE cluster name.",
        "eks": "provider eks: `aws eks update-kubeconfig`.",
        "eks.region": "AWS region.",
        "eks.cluster": "EKS cluster name.",
        "eks.account": "AWS account id (documentation; quote it).",
        "eks.role_arn": "IAM role to assume for the cluster.",
        "aks": "provider aks: `az aks get-credentials`.",
        "aks.resource_group": "Azure resource group.",
        "aks.cluster": "AKS cluster name.",
        "aks.subscription": "Azure subscription.",
        "support": "This cluster's support releases.",
        "support.skip": "Support releases this cluster does not run (a managed ingress, say).",
    },
    "hub": {
        "": "One JupyterHub.",
        "name": "The hub's name: equal to its folder, the Helm release and the default namespace.",
        "cluster": "A folder under clusters/.",
        "domain": "The hub's host name, unique in the fleet.",
        "stage": "staging | prod (default prod): a cluster's staging hubs deploy and pass health first.",
        "chart": "Key of fleet.yaml `charts:` (default: default_chart).",
        "namespace": "Kubernetes namespace (default: the name); unique per cluster.",
        "local": "Only for hubs on a `provider: local` cluster.",
        "local.port": "Loopback port of the local hub (default 8000).",
        "waive": "Policy checks this hub waives, each with a written reason.",
    },
}

# Per-file rules the model checks after Cerberus that an editor can show too (draft-07).
EXTRA_RULES: dict[str, list[dict[str, Any]]] = {
    "cluster": [
        {
            "if": {"properties": {"provider": {"const": p}}, "required": ["provider"]},
            "then": {"required": [p]},
        }
        for p in ("kubeconfig", "gke", "eks", "aks")
    ],
}
_CHART_EXTRA = {  # a chart is a repository chart with a version, or a folder
    "anyOf": [{"required": ["path"]}, {"required": ["repo", "version"]}],
}


def from_cerberus(schema: Mapping[str, Any], kind: str, title: str) -> dict[str, Any]:
    """The JSON Schema of one of our files; `kind` picks descriptions and extra rules."""
    docs = DESCRIPTIONS.get(kind, {})
    out: dict[str, Any] = {"$schema": DRAFT, "title": title, **_mapping(schema, docs, ())}
    if docs.get(""):
        out["description"] = docs[""]
    extra = EXTRA_RULES.get(kind)
    if extra:
        out["allOf"] = copy.deepcopy(extra)
    if kind == "fleet":
        out["properties"]["charts"]["additionalProperties"].update(copy.deepcopy(_CHART_EXTRA))
    return out


def _mapping(schema: Mapping[str, Any], docs: Mapping[str, str], path: tuple[str, ...]) -> dict[str, Any]:
    props = {key: _field(rules, docs, (*path, key), schema) for key, rules in schema.items()}
    required = sorted(key for key, rules in schema.items() if rules.get("required"))
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    deps = _dependencies(schema)
    if deps:
        out["dependencies"] = deps
    return out


def _field(
    rules: Mapping[str, Any], docs: Mapping[str, str], path: tuple[str, ...], siblings: Mapping[str, Any]
) -> dict[str, Any]:
    unknown = set(rules) - _RULES
    if unknown:
        raise ValueError(f"{'.'.join(path)}: no JSON Schema for Cerberus rule(s) {sorted(unknown)}")
    kind = rules.get("type")
    out: dict[str, Any] = {}
    if kind == "dict" and "schema" in rules:
        out.update(_mapping(rules["schema"], docs, path))
    elif kind is not None:
        out["type"] = _TYPES[kind]
    if kind == "list" and "schema" in rules:
        out["items"] = _field(rules["schema"], docs, (*path, "[]"), {})
    if rules.get("empty") is False:
        out[{"dict": "minProperties", "list": "minItems"}.get(kind or "", "minLength")] = 1
    if "regex" in rules:
        out["pattern"] = f"^(?:{ecma_pattern(rules['regex'])})$"  # Cerberus matches the whole value
    if "maxlength" in rules:
        out["maxLength"] = rules["maxlength"]
    if "allowed" in rules:
        out["enum"] = list(rules["allowed"])
    if "min" in rules:
        out["minimum"] = rules["min"]
    if "max" in rules:
        out["maximum"] = rules["max"]
    if "keysrules" in rules:
        out["propertyNames"] = _field(rules["keysrules"], docs, (*path, "<key>"), {})
        out["propertyNames"].pop("type", None)  # keys are strings already
    if "valuesrules" in rules:
        out["additionalProperties"] = _field(rules["valuesrules"], docs, (*path, "*"), {})
    text = docs.get(".".join(path))
    if text:
        out["description"] = text
    return out


def ecma_pattern(python_regex: str) -> str:
    """A Python pattern in JSON Schema's (ECMA-262) dialect: editors run it in JavaScript, which has
    no `\\A`/`\\Z` (there `^`/`$` without the m flag anchor the whole input) and no `(?s:...)`
    (there `[\\s\\S]` is a dot that also matches newlines)."""
    out: list[str] = []
    dotall: list[bool] = []  # per open group: inside a `(?s:` group
    in_class = False
    i = 0
    while i < len(python_regex):
        c = python_regex[i]
        if c == "\\" and i + 1 < len(python_regex):
            nxt = python_regex[i + 1]
            out.append({"A": "^", "Z": "$"}.get(nxt, c + nxt) if not in_class else c + nxt)
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
        elif python_regex.startswith("(?s:", i):
            dotall.append(True)
            out.append("(?:")
            i += 4
            continue
        elif c == "(":
            dotall.append(bool(dotall and dotall[-1]))
            out.append(c)
        elif c == ")":
            if dotall:
                dotall.pop()
            out.append(c)
        elif c == "." and dotall and dotall[-1]:
            out.append("[\\s\\S]")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _dependencies(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Cerberus `dependencies` ({"provider": ["gke"]}) and `excludes` as draft-07 `dependencies`."""
    out: dict[str, Any] = {}
    for key, rules in schema.items():
        parts: list[dict[str, Any]] = []
        deps = rules.get("dependencies")
        if isinstance(deps, Mapping):
            props = {dep: {"enum": list(allowed)} for dep, allowed in deps.items()}
            parts.append({"properties": props, "required": sorted(deps)})
        elif deps:
            parts.append({"required": [deps] if isinstance(deps, str) else list(deps)})
        excluded = rules.get("excludes")
        if excluded:
            names = [excluded] if isinstance(excluded, str) else list(excluded)
            parts.append({"not": {"anyOf": [{"required": [n]} for n in names]}})
        if parts:
            out[key] = parts[0] if len(parts) == 1 else {"allOf": parts}
    return out


# --- values layers from a chart's own schema ---------------------------------------------


def values_layer(
    chart_schema: Mapping[str, Any] | None,
    defaults: Mapping[str, Any],
    comments: Mapping[tuple[str, ...], str],
    title: str,
) -> dict[str, Any]:
    """The schema of one values layer of a hub on this chart (see the module's docstring).

    A chart without a `values.schema.json` gets an open schema from its defaults: every key
    completes, with its comment and default, and no key is an error (Helm checks nothing either).
    """
    if chart_schema is None:
        root = _from_defaults(defaults)
    else:
        root = _loosen(copy.deepcopy(dict(chart_schema)))
        root.pop("$schema", None)
    _annotate(root, defaults, comments, ())
    return {"$schema": DRAFT, "title": title, **root}


_SCALARS = {"integer", "number", "boolean", "null"}


def _loosen(node: Any) -> Any:
    """No `required` anywhere; a `${...}` string may stand where only non-strings go."""
    if isinstance(node, list):
        return [_loosen(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: (v if k in ("enum", "const", "default", "examples") else _loosen(v)) for k, v in node.items()}
    out.pop("required", None)
    if isinstance(out.get("properties"), dict):  # keys named like keywords are plain properties
        out["properties"] = {k: _loosen(v) for k, v in node["properties"].items()}
    kinds = out.get("type")
    kinds = {kinds} if isinstance(kinds, str) else set(kinds or ())
    if kinds and kinds <= _SCALARS:
        described = {k: out.pop(k) for k in ("description", "title") if k in out}
        return {"anyOf": [out, {"type": "string", "pattern": INTERPOLATION}], **described}
    return out


def _from_defaults(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {"type": "object", "properties": {str(k): _from_defaults(v) for k, v in value.items()}}
    return {}


def _annotate(
    node: dict[str, Any], defaults: Any, comments: Mapping[tuple[str, ...], str], path: tuple[str, ...]
) -> None:
    if path and "description" not in node and path in comments:
        node["description"] = comments[path]
    if path and "default" not in node and defaults is not None and not isinstance(defaults, Mapping):
        node["default"] = defaults
    props = _properties(node)
    if props is None:
        return
    for key, child in props.items():
        if isinstance(child, dict):
            sub = defaults.get(key) if isinstance(defaults, Mapping) else None
            _annotate(child, sub, comments, (*path, key))


def _properties(node: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(node.get("properties"), dict):
        return node["properties"]
    for branch in node.get("anyOf", ()):  # a loosened scalar has no properties
        if isinstance(branch, dict) and isinstance(branch.get("properties"), dict):
            return branch["properties"]
    return None


# --- descriptions from the comments of a chart's values.yaml ------------------------------

_HELM_DOCS = re.compile(r"^--\s?")  # helm-docs' `# -- text` marks a description


def comment_descriptions(text: str) -> dict[tuple[str, ...], str]:
    """Key path -> the comment lines right above that key (helm-docs' `# --` marker removed).

    Unparsable text gives no descriptions (the chart still works without them).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines = text.splitlines()
    out: dict[tuple[str, ...], str] = {}
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, path = stack.pop()
        if not isinstance(node, yaml.MappingNode):
            continue
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            here = (*path, str(key.value))
            found = _comment_above(lines, key.start_mark.line)
            if found:
                out[here] = found
            stack.append((value, here))
    return out


def _comment_above(lines: list[str], line: int) -> str:
    block: list[str] = []
    for i in range(line - 1, -1, -1):
        stripped = lines[i].strip()
        if not stripped.startswith("#"):
            break
        block.append(stripped.lstrip("#").strip())
    block.reverse()
    kept = [_HELM_DOCS.sub("", b) for b in block if not b.startswith("@")]
    return "\n".join(kept).strip()
