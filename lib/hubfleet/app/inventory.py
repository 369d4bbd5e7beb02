"""`invoke status`: every hub and support release, where it runs, and (`--live`) what Helm reports.

The table of contents: load the fleet, make its rows (pure), add the last commit of each row's
files (one `git log` over the whole history, newest first), then with `--live` one `helm list`
per cluster through that cluster's credentials, and compare (pure).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from hubfleet.adapters.gitsource import GIT_TIMEOUT, git
from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.adapters.source import find_root
from hubfleet.app.load import load_work_tree
from hubfleet.core import inventory, paths
from hubfleet.core.errors import HubfleetError
from hubfleet.core.inventory import Commit, Live, Row
from hubfleet.core.model import Fleet

__all__ = [
    "HISTORY_SPECS",
    "git_history",
    "live_releases",
    "local_state",
    "rows",
    "status_rows",
    "with_local_state",
]

_RECORD, _FIELD = "\x00", "\x01"  # never in a subject; not whitespace (str.strip keeps them)


# Where the Helm inputs of a fleet lie: read from git while the fleet loads (2000 hub.yaml files).
HISTORY_SPECS = (paths.HUBS, paths.CLUSTERS, paths.SUPPORT, "charts")


def status_rows(
    start: Path | None = None,
    cluster: str | None = None,
    *,
    hubs: Sequence[str] | None = None,
    runner: Runner = run,
) -> tuple[Path, Fleet, list[Row]]:
    """Load the fleet and, at the same time, its git history; then the rows (of one cluster, or of
    the named hubs alone)."""
    root = find_root(start)
    with ThreadPoolExecutor(max_workers=1) as pool:  # git runs in its own process meanwhile
        history = pool.submit(git_history, root, HISTORY_SPECS, runner=runner)
        _, fleet = load_work_tree(root)
        found = _rows(fleet, cluster, hubs)
        last, dirty = history.result()
    elsewhere = sorted({f for r in found for f in r.files if f.split("/")[0] not in HISTORY_SPECS})
    if elsewhere:  # a chart folder outside charts/: one more, short, look
        more, more_dirty = git_history(root, elsewhere, runner=runner)
        last, dirty = {**more, **last}, dirty | more_dirty
    return root, fleet, inventory.with_commits(found, last, dirty)


def rows(root: Path, fleet: Fleet, cluster: str | None = None, *, runner: Runner = run) -> list[Row]:
    """The fleet's rows (of one cluster, if given) with their last commits."""
    found = _rows(fleet, cluster)
    last, dirty = git_history(root, _pathspecs(found), runner=runner)
    return inventory.with_commits(found, last, dirty)


def _rows(fleet: Fleet, cluster: str | None, names: Sequence[str] | None = None) -> list[Row]:
    if names is not None:  # the named hubs alone, in the fleet's order
        wanted = {fleet.hub(n).name for n in names}
        hubs = [h for h in fleet.hubs.values() if h.name in wanted]
        return inventory.hub_rows(hubs, fleet.clusters, fleet.config.charts)
    if cluster is not None:
        fleet.cluster(cluster)
    hubs = [h for h in fleet.hubs.values() if cluster is None or h.cluster == cluster]
    targets = fleet.support_of(cluster) if cluster is not None else fleet.support_targets()
    found = inventory.support_rows(targets, fleet.clusters, fleet.config.charts)
    return found + inventory.hub_rows(hubs, fleet.clusters, fleet.config.charts)


def _pathspecs(found: Iterable[Row]) -> list[str]:
    """The folders the rows' files lie in (a short pathspec keeps `git log` fast)."""
    tops = set()
    for row in found:
        for f in row.files:
            parts = f.split("/")
            tops.add("/".join(parts[:2]) if parts[0] in (paths.HUBS, paths.CLUSTERS) else parts[0])
    if len(tops) > 200:  # thousands of hubs: their parent folders instead
        tops = {t.split("/")[0] for t in tops}
    return sorted(tops)


def git_history(
    root: Path, pathspecs: Sequence[str], *, runner: Runner = run
) -> tuple[dict[str, Commit], set[str]]:
    """(path -> the newest commit that touched it, paths that differ from HEAD); empty outside git.

    A file below a folder also counts for the folder (a chart folder is one Helm input)."""
    if not pathspecs:
        return {}, set()
    try:
        log = git(
            [
                "-c",
                "core.quotePath=false",
                "log",
                "--relative",
                "--name-only",
                "--format=%x00%H%x01%cI%x01%s",
                "--",
                *pathspecs,
            ],
            root,
            runner,
        )
        status = runner(  # not `git()`: it strips, and a porcelain line may start with a space
            [
                "git",
                "-c",
                "core.quotePath=false",
                "status",
                "--porcelain=v1",
                "--untracked-files=all",
                "--",
                *pathspecs,
            ],
            cwd=root,
            timeout=GIT_TIMEOUT,
        ).stdout
    except CommandError:
        return {}, set()  # not a git repository (or no commit yet): nothing to say
    return _parse_log(log), _parse_status(status, _prefix(root, runner))


def _parse_log(text: str) -> dict[str, Commit]:
    last: dict[str, Commit] = {}
    for order, record in enumerate(text.split(_RECORD)[1:]):
        head, _, names = record.partition("\n")
        sha, date, subject = [*head.split(_FIELD), "", ""][:3]
        commit = Commit(sha, date, subject, order)
        for name in names.splitlines():
            for path in _with_parents(name.strip()):
                last.setdefault(path, commit)
    return last


def _prefix(root: Path, runner: Runner) -> str:
    """The fleet root's path inside its repository (`git status` paths start from the top)."""
    try:
        return git(["rev-parse", "--show-prefix"], root, runner)
    except CommandError:
        return ""


def _parse_status(text: str, prefix: str) -> set[str]:
    """Porcelain paths are from the repository's top: made relative to the fleet root."""
    out = set()
    for line in text.splitlines():
        path = line[3:].split(" -> ")[-1].strip('"')
        out.update(_with_parents(path.removeprefix(prefix)))
    return out


def _with_parents(path: str) -> list[str]:
    """`a/b/c` -> [`a/b/c`, `a/b`, `a`]; nothing for an empty path."""
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def live_releases(
    root: Path, fleet: Fleet, clusters: Iterable[str], *, runner: Runner = run
) -> dict[str, list[Live] | str]:
    """`helm list` of every namespace of each Kubernetes cluster; a failure is that cluster's string."""
    from hubfleet.adapters import helm, providers  # only --live needs them (a plain status starts faster)

    targets = [c for c in sorted(set(clusters)) if not fleet.clusters[c].is_local]

    def one(name: str) -> list[Live] | str:
        cluster = fleet.clusters[name]
        try:
            with providers.credentials(cluster, root, runner) as creds:
                done = helm.list_releases(
                    root,
                    None,
                    credentials=creds.flags,
                    env=creds.env or None,
                    runner=runner,
                    timeout=fleet.config.rollout.tool_timeout,
                )
            return helm.releases(done)
        except HubfleetError as e:
            return str(e).splitlines()[0] if str(e) else type(e).__name__

    if not targets:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
        return dict(zip(targets, pool.map(one, targets), strict=True))


def with_local_state(root: Path, fleet: Fleet, found: Sequence[Row]) -> list[Row]:
    """Each hub of a `provider: local` cluster with its process's state as its live status
    (`running`, `stopped`, `cannot tell`): it has no Helm release, and a stopped one is no drift."""
    out = []
    for row in found:
        cluster = fleet.clusters.get(row.cluster)
        if row.kind == "hub" and cluster is not None and cluster.is_local:
            row = replace(row, live=Live(row.name, row.namespace, "-", local_state(root, row.name), "-", "-"))
        out.append(row)
    return out


def local_state(root: Path, hub: str) -> str:
    """`running`, `stopped`, or `cannot tell` (the pid file's process cannot be identified now, or
    this install lacks the `[local]` extra)."""
    try:
        from hubfleet.local import launch, provider

        return "running" if launch.is_running(provider.hub_state(root, hub)) else "stopped"
    except HubfleetError:  # process.Undecided, or no psutil
        return "cannot tell"
