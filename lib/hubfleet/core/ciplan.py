"""What the deploy workflow deploys, per cluster, from what it last deployed there (pure).

The workflow records the commit it deployed on each cluster as `refs/deployed/<cluster>` and
plans each cluster from that commit to the pushed one, so hubs of a run that failed or was
cancelled are still planned by the next run: nothing is dropped between runs. A cluster the
workflow never deployed plans from the push's `before` commit.

`workflow_dispatch` narrows (hubs, clusters) or widens (`all`), and `force` deploys the
selected hubs whether or not they changed. A run that deployed only part of a cluster's plan
(a selection) must not move that cluster's ref: `record` says when it may.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Canary
from .plan import Plan, PlannedHub, canary_first, order_key

__all__ = ["FORCED", "Selection", "cluster_plan", "group_by_base", "matrices", "narrow"]

FORCED = "forced by workflow_dispatch"


@dataclass(frozen=True)
class Selection:
    """workflow_dispatch inputs: which hubs, and whether unchanged ones deploy too."""

    hubs: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    all: bool = False
    force: bool = False

    @property
    def narrowed(self) -> bool:
        """Only part of the fleet was asked for (so a cluster's ref must stay where it is)."""
        return not self.all and bool(self.hubs or self.clusters)

    def wants(self, hub: str, cluster: str) -> bool:
        if not self.narrowed:
            return True
        return hub in self.hubs or cluster in self.clusters


def group_by_base(bases: Mapping[str, str]) -> dict[str, list[str]]:
    """{base commit: [clusters planned from it]}, so each distinct base is planned once."""
    out: dict[str, list[str]] = {}
    for cluster, base in sorted(bases.items()):
        out.setdefault(base, []).append(cluster)
    return out


def cluster_plan(full: Plan, cluster: str) -> Plan:
    """The part of `full` on one cluster (base and head kept)."""
    hubs = tuple(h for h in full.hubs if h.cluster == cluster)
    removed = tuple(r for r in full.removed if r.cluster == cluster)
    support = tuple(s for s in full.support if s.cluster == cluster)
    return Plan(full.base, full.head, hubs, removed, support)


def narrow(plan: Plan, selection: Selection, hubs: Mapping[str, tuple[str, str]]) -> Plan:
    """A cluster's plan under a selection; `hubs`: that cluster's hubs at head, name -> (cluster, stage).

    Without `force`, the planned hubs the selection wants; with it, every wanted hub at head,
    planned or not (an unchanged one says why it deploys).
    """
    planned = {h.name: h for h in plan.hubs if selection.wants(h.name, h.cluster)}
    if selection.force:
        for name, (cluster, stage) in hubs.items():
            if name not in planned and selection.wants(name, cluster):
                planned[name] = PlannedHub(name, cluster, stage, (FORCED,))
    removed = tuple(r for r in plan.removed if selection.wants(r.name, r.cluster))
    ordered = sorted(planned.values(), key=lambda h: order_key(h.cluster, h.stage, h.name))
    # support releases go with their cluster: kept unless the selection names only some hubs
    support = plan.support if not selection.narrowed or selection.clusters else ()
    support = tuple(s for s in support if not selection.narrowed or s.cluster in selection.clusters)
    return Plan(plan.base, plan.head, tuple(ordered), removed, support)


def matrices(
    plans: Mapping[str, Plan],
    providers: Mapping[str, str],
    canary: Canary,
    *,
    record: bool,
    prune: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """`{"canary": [...], "rest": [...]}` matrix entries, one per cluster with work.

    Canary clusters form the first job only when the rollout goes canary-first (the plan's
    `canary.when` rule); clusters on `provider: local` never run in CI. A cluster's ref moves
    (`record`) only after its whole plan ran: not for a selection, and not while hubs removed
    from the repository are still installed there (they stay in every plan until pruned).
    """
    work = {
        c: p
        for c, p in sorted(plans.items())
        if (p.hubs or p.removed or p.support) and providers.get(c) != "local"
    }
    every: Sequence[PlannedHub] = [h for p in work.values() for h in p.hubs]
    first = canary_first(every, canary)
    out: dict[str, list[dict[str, Any]]] = {"canary": [], "rest": []}
    for cluster, p in work.items():
        wave = "canary" if first and cluster in canary.clusters else "rest"
        out[wave].append(
            {
                "cluster": cluster,
                "provider": providers.get(cluster, ""),
                "base": p.base,
                "hubs": len(p.hubs),
                "removed": len(p.removed),
                "record": record and (prune or not p.removed),
            }
        )
    return out


def wanted_clusters(
    selection: Selection, clusters: Iterable[str], hub_clusters: Mapping[str, str]
) -> list[str]:
    """Clusters a selection touches (all without one)."""
    clusters = sorted(clusters)
    if not selection.narrowed:
        return clusters
    touched = set(selection.clusters) | {hub_clusters[h] for h in selection.hubs if h in hub_clusters}
    return [c for c in clusters if c in touched]
