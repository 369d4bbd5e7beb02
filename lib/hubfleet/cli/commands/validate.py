"""`invoke validate [--hub H[,H2] | --cluster C | --plan F] [--offline] [--deep] [--server] [-- FILES]`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

from hubfleet.adapters.snapshot import Snapshot
from hubfleet.adapters.source import find_root
from hubfleet.app import serverside
from hubfleet.app.load import load_fleet, touched
from hubfleet.app.plan import read_plan_json
from hubfleet.app.support import select_support
from hubfleet.app.validate import deep_problems
from hubfleet.app.validaterun import validate_tree
from hubfleet.cli.boundary import console, err_console, print_problems
from hubfleet.cli.options import check_one_of, hub_names, named, narrow, selected_hubs
from hubfleet.core.errors import HubfleetError, errors_only
from hubfleet.core.model import Fleet
from hubfleet.core.plan import Plan
from hubfleet.core.support import SupportTarget


def run(
    hub: str | Sequence[str] | None = None,
    offline: bool = False,
    deep: bool = False,
    files: Sequence[str] | None = None,
    cluster: str | None = None,
    server: bool = False,
    plan: str | None = None,
) -> int:
    hubs, cluster, plan = hub_names(hub), named(cluster, "cluster"), named(plan, "plan")
    check_one_of(hubs, cluster)
    if plan and (hubs or cluster):
        raise HubfleetError("give one of --hub, --cluster or --plan")
    root = find_root()
    names = hubs  # checked by the run itself (a hub that does not load is reported, not refused)
    whole = read_plan_json(plan) if plan else None
    if whole is not None:
        names = [h.name for h in whole.hubs]
    if files is not None or cluster is not None:  # which hubs they name needs the fleet first
        fleet = load_fleet(Snapshot.take(root))
        names = narrow(
            names if cluster is None else selected_hubs(fleet, None, cluster), touched(fleet, files)
        )
        if names == []:
            what = "the given files" if files is not None else f"cluster {cluster}"
            console.print(f"no hub's Helm input among {what}: nothing to validate", markup=False)
            return 0
    checked = validate_tree(root, names, offline=offline)
    problems = checked.problems
    if deep and not errors_only(problems):
        fleet = checked.fleet or load_fleet(Snapshot.take(root))
        with _progress("helm template") as step:
            problems += deep_problems(root, fleet, names, step)
    ran = None
    if server and not errors_only(problems):
        fleet = checked.fleet or load_fleet(Snapshot.take(root))
        support = _support(fleet, names, cluster, whole)
        console.print(f"--server: {serverside.NOT_DECRYPTED}", markup=False, style="dim")
        selected = names if names is not None else sorted(fleet.hubs)
        ran = serverside.server_problems(root, fleet, serverside.releases_for(fleet, selected, support))
        problems += ran.problems
    print_problems(problems)
    errors = errors_only(problems)
    warnings = sum(p.severity == "warning" for p in problems)
    infos = sum(p.severity == "info" for p in problems)
    summary = f"{checked.hubs} hub(s) checked: {len(errors)} error(s), {warnings} warning(s)"
    summary += f", {infos} note(s)" if infos else ""
    if checked.support:
        summary += f" (and {checked.support} support release(s))"
    if ran is not None:
        summary += f"; --server: {ran.objects} object(s) of {ran.releases} release(s) submitted"
    console.print(summary, style="red" if errors else "green")
    return 1 if errors else 0


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on a terminal (stderr, gone when done); elsewhere (CI logs, pipes) nothing."""
    if not err_console.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(what), MofNCompleteColumn(), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield step


def _support(
    fleet: Fleet, names: list[str] | None, cluster: str | None, whole: Plan | None
) -> list[SupportTarget]:
    """The support releases of every cluster the selection touches (CRDs and shared objects come
    from them; a cluster's releases are checked together)."""
    if names is None and cluster is None:
        return fleet.support_targets()
    clusters = {fleet.hubs[n].cluster for n in names or () if n in fleet.hubs}
    clusters |= {cluster} if cluster else set()
    planned = select_support(fleet, planned=whole.support) if whole is not None else []
    clusters |= {t.cluster for t in planned}
    return [t for t in fleet.support_targets() if t.cluster in clusters]
