"""Read a fleet from a `Source` into a `Fleet`, collecting every problem on the way.

A file that fails its checks is left out (and its problem kept), so one bad hub
never hides the problems of the others.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from hubfleet.adapters import yamlio
from hubfleet.adapters.source import DirSource, Source, find_root
from hubfleet.core import model, paths, schemas, support
from hubfleet.core.affected import hubs_touched
from hubfleet.core.errors import HubfleetError, Problem, did_you_mean, errors_only
from hubfleet.core.model import Cluster, Fleet, FleetConfig, Hub
from hubfleet.core.paths import FLEET_FILE


def layer_paths(hub: Hub) -> tuple[str, str, str]:
    """The values layers of a hub, lowest first (the contract's order)."""
    return paths.layers(hub.name, hub.cluster)


@lru_cache(maxsize=8192)
def parse_bytes(data: bytes, file: str, *, allow_empty: bool = False) -> dict[str, Any]:
    """Parse once per distinct content (2000 hubs share one fleet layer).

    The result is shared: callers must not mutate it (render.merge copies).
    """
    return yamlio.parse(data, file, allow_empty=allow_empty)


def read_layer(source: Source, path: str) -> dict[str, Any]:
    """A values layer: absent or empty means no values."""
    data = source.read(path)
    if data is None:
        return {}
    return parse_bytes(data, path, allow_empty=True)


def _read_doc(source: Source, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        data = source.read(path)
        if data is None:
            problems.append(Problem(path, "file is missing"))
            return None
        return parse_bytes(data, path)
    except HubfleetError as e:
        problems.extend(e.problems)
        return None


def located(problems: list[Problem], source: Source) -> list[Problem]:
    out = []
    for p in problems:
        if p.line is None and p.keypath:
            data = read_quietly(source, p.file)
            p = p.with_line(yamlio.locate(data, p.keypath) if data else None)
        out.append(p)
    return out


def _clashes(clusters: Mapping[str, Cluster], hubs: Iterable[Hub]) -> bool:
    """Whether two hubs claim one domain, namespace on a cluster, or local port."""
    seen: set[tuple[str, object]] = set()
    for hub in hubs:
        cluster = clusters.get(hub.cluster)
        claims = [("domain", hub.domain), ("namespace", (hub.cluster, hub.namespace))]
        if cluster is not None and cluster.is_local:
            claims.append(("port", hub.local_port or schemas.DEFAULT_LOCAL_PORT))
        if seen.intersection(claims):
            return True
        seen.update(claims)
    return False


def changed_hubs(source: Source) -> set[str]:
    """Hubs whose folder differs from git's HEAD (edited, added, untracked), in a working tree
    that git tracks; none where that cannot be told (no git, no commit yet, a commit's source)."""
    root = getattr(source, "root", None)
    if root is None or getattr(source, "label", "") != "working tree":
        return set()
    from hubfleet.adapters.gitsource import git
    from hubfleet.adapters.runner import Interrupted

    try:
        changed = git(["diff", "--name-only", "--relative", "HEAD", "--", paths.HUBS], root).splitlines()
        changed += git(["ls-files", "--others", "--exclude-standard", "--", paths.HUBS], root).splitlines()
    except Interrupted:
        raise  # Ctrl-C is the user's, not "git cannot tell"
    except HubfleetError:
        return set()
    return {p.split("/")[1] for p in changed if p.startswith(paths.HUBS + "/") and p.count("/") >= 2}


def read_quietly(source: Source, path: str) -> bytes | None:
    """The file's bytes for locating a line; None if it cannot be read."""
    try:
        return source.read(path)
    except HubfleetError:
        return None


def load_work_tree(start: Path | None = None) -> tuple[Path, Fleet]:
    """The fleet of the working tree around `start` (default: the working directory).

    Every command loads through this one function."""
    root = find_root(start)
    return root, load_fleet(DirSource(root))


def touched(fleet: Fleet, files: Sequence[str] | None) -> list[str] | None:
    """The hubs `files` touch (None: no files given, so every hub)."""
    if files is None:
        return None
    return hubs_touched(files, fleet.hubs, fleet.config.charts, fleet.source.subdirs(paths.HUBS))


def load_fleet(source: Source) -> Fleet:
    """Load fleet.yaml, every cluster and every hub; raise only if fleet.yaml itself is unusable."""
    problems: list[Problem] = []
    doc = _read_doc(source, FLEET_FILE, problems)
    if doc is None:
        raise HubfleetError(str(problems[0]), problems=problems)
    fleet_problems = model.check(doc, schemas.FLEET, FLEET_FILE) or (
        model.chart_problems(doc, FLEET_FILE) + support.fleet_support_problems(doc, FLEET_FILE)
    )
    if fleet_problems:
        found = located(fleet_problems, source)
        raise HubfleetError(str(found[0]), problems=found)
    config = model.parse_fleet_config(doc)

    clusters: dict[str, Cluster] = {}
    for folder in source.subdirs(paths.CLUSTERS):
        path = paths.cluster(folder).cluster_yaml
        cdoc = _read_doc(source, path, problems)
        if cdoc is None:
            continue
        found = model.check(cdoc, schemas.CLUSTER, path) or model.cluster_problems(cdoc, path, folder)
        if not found:  # the cluster loads; `invoke deploy` refuses it while these stand
            problems.extend(located(support.cluster_support_problems(cdoc, path, config.support), source))
        if cdoc.get("provider") == "local":  # support files there: nothing would ever deploy them
            listed = support.cluster_files(folder, source.files_under(paths.cluster(folder).support_folder))
            problems.extend(support.local_layer_problems(folder, listed))
        if found:
            problems.extend(located(found, source))
            continue
        clusters[folder] = model.parse_cluster(cdoc, path)

    hubs: dict[str, Hub] = {}
    broken: set[str] = set()
    for folder in source.subdirs(paths.HUBS):
        path = paths.hub(folder).hub_yaml
        hdoc = _read_doc(source, path, problems)
        if hdoc is None:
            broken.add(folder)
            continue
        found = model.check(hdoc, schemas.HUB, path) or model.hub_problems(hdoc, path, folder)
        if found:
            problems.extend(located(found, source))
            broken.add(folder)
            continue
        hubs[folder] = model.parse_hub(hdoc, path, config.default_chart)

    for top in (paths.CLUSTERS, paths.HUBS):
        for name in source.hidden(top) if hasattr(source, "hidden") else ():
            problems.append(
                Problem(
                    f"{top}/{name}",
                    f"a folder starting with `.` is not read as a "
                    f"{top[:-1]}; rename it, or move it out of {top}/",
                    severity="warning",
                )
            )
    cross = located(cross_file_problems(config, clusters, hubs, lambda: changed_hubs(source)), source)
    problems.extend(cross)
    broken |= {p.hub for p in errors_only(cross) if p.hub}
    return Fleet(config, clusters, hubs, source, tuple(problems), frozenset(broken))


def cross_file_problems(
    config: FleetConfig,
    clusters: Mapping[str, Cluster],
    hubs: Mapping[str, Hub],
    newcomers: Callable[[], Collection[str]] | None = None,
) -> list[Problem]:
    """Rules between files: targets exist, names/domains unique, local hubs well placed.

    Of two hubs that claim one domain (namespace, local port), the later in `hubs` is blamed;
    with `newcomers` (asked only when there is such a clash), the hubs it names come last and
    the rest by name: a hub copied from another is told so in its own hub.yaml."""
    if newcomers is not None and _clashes(clusters, hubs.values()):
        new = set(newcomers())
        hubs = dict(sorted(hubs.items(), key=lambda item: (item[0] in new, item[0])))
    out: list[Problem] = []
    for name in config.rollout.canary.clusters:
        if name not in clusters:
            out.append(
                Problem(
                    FLEET_FILE,
                    f"canary cluster `{name}` is not a cluster in clusters/{did_you_mean(name, clusters)}: "
                    "the canary wave would be empty",
                    ("rollout", "canary", "clusters"),
                )
            )
    domains: dict[str, str] = {}
    namespaces: dict[tuple[str, str], str] = {}
    ports: dict[int, str] = {}
    for hub in hubs.values():

        def bad(msg: str, key: str, hub: Hub = hub) -> None:
            out.append(Problem(hub.file, msg, (key,), hub=hub.name))

        cluster = clusters.get(hub.cluster)
        if cluster is None:
            bad(f"no cluster `{hub.cluster}` in clusters/{did_you_mean(hub.cluster, clusters)}", "cluster")
        if hub.chart not in config.charts:
            bad(
                f"`{hub.chart}` is not a chart in fleet.yaml{did_you_mean(hub.chart, config.charts)}", "chart"
            )
        if hub.domain in domains:  # (the line names the key: `domain: X is already ...`)
            bad(f"{hub.domain} is already used by hub `{domains[hub.domain]}`", "domain")
        domains.setdefault(hub.domain, hub.name)
        ns_key = (hub.cluster, hub.namespace)
        if ns_key in namespaces:
            bad(
                f"{hub.namespace} on cluster {hub.cluster} is already used by hub "
                f"`{namespaces[ns_key]}`: give this hub its own `namespace:`",
                "namespace",
            )
        namespaces.setdefault(ns_key, hub.name)
        support = _support_in(config, cluster, hub.namespace)
        if support is not None:
            bad(
                f"namespace {hub.namespace} on cluster {hub.cluster} is support release `{support}`'s: "
                "give the hub its own `namespace:` (a hub never shares a namespace with a support release)",
                "namespace",
            )
        if cluster is not None and cluster.is_local:
            port = hub.local_port or schemas.DEFAULT_LOCAL_PORT
            if port in ports:
                bad(f"port {port} is already used by hub `{ports[port]}`", "local")
            ports.setdefault(port, hub.name)
        elif cluster is not None and hub.local_port is not None:
            bad(
                f"`local:` is only for hubs on a `provider: local` cluster ({cluster.name} is "
                f"{cluster.provider})",
                "local",
            )
    return out


def _support_in(config: FleetConfig, cluster: Cluster | None, namespace: str) -> str | None:
    """The support release that runs in `namespace` on `cluster` (a Kubernetes one), if any."""
    if cluster is None or cluster.is_local:
        return None
    running = (s for s in config.support if s.name not in cluster.support_skip)
    return next((s.name for s in running if s.namespace == namespace), None)
