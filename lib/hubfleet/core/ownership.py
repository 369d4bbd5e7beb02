"""Ownership on a cluster: what hubfleet marks when it deploys a hub, and the one check that every
destructive verb (`deploy --prune`'s uninstall, `--delete-namespaces`) passes first.

Deploying a hub labels its namespace (a separate `kubectl label` after Helm, so the contract's
Helm command stays the plain one): `app.kubernetes.io/managed-by=hubfleet`, the fleet (fleet.yaml
`name:`), the fleet's cluster and the hub, and `hubfleet.io/created-namespace=true` when the
namespace did not exist before hubfleet's first deploy there. A namespace made by someone else is
marked without it, and is never deleted. A namespace another fleet marked (two repositories
deploying to one cluster) is never acted on; one marked before fleets carried a name counts as
this fleet's until its next deploy adds the name.

Pure: the cluster's answers (namespaces and objects as `kubectl get -o json` documents) come in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CLUSTER",
    "CREATED",
    "FLEET",
    "HUB",
    "MANAGED_BY",
    "Target",
    "foreign_objects",
    "marks",
    "marks_missing",
    "namespace_kept_because",
    "prune_target",
    "selector",
]

MANAGED_BY = "app.kubernetes.io/managed-by"
HUBFLEET = "hubfleet"
FLEET = "hubfleet.io/fleet"
CLUSTER = "hubfleet.io/cluster"
HUB = "hubfleet.io/hub"
CREATED = "hubfleet.io/created-namespace"
SYSTEM = re.compile(r"^(default|kube-.*)$")
# What Kubernetes itself puts in every namespace (not objects anyone deployed).
BUILTIN = {("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")}
IGNORED_KINDS = {"Event"}


def marks(cluster: str, hub: str, *, fleet: str, created: bool) -> dict[str, str]:
    """The labels a hub's namespace carries once hubfleet deployed the hub there."""
    out = {MANAGED_BY: HUBFLEET, FLEET: fleet, CLUSTER: cluster, HUB: hub}
    return {**out, CREATED: "true"} if created else out


def selector(cluster: str, hub: str) -> str:
    """`kubectl get namespaces --selector` for the namespace hubfleet marked as `hub`'s (of any
    fleet: `prune_target` keeps this fleet's, and those marked before fleets had names)."""
    return f"{MANAGED_BY}={HUBFLEET},{CLUSTER}={cluster},{HUB}={hub}"


def _labels(doc: Mapping[str, Any] | None) -> Mapping[str, str]:
    meta = (doc or {}).get("metadata") or {}
    return meta.get("labels") or {}


def _name(doc: Mapping[str, Any]) -> str:
    return str((doc.get("metadata") or {}).get("name"))


def _of_fleet(labels: Mapping[str, str], fleet: str) -> bool:
    """Whether marks are this fleet's: its name, or none (marked before fleets carried names)."""
    return labels.get(FLEET, fleet) == fleet


def marks_missing(
    namespace: Mapping[str, Any] | None, cluster: str, hub: str, *, fleet: str
) -> dict[str, str]:
    """The labels to add after deploying `hub` into `namespace` (its document before the deploy;
    None: it did not exist, so hubfleet's Helm created it). Empty when it is marked already."""
    labels = _labels(namespace)
    created = namespace is None or (
        labels.get(CREATED) == "true" and labels.get(HUB) == hub and _of_fleet(labels, fleet)
    )
    want = marks(cluster, hub, fleet=fleet, created=created)
    if not created and CREATED in labels:  # another hub's namespace, taken over: not created for this one
        want[CREATED] = "false"
    return {k: v for k, v in want.items() if labels.get(k) != v}


@dataclass(frozen=True)
class Target:
    """What prune may act on for one removed hub: the release in `namespace`, or nothing (`why`)."""

    namespace: str | None
    why: str = ""


def prune_target(
    hub: str,
    cluster: str,
    marked: Sequence[Mapping[str, Any]],
    protected: Mapping[str, str],
    *,
    fleet: str,
) -> Target:
    """The namespace this fleet marked as `hub`'s on `cluster` (from `kubectl get namespaces
    --selector`), if prune may act there. `protected`: namespace -> what the fleet still runs in it
    (a hub, a support release)."""
    mine = [d for d in marked if _of_fleet(_labels(d), fleet)]
    names = sorted(_name(d) for d in mine)
    if not names and marked:
        others = sorted(f"{_name(d)} (fleet {_labels(d).get(FLEET)})" for d in marked)
        return Target(
            None, f"only another fleet marked a namespace as hub {hub}'s: {', '.join(others)}: nothing done"
        )
    if not names:
        return Target(
            None, f"no namespace on the cluster is marked as hub {hub}'s: nothing hubfleet deployed"
        )
    if len(names) > 1:
        return Target(
            None, f"several namespaces are marked as hub {hub}'s ({', '.join(names)}): nothing done"
        )
    [namespace] = names
    if SYSTEM.match(namespace):
        return Target(None, f"namespace {namespace} is a Kubernetes system namespace: nothing done")
    if namespace in protected:
        return Target(None, f"namespace {namespace} holds {protected[namespace]}: nothing done")
    return Target(namespace)


def foreign_objects(items: Iterable[Mapping[str, Any]], release: str, namespace: str) -> list[str]:
    """The objects (`Kind/name`) in a namespace that are not the release's, nor Kubernetes' own:
    anything of these keeps the namespace. Objects already being deleted, owned by another object
    (garbage-collected with it), or carrying Helm's ownership annotations for `release` are the
    release's."""
    out = []
    for item in items:
        kind = str(item.get("kind", ""))
        meta = item.get("metadata") or {}
        name = str(meta.get("name", ""))
        notes = meta.get("annotations") or {}
        mine = (
            notes.get("meta.helm.sh/release-name") == release
            and notes.get("meta.helm.sh/release-namespace") == namespace
        )
        labels = meta.get("labels") or {}
        helm_record = kind == "Secret" and labels.get("owner") == "helm" and labels.get("name") == release
        if (
            kind in IGNORED_KINDS
            or (kind, name) in BUILTIN
            or meta.get("deletionTimestamp")
            or meta.get("ownerReferences")
            or mine
            or helm_record
        ):
            continue
        out.append(f"{kind}/{name}")
    return sorted(out)


def namespace_kept_because(
    namespace_doc: Mapping[str, Any] | None,
    hub: str,
    others: Sequence[str],
    foreign: Sequence[str],
    *,
    fleet: str,
) -> str:
    """Why `--delete-namespaces` keeps a pruned hub's namespace ('' : it may be deleted).
    `others`: other Helm releases in it; `foreign`: `foreign_objects`."""
    labels = _labels(namespace_doc)
    if labels.get(HUB) != hub or labels.get(CREATED) != "true":
        return "hubfleet did not create it"
    if not _of_fleet(labels, fleet):
        return f"another fleet ({labels[FLEET]}) marked it"
    if others:
        return f"it holds other releases ({', '.join(others)})"
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        return f"it holds objects hubfleet did not create ({', '.join(foreign[:3])}{more})"
    return ""
