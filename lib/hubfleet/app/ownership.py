"""Ownership on one cluster (`hubfleet.core.ownership` decides; this module asks kubectl).

Deploy marks a hub's namespace after Helm (`mark`); prune finds the release it may act on
(`prune_target`) and whether the namespace may go (`namespace_kept_because`): the one check
every destructive verb passes before anything is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubfleet.adapters import kubectl, tools
from hubfleet.adapters.providers import CredentialArgs
from hubfleet.adapters.runner import Runner
from hubfleet.core import ownership
from hubfleet.core.model import Fleet

__all__ = ["OwnershipOnCluster", "protected_namespaces"]

SKIPPED_KINDS = {"events", "events.events.k8s.io"}  # never a reason to keep a namespace; slow to list


def protected_namespaces(fleet: Fleet, cluster: str) -> dict[str, str]:
    """namespace -> what the fleet still runs in it on `cluster`: its hubs and support releases."""
    out = {h.namespace: f"hub {h.name}" for h in fleet.hubs.values() if h.cluster == cluster}
    known = fleet.clusters.get(cluster)
    skip = known.support_skip if known else ()
    for s in fleet.config.support:
        if s.name not in skip:
            out.setdefault(s.namespace, f"support release {s.name}")
    return out


@dataclass(frozen=True)
class OwnershipOnCluster:
    root: Path
    cluster: str  # the fleet's name for it
    fleet: str  # fleet.yaml `name:`: whose marks these are
    creds: CredentialArgs
    runner: Runner
    timeout: float  # each kubectl call's deadline (rollout.tool_timeout)

    def _reach(self) -> dict[str, Any]:
        return {
            "credentials": self.creds.flags,
            "env": self.creds.env,
            "pass_fds": self.creds.fds,
            "runner": self.runner,
            "timeout": self.timeout,
        }

    def _exe(self) -> str:
        return tools.kubectl(self.root, runner=self.runner)

    def namespace(self, name: str) -> Mapping[str, Any] | None:
        """The namespace's document; None when it does not exist."""
        return kubectl.get_json(kubectl.namespace_argv(name, kubectl=self._exe()), **self._reach())

    def mark(self, name: str, hub: str, before: Mapping[str, Any] | None) -> None:
        """Label `name` as `hub`'s (after its deploy); `before`: its document before Helm ran."""
        labels = ownership.marks_missing(before, self.cluster, hub, fleet=self.fleet)
        if labels:
            kubectl.call(kubectl.label_namespace_argv(name, labels, kubectl=self._exe()), **self._reach())

    def prune_target(self, hub: str, protected: Mapping[str, str]) -> ownership.Target:
        argv = kubectl.namespaces_argv(ownership.selector(self.cluster, hub), kubectl=self._exe())
        listed = kubectl.get_json(argv, **self._reach()) or {}
        return ownership.prune_target(
            hub, self.cluster, listed.get("items") or [], protected, fleet=self.fleet
        )

    def namespace_kept_because(self, name: str, hub: str, release: str, other_releases: list[str]) -> str:
        """Why the namespace stays after `release` was uninstalled ('': it may be deleted)."""
        exe = self._exe()
        kinds = kubectl.call(kubectl.namespaced_kinds_argv(kubectl=exe), **self._reach()).split()
        kinds = [k for k in kinds if k not in SKIPPED_KINDS]
        listed = kubectl.get_json(kubectl.namespace_objects_argv(name, kinds, kubectl=exe), **self._reach())
        foreign = ownership.foreign_objects((listed or {}).get("items") or [], release, name)
        return ownership.namespace_kept_because(
            self.namespace(name), hub, other_releases, foreign, fleet=self.fleet
        )
