"""What runs where (pure): one row per hub and support release, and drift against what Helm reports.

The use case (`hubfleet.app.inventory`) gathers the facts (the fleet, the last commits from git,
`helm list` per cluster); these functions only join, compare and format them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from hubfleet.core import paths
from hubfleet.core.jsonshape import json_kind
from hubfleet.core.model import Chart, Cluster, Hub
from hubfleet.core.support import SupportTarget

__all__ = [
    "HELM_LIST",
    "Commit",
    "Live",
    "Row",
    "drift",
    "hub_rows",
    "parse_helm_list",
    "support_rows",
    "table",
    "to_json",
    "unreachable",
    "with_commits",
    "with_live",
]


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # ISO 8601, committer date
    subject: str
    order: int = 0  # its place in `git log` (0: newest): dates can tie or lie, the log order does not

    def short(self, width: int = 60) -> str:
        subject = self.subject if len(self.subject) <= width else self.subject[: width - 3] + "..."
        return f"{self.sha[:9]} {self.date[:10]} {subject}"


@dataclass(frozen=True)
class Live:
    """One release as `helm list -o json` reports it."""

    name: str
    namespace: str
    revision: str
    status: str
    chart: str  # `<chart name>-<version>`, as Helm prints it
    updated: str
    app_version: str = ""


@dataclass(frozen=True)
class Row:
    kind: str  # "hub" | "support" | "untracked" (a release Helm has that the fleet does not name)
    name: str  # hub name or support release name (= the Helm release)
    cluster: str
    provider: str
    stage: str  # staging | prod for hubs, "support" for support releases, "" untracked
    chart: str  # the chart's name (a folder chart: its path)
    version: str  # the pinned version; "" for a chart folder
    namespace: str
    domain: str = ""
    files: tuple[str, ...] = ()  # the committed files that make its Helm input
    last_commit: Commit | None = None
    uncommitted: bool = False  # one of `files` differs from HEAD in the working tree
    live: Live | None = None
    live_error: str = ""  # helm list failed for this cluster: why
    drift: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.cluster, self.namespace, self.name)


def hub_rows(hubs: Iterable[Hub], clusters: Mapping[str, Cluster], charts: Mapping[str, Chart]) -> list[Row]:
    """One row per hub; `files` are what its Helm input is committed in: the rendered values (whose
    header names chart, version, release and namespace), the secrets levels, and hub.yaml (its
    cluster)."""
    out = []
    for hub in hubs:
        cluster = clusters.get(hub.cluster)
        chart = charts.get(hub.chart)
        p = paths.hub(hub.name)
        files = (p.rendered, *paths.secret_layers(hub.name, hub.cluster), p.hub_yaml)
        if chart is not None and chart.kind == "path" and chart.path:
            files += (chart.path,)
        out.append(
            Row(
                "hub",
                hub.name,
                hub.cluster,
                cluster.provider if cluster else "?",
                hub.stage,
                (chart.path if chart.kind == "path" else chart.name) if chart else hub.chart,
                (chart.version or "") if chart else "",
                hub.namespace,
                hub.domain,
                files,
            )
        )
    return out


def support_rows(
    targets: Iterable[SupportTarget], clusters: Mapping[str, Cluster], charts: Mapping[str, Chart]
) -> list[Row]:
    """One row per support release on each cluster: its rendered values and secrets are its input."""
    out = []
    for t in targets:
        cluster = clusters.get(t.cluster)
        chart = charts.get(t.release.chart)
        p = paths.support(t.cluster, t.name)
        files: tuple[str, ...] = (p.rendered, p.secrets)
        if chart is not None and chart.kind == "path" and chart.path:
            files += (chart.path,)
        out.append(
            Row(
                "support",
                t.name,
                t.cluster,
                cluster.provider if cluster else "?",
                "support",
                (chart.path if chart.kind == "path" else chart.name) if chart else t.release.chart,
                (chart.version or "") if chart else "",
                t.release.namespace,
                "",
                files,
            )
        )
    return out


def with_commits(rows: Iterable[Row], last: Mapping[str, Commit], dirty: Iterable[str]) -> list[Row]:
    """Each row's newest commit among its files (`last`: path -> newest commit touching it)."""
    dirty = set(dirty)
    out = []
    for row in rows:
        commits = [last[f] for f in row.files if f in last]
        newest = min(commits, key=lambda c: c.order) if commits else None
        out.append(replace(row, last_commit=newest, uncommitted=any(f in dirty for f in row.files)))
    return out


HELM_LIST = "a JSON list of releases, each an object with a string `name` and `namespace`"


def parse_helm_list(data: Any) -> list[Live]:
    """`helm list -o json` output (already decoded) as `Live` rows; ValueError saying what was
    expected when it is not that (an object or a list of numbers is not "nothing deployed")."""
    rows = data if isinstance(data, list) else None
    if rows is None or not all(
        isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("namespace"), str)
        for r in rows
    ):
        what = json_kind(data) if rows is None else "an item that is not such an object"
        raise ValueError(f"{HELM_LIST} (got {what})")
    return [
        Live(
            name=item["name"],
            namespace=item["namespace"],
            revision=str(item.get("revision", "")),
            status=str(item.get("status", "")),
            chart=str(item.get("chart", "")),
            updated=str(item.get("updated", "")),
            app_version=str(item.get("app_version", "")),
        )
        for item in rows
    ]


def drift(row: Row, live: Live | None) -> tuple[str, ...]:
    """How what Helm runs differs from what the fleet says; () when they agree."""
    if row.kind == "untracked":
        return ("not in the fleet",)
    if live is None:
        return ("not deployed",)
    found = []
    if live.status != "deployed":
        found.append(f"status {live.status}")
    if row.version:
        want = f"{row.chart}-{row.version}"
        if live.chart != want:
            found.append(f"chart {live.chart} (fleet: {want})")
    return tuple(found)


def with_live(
    rows: Sequence[Row], live: Mapping[str, Sequence[Live] | str], providers: Mapping[str, str]
) -> list[Row]:
    """Join `helm list` per cluster (or the error string for a cluster it failed on) to the rows.

    Releases Helm has on a listed cluster that no row names come back as `untracked` rows.
    """
    out = []
    matched: set[tuple[str, str, str]] = set()
    for row in rows:
        found = live.get(row.cluster)
        if found is None:  # a cluster not asked (local, or filtered out)
            out.append(row)
        elif isinstance(found, str):
            out.append(replace(row, live_error=found))
        else:
            hit = next((r for r in found if (r.namespace, r.name) == (row.namespace, row.name)), None)
            if hit is not None:
                matched.add(row.key)
            out.append(replace(row, live=hit, drift=drift(row, hit)))
    for cluster, found in live.items():
        if isinstance(found, str):
            continue
        for r in found:
            if (cluster, r.namespace, r.name) not in matched:
                chart, _, version = r.chart.rpartition("-")
                extra = Row(
                    "untracked",
                    r.name,
                    cluster,
                    providers.get(cluster, ""),
                    "",
                    chart or r.chart,
                    version if chart else "",
                    r.namespace,
                    live=r,
                )
                out.append(replace(extra, drift=drift(extra, r)))
    return out


# --- output ----------------------------------------------------------------------------------


def to_json(rows: Sequence[Row]) -> str:
    def one(row: Row) -> dict[str, Any]:
        d = asdict(row)
        d.pop("files")
        if not row.live_error:
            d.pop("live_error")
        if d["last_commit"]:
            d["last_commit"].pop("order")
        return d

    return json.dumps([one(r) for r in rows], indent=2) + "\n"


def unreachable(rows: Sequence[Row]) -> list[str]:
    """Pure: one line per cluster `helm list` failed on, by cluster name."""
    why = {r.cluster: r.live_error for r in rows if r.live_error}
    return [f"cluster {c}: helm list failed: {why[c]}" for c in sorted(why)]


def table(rows: Sequence[Row], *, live: bool = False) -> list[str]:
    """Plain aligned columns (fast for thousands of rows), sorted by cluster, kind and stage."""
    head = ["RELEASE", "CLUSTER", "PROVIDER", "STAGE", "CHART", "VERSION", "DOMAIN", "LAST CHANGE"]
    if live:
        head += ["REVISION", "STATUS", "LIVE CHART", "UPDATED", "DRIFT"]
    order = {"support": 0, "staging": 1, "prod": 2, "": 3}
    body = []
    for r in sorted(rows, key=lambda r: (r.cluster, order.get(r.stage, 3), r.name)):
        change = r.last_commit.short() if r.last_commit else "(never committed)"
        if r.uncommitted:
            change = "(uncommitted changes) " + change
        cells = [
            r.name,
            r.cluster,
            r.provider,
            r.stage or "-",
            r.chart,
            r.version or "(folder)",
            r.domain or "-",
            change,
        ]
        if live:
            if r.live_error:  # why: once per cluster, `unreachable` (not on every row of it)
                cells += ["-", "-", "-", "-", "unreachable (see below)"]
            elif r.live is not None:
                cells += [
                    r.live.revision,
                    r.live.status,
                    r.live.chart,
                    r.live.updated[:19],
                    ", ".join(r.drift) or "-",
                ]
            else:
                cells += ["-", "-", "-", "-", ", ".join(r.drift) or "-"]
        body.append(cells)
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    last = len(head) - 1

    def line(cells: list[str]) -> str:
        return "  ".join(c if i == last else c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()

    return [line(head), *(line(c) for c in body)]
