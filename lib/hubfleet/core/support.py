"""Cluster support releases (contract v1.1): ingress, cert-manager, monitoring, ... per cluster.

Pure: the `support:` list of fleet.yaml and a cluster's `support: {skip: [...]}` as
frozen data, the rules between them, where each release's files live, and the
facts its layers may name (`${cluster:...}` only: a support release has no hub).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hubfleet.core import paths
from hubfleet.core.errors import Problem, did_you_mean
from hubfleet.core.resolve import Facts, InterpolationProblem

__all__ = [
    "SupportFacts",
    "SupportRelease",
    "SupportTarget",
    "cluster_support_problems",
    "fleet_support_problems",
    "layer_paths",
    "local_layer_problems",
    "parse_skip",
    "parse_support",
    "releases_for",
    "rendered_path",
    "secrets_path",
    "target_id",
]


@dataclass(frozen=True)
class SupportRelease:
    """One entry of fleet.yaml `support:`: a Helm release on every (Kubernetes) cluster."""

    name: str  # the Helm release name
    chart: str  # a key of fleet.yaml `charts:`
    namespace: str

    @property
    def release(self) -> str:
        """The Helm release (as `Hub.release`: the argv builders take either)."""
        return self.name


@dataclass(frozen=True)
class SupportTarget:
    """One support release on one cluster: what the deployer, planner and renderer handle."""

    cluster: str
    release: SupportRelease

    @property
    def name(self) -> str:
        return self.release.name

    @property
    def id(self) -> str:
        return target_id(self.cluster, self.release.name)


def target_id(cluster: str, release: str) -> str:
    """A rollout target's name: unique across the fleet (`/` is in no hub name)."""
    return f"{cluster}/{release}"


def parse_support(doc: Mapping[str, Any]) -> tuple[SupportRelease, ...]:
    """fleet.yaml `support:` (after its checks); namespace defaults to the release name."""
    return tuple(
        SupportRelease(str(e["name"]), str(e["chart"]), str(e.get("namespace") or e["name"]))
        for e in doc.get("support") or ()
    )


def parse_skip(doc: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple((doc.get("support") or {}).get("skip") or ())


def fleet_support_problems(doc: Mapping[str, Any], file: str = "fleet.yaml") -> list[Problem]:
    """Each release names a chart of `charts:`; names are unique."""
    out: list[Problem] = []
    charts = doc.get("charts") or {}
    seen: dict[str, int] = {}
    for i, entry in enumerate(doc.get("support") or ()):
        if not isinstance(entry, dict):
            continue
        name, chart = entry.get("name"), entry.get("chart")
        if isinstance(chart, str) and isinstance(charts, dict) and chart not in charts:
            out.append(
                Problem(
                    file,
                    f"support release {name}: `{chart}` is not a chart in fleet.yaml "
                    f"`charts:`{did_you_mean(chart, charts)}",
                    ("support", i, "chart"),
                )
            )
        if isinstance(name, str):
            if name in seen:
                out.append(
                    Problem(
                        file,
                        f"support release name `{name}` is used twice (also support[{seen[name]}]): "
                        "each is one Helm release per cluster",
                        ("support", i, "name"),
                    )
                )
            seen.setdefault(name, i)
    return out


def cluster_support_problems(
    doc: Mapping[str, Any], file: str, releases: Sequence[SupportRelease]
) -> list[Problem]:
    """`support.skip` names releases that exist; a local cluster has no support releases."""
    block = doc.get("support")
    if block is None:
        return []
    if doc.get("provider") == "local":
        return [
            Problem(
                file,
                "a `provider: local` cluster has no support releases (no Kubernetes): remove `support:`",
                ("support",),
            )
        ]
    names = [r.name for r in releases]
    return [
        Problem(
            file,
            f"support.skip: no support release `{skip}` in fleet.yaml `support:`"
            f"{did_you_mean(str(skip), names)}",
            ("support", "skip", i),
        )
        for i, skip in enumerate(parse_skip(doc))
        if skip not in names
    ]


def local_layer_problems(cluster: str, files: Iterable[str]) -> list[Problem]:
    """Support files under a local cluster's folder: an error each (nothing would deploy them)."""
    return [
        Problem(
            f,
            f"cluster {cluster} is `provider: local`: it has no support releases, so this layer "
            "is never used; remove it",
        )
        for f in sorted(files)
    ]


def releases_for(
    provider: str, skip: Sequence[str], releases: Sequence[SupportRelease]
) -> list[SupportRelease]:
    """The support releases a cluster runs, in fleet.yaml order (none on a local cluster)."""
    if provider == "local":
        return []
    return [r for r in releases if r.name not in skip]


# --- files (spelled once, in core.paths) ---------------------------------------------------


def layer_paths(cluster: str, release: str) -> tuple[str, str]:
    """Values layers of a support release, lowest first."""
    return paths.support(cluster, release).layers


def secrets_path(cluster: str, release: str) -> str:
    return paths.support(cluster, release).secrets


def rendered_path(cluster: str, release: str) -> str:
    return paths.support(cluster, release).rendered


def cluster_files(cluster: str, files: Iterable[str]) -> list[str]:
    """The files under `clusters/<cluster>/support/` of a listing (for the local-cluster rule)."""
    prefix = paths.cluster(cluster).support_folder + "/"
    return [f for f in files if f.startswith(prefix)]


# --- interpolation -------------------------------------------------------------------------


class SupportFacts(Facts):
    """`${cluster:...}` as for hubs; `${hub:...}` is an error: a support release serves every hub."""

    def lookup(self, resolver: str, name: str, where: Any) -> str:
        if resolver == "hub":
            raise InterpolationProblem(
                where,
                f"`${{hub:{name}}}` in a support release: it serves every hub of the cluster, "
                "so only ${cluster:name} and ${cluster:provider} are facts here",
            )
        return super().lookup(resolver, name, where)


def support_facts(cluster: str, provider: str) -> SupportFacts:
    return SupportFacts({}, {"name": cluster, "provider": provider})
