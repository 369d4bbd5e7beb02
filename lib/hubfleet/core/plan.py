"""What a change between two commits must deploy: pure functions over plain data.

A hub is planned exactly when what Helm would receive for it differs (the
contract): rendered values, secrets file bytes, chart (repo, name, version, or a
chart folder's content), release, namespace, cluster. The imperative shell
(`commands/plan.py`) gathers `HubInput`s for both commits; a hub whose raw input
bytes are all equal (`raw`) is unchanged without rendering (`needs_render`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hubfleet.core import secretlayers
from hubfleet.core.errors import KeyPath, Problem, ProblemsError, format_keypath
from hubfleet.core.model import Canary
from hubfleet.core.schemas import STAGES
from hubfleet.core.versions import is_downgrade

__all__ = [
    "BROKEN",
    "HubInput",
    "Plan",
    "PlannedHub",
    "PlannedSupport",
    "Removed",
    "canary_first",
    "changes_chart",
    "downgrades",
    "needs_render",
    "order_key",
    "plan",
    "plan_from_json",
    "plan_support",
    "removed_still_present",
    "staging_warnings",
    "value_changes",
]

BROKEN = "<did not render>"  # `values` of a hub that failed to render (at base only)
MAX_KEYS = 5  # dotted keys named in a reason before "+N more"


@dataclass(frozen=True)
class HubInput:
    """One hub at one commit: everything Helm receives, plus raw digests for the fast path."""

    name: str
    cluster: str
    stage: str
    release: str
    namespace: str
    chart: tuple[str, ...]  # (kind, repo, name, version, folder digest)
    chart_label: str  # "jupyterhub 4.4.0" / "charts/basehub (folder)"
    # (file, digest of its encrypted values) of each secrets level that exists, lowest first
    # (v1.1: fleet, cluster, hub; a support release: its own file). Re-keying changes no digest.
    secrets: tuple[tuple[str, str], ...]
    raw: tuple[Any, ...]  # digests of every input file and the chart entry
    values: Mapping[str, Any] | str | None = None  # rendered values, BROKEN, or None: not rendered
    # file -> its encrypted document, to name the key paths that changed (never a value)
    secret_docs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PlannedHub:
    name: str
    cluster: str
    stage: str
    reasons: tuple[str, ...]
    before: Mapping[str, Any] | None = field(default=None, compare=False)  # for diffs, not in JSON
    after: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PlannedSupport:
    """A support release (contract v1.1) whose Helm input differs: it deploys before the cluster's hubs."""

    cluster: str
    name: str
    reasons: tuple[str, ...]
    before: Mapping[str, Any] | None = field(default=None, compare=False)
    after: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Removed:
    name: str
    cluster: str


@dataclass(frozen=True)
class Plan:
    base: str
    head: str
    hubs: tuple[PlannedHub, ...]
    removed: tuple[Removed, ...] = ()
    support: tuple[PlannedSupport, ...] = ()  # v1.1; in fleet.yaml order per cluster

    def clusters(self) -> list[str]:
        return sorted({h.cluster for h in self.hubs} | {s.cluster for s in self.support})

    def to_json(self) -> dict[str, Any]:
        """The contract's shape, exactly (v1.1 adds `support` when a support release changed)."""
        out: dict[str, Any] = {
            "base": self.base,
            "head": self.head,
            "hubs": [
                {"name": h.name, "cluster": h.cluster, "stage": h.stage, "reasons": list(h.reasons)}
                for h in self.hubs
            ],
            "removed": [{"name": r.name, "cluster": r.cluster} for r in self.removed],
        }
        if self.support:
            out["support"] = [
                {"cluster": s.cluster, "name": s.name, "reasons": list(s.reasons)} for s in self.support
            ]
        return out


def order_key(cluster: str, stage: str, name: str) -> tuple[str, int, str]:
    """Clusters by name; within one, staging before prod."""
    return (cluster, 0 if stage == "staging" else 1, name)


def needs_render(base: Mapping[str, HubInput], head: Mapping[str, HubInput]) -> list[str]:
    """Head hubs whose raw inputs differ from base (new hubs included): only these render."""
    return sorted(n for n, h in head.items() if n not in base or base[n].raw != h.raw)


def plan(
    base: Mapping[str, HubInput],
    head: Mapping[str, HubInput],
    base_sha: str = "",
    head_sha: str = "",
    base_broken: Iterable[str] = (),
) -> Plan:
    """Compare each head hub with base; `base_broken`: hubs whose files did not load at base."""
    broken = set(base_broken)
    hubs = []
    for name, now in head.items():
        reasons = hub_reasons(base.get(name), now)
        if reasons == ["new hub"] and name in broken:
            reasons = ["hub did not load at base"]
        if reasons:
            was = base.get(name)
            before = was.values if was is not None and isinstance(was.values, Mapping) else None
            after = now.values if isinstance(now.values, Mapping) else None
            hubs.append(PlannedHub(name, now.cluster, now.stage, tuple(reasons), before, after))
    hubs.sort(key=lambda h: order_key(h.cluster, h.stage, h.name))
    removed = sorted((Removed(n, b.cluster) for n, b in base.items() if n not in head), key=_removed_key)
    return Plan(base_sha, head_sha, tuple(hubs), tuple(removed))


def plan_support(base: Mapping[str, HubInput], head: Mapping[str, HubInput]) -> tuple[PlannedSupport, ...]:
    """Support releases whose Helm input differs (the hubs' rule), keyed `cluster/release`; head's
    order (fleet.yaml's, cluster by cluster) is kept. A release no longer run is not uninstalled."""
    out = []
    for key, now in head.items():
        reasons = hub_reasons(base.get(key), now)
        if reasons == ["new hub"]:
            reasons = ["new support release"]
        if reasons:
            was = base.get(key)
            before = was.values if was is not None and isinstance(was.values, Mapping) else None
            after = now.values if isinstance(now.values, Mapping) else None
            out.append(PlannedSupport(now.cluster, now.release, tuple(reasons), before, after))
    return tuple(out)


def _removed_key(r: Removed) -> tuple[str, str]:
    return (r.cluster, r.name)


def hub_reasons(was: HubInput | None, now: HubInput) -> list[str]:
    """Why Helm's input for this hub differs; empty when it does not."""
    if was is None:
        return ["new hub"]
    if was.raw == now.raw:
        return []
    out = []
    if was.cluster != now.cluster:
        out.append(f"moved cluster {was.cluster} -> {now.cluster}")
    if was.release != now.release:
        out.append(f"release {was.release} -> {now.release}")
    if was.namespace != now.namespace:
        out.append(f"namespace {was.namespace} -> {now.namespace}")
    if was.chart != now.chart:
        out.append(_chart_reason(was, now))
    if was.secrets != now.secrets:
        out += _secrets_reasons(was, now)
    if was.values == BROKEN:
        out.append("values did not render at base")
    elif was.values is None or now.values is None:
        raise ValueError(f"hub {now.name}: raw inputs differ but values were not rendered")
    elif was.values != now.values:
        out.append(_values_reason(value_changes(was.values, now.values)))  # type: ignore[arg-type]
    return out


def changes_chart(reasons: Iterable[str]) -> bool:
    """Whether a planned hub's reasons include a chart change (canary `when: chart`)."""
    return any(r.startswith("chart ") for r in reasons)


def canary_first(hubs: Iterable[PlannedHub], canary: Canary) -> bool:
    """Whether a rollout of these hubs goes canary-first: canary clusters are targeted and
    `when: always`, or `when: chart` and some hub's chart changes."""
    hubs = list(hubs)
    if not set(canary.clusters) & {h.cluster for h in hubs}:
        return False
    return canary.when == "always" or any(changes_chart(h.reasons) for h in hubs)


def _chart_reason(was: HubInput, now: HubInput) -> str:
    """`chart jupyterhub 4.3.5 -> 4.4.0`, `... : a downgrade`, `chart jupyterhub 4.4.0: repository A -> B`."""
    if was.chart[:4] == now.chart[:4] and was.chart_label == now.chart_label:
        return f"chart {now.chart_label}: folder content changed"
    (kind, repo, name, version), (kind2, repo2, name2, version2) = was.chart[:4], now.chart[:4]
    moved = kind == kind2 and kind in ("repo", "oci") and repo != repo2
    if was.chart_label == now.chart_label and moved:
        return f"chart {now.chart_label}: repository {repo} -> {repo2}"
    reason = f"chart {was.chart_label} -> {now.chart_label}"
    if moved:
        reason += f", repository {repo} -> {repo2}"
    if name == name2 and is_downgrade(version, version2):
        reason += ": a downgrade"
    return reason


def downgrades(plan: Plan) -> list[PlannedHub]:
    """Planned hubs whose chart goes back to an older version."""
    return [
        h for h in plan.hubs if any(r.startswith("chart ") and r.endswith(": a downgrade") for r in h.reasons)
    ]


def _secrets_reasons(was: HubInput, now: HubInput) -> list[str]:
    """Which secrets files changed, and at which key paths: never a value."""
    a, b = dict(was.secrets), dict(now.secrets)
    out = []
    for path in [*a, *(f for f in b if f not in a)]:
        if path not in b:
            out.append(f"{path} removed")
        elif path not in a:
            out.append(f"{path} added")
        elif a[path] != b[path]:
            keys = secretlayers.ciphertext_changes(was.secret_docs.get(path), now.secret_docs.get(path))
            shown = ", ".join(keys[:MAX_KEYS]) + (
                f" (+{len(keys) - MAX_KEYS} more)" if len(keys) > MAX_KEYS else ""
            )
            out.append(f"{path} changed" + (f": {shown}" if keys else ""))
    return out


def _values_reason(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:MAX_KEYS])
    more = f" (+{len(paths) - MAX_KEYS} more)" if len(paths) > MAX_KEYS else ""
    return f"values changed: {shown}{more}"


def value_changes(a: Any, b: Any, path: KeyPath = ()) -> list[str]:
    """Dotted paths where two rendered value trees differ (mappings recurse, the rest compare whole)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        out: list[str] = []
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in a or key not in b:
                out.append(format_keypath((*path, key)) or "(root)")
            elif a[key] != b[key]:
                out += value_changes(a[key], b[key], (*path, key))
        return out
    return [] if a == b else [format_keypath(path) or "(root)"]


# --- the contract's JSON -----------------------------------------------------------------

SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_TOP = {"base": str, "head": str, "hubs": list, "removed": list}
_HUB = {"name": str, "cluster": str, "stage": str, "reasons": list}
_REMOVED = {"name": str, "cluster": str}
_SUPPORT = {"cluster": str, "name": str, "reasons": list}  # v1.1, optional at the top


def plan_from_json(doc: Any, file: str) -> Plan:
    """A Plan from the contract's JSON shape (parsed), checked; every problem is one located line."""
    support_doc = doc.get("support") if isinstance(doc, dict) else None
    top = {k: v for k, v in doc.items() if k != "support"} if isinstance(doc, dict) else doc
    problems = _shape(top, _TOP, (), file)
    if support_doc is not None and not isinstance(support_doc, list):
        problems.append(Problem(file, "must be a list", ("support",)))
    if problems:
        raise ProblemsError(problems)
    for key in ("base", "head"):
        if not SHA.match(doc[key]):
            problems.append(Problem(file, f"must be a full commit SHA (got {doc[key]!r})", (key,)))
    hubs, removed, seen = [], [], set()
    for i, item in enumerate(doc["hubs"]):
        found = _shape(item, _HUB, ("hubs", i), file)
        if not found and item["stage"] not in STAGES:
            found.append(
                Problem(file, f"must be staging or prod (got {item['stage']!r})", ("hubs", i, "stage"))
            )
        if not found and not all(isinstance(r, str) for r in item["reasons"]):
            found.append(Problem(file, "must be a list of strings", ("hubs", i, "reasons")))
        if not found and item["name"] in seen:
            found.append(Problem(file, f"hub {item['name']} is listed twice", ("hubs", i, "name")))
        problems += found
        if not found:
            seen.add(item["name"])
            hubs.append(PlannedHub(item["name"], item["cluster"], item["stage"], tuple(item["reasons"])))
    for i, item in enumerate(doc["removed"]):
        found = _shape(item, _REMOVED, ("removed", i), file)
        problems += found
        if not found:
            removed.append(Removed(item["name"], item["cluster"]))
    support, pairs = [], set()
    for i, item in enumerate(support_doc or []):
        found = _shape(item, _SUPPORT, ("support", i), file)
        if not found and not all(isinstance(r, str) for r in item["reasons"]):
            found.append(Problem(file, "must be a list of strings", ("support", i, "reasons")))
        if not found and (item["cluster"], item["name"]) in pairs:
            found.append(
                Problem(
                    file,
                    f"support release {item['name']} on {item['cluster']} is listed twice",
                    ("support", i),
                )
            )
        problems += found
        if not found:
            pairs.add((item["cluster"], item["name"]))
            support.append(PlannedSupport(item["cluster"], item["name"], tuple(item["reasons"])))
    if problems:
        raise ProblemsError(problems)
    hubs.sort(key=lambda h: order_key(h.cluster, h.stage, h.name))
    return Plan(doc["base"], doc["head"], tuple(hubs), tuple(removed), tuple(support))


def removed_still_present(plan: Plan, present: Mapping[str, str], file: str) -> list[Problem]:
    """Pure: a `removed` entry naming a hub the repository still has (`present`: name -> its hub.yaml).

    A plan from another commit, or a hostile one, must never uninstall a live hub."""
    return [
        Problem(
            file,
            f"hub {r.name} is still in hubs/ ({present[r.name]}): a plan never removes a hub the "
            "repository has; make the plan again with `invoke plan`",
            ("removed", i, "name"),
        )
        for i, r in enumerate(plan.removed)
        if r.name in present
    ]


def _shape(doc: Any, fields: Mapping[str, type], where: tuple, file: str) -> list[Problem]:
    """Exactly these keys, each of its type (no extra keys: the contract's shape is exact)."""
    if not isinstance(doc, dict):
        return [Problem(file, f"must be an object with keys {', '.join(fields)}", where)]
    out = [Problem(file, "required key is missing", (*where, k)) for k in fields if k not in doc]
    out += [
        Problem(file, f"unknown key; allowed: {', '.join(fields)}", (*where, k))
        for k in doc
        if k not in fields
    ]
    for key, kind in fields.items():
        value = doc.get(key)
        if key in doc and (not isinstance(value, kind) or (kind is str and not value)):
            what = "a non-empty string" if kind is str else f"a {'list' if kind is list else kind.__name__}"
            out.append(Problem(file, f"must be {what} (got {value!r})", (*where, key)))
    return out


def staging_warnings(plan: Plan, staging_of: Mapping[str, Sequence[str]]) -> list[str]:
    """Pure: a warning per cluster whose prod hubs are planned but which has no staging hub at all
    (so no canary check runs before them)."""
    out = []
    for cluster in plan.clusters():
        prod = [h for h in plan.hubs if h.cluster == cluster and h.stage != "staging"]
        if prod and not staging_of.get(cluster):
            out.append(
                f"cluster {cluster} has no staging hub: its {len(prod)} prod hub(s) deploy with no canary "
                f"check before them (add a hub with `stage: staging` on it)"
            )
    return out
