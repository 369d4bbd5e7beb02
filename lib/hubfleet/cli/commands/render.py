"""`invoke render [--hub H[,H2]] [--cluster C] [--check] [-- FILES]`."""

from __future__ import annotations

from collections.abc import Sequence

from hubfleet.app.freshness import written_entries
from hubfleet.app.load import load_work_tree, touched
from hubfleet.app.renderall import render_what_can, sops_problems, stale_files, write_rendered
from hubfleet.app.validate import FileDigests, code_digest, save_record
from hubfleet.cli.boundary import console
from hubfleet.cli.options import hub_names, named, narrow, selected_hubs
from hubfleet.core.errors import HubfleetError, Problem, ProblemsError


def run(
    hub: str | Sequence[str] | None = None,
    check: bool = False,
    files: Sequence[str] | None = None,
    cluster: str | None = None,
) -> int:
    hubs, cluster = hub_names(hub), named(cluster, "cluster")
    root, fleet = load_work_tree()
    names = narrow(selected_hubs(fleet, hubs, cluster), touched(fleet, files))
    if names == []:
        what = "the given files" if files is not None else f"cluster {cluster}"
        console.print(f"no hub's Helm input among {what}: nothing to render", markup=False)
        return 0
    rendered, refused = render_what_can(fleet, names)  # a refused hub.yaml holds back its hub only
    # render's record: what validate then need not write again (app.freshness)
    save_record(root, written_entries(fleet, rendered, FileDigests(fleet.source).of, code_digest()))
    if check:
        sops_found = sops_problems(fleet, [r.hub for r in rendered if "/" not in r.hub])
        if sops_found:
            raise ProblemsError(sops_found)
        stale = stale_files(root, rendered)
        for path in stale:
            console.print(f"{path}: stale or missing: run `invoke render`", markup=False)
        _refuse(refused)
        if stale:
            raise HubfleetError(f"{len(stale)} rendered file(s) out of date")
        console.print(f"{len(rendered)} rendered file(s) up to date")
        return 0
    written = write_rendered(root, rendered)
    support = sum(1 for r in rendered if "/" in r.hub)
    what = f"{len(rendered) - support} hub(s)" + (f", {support} support release(s)" if support else "")
    console.print(f"rendered {what}, {len(written)} file(s) changed")
    for path in written:
        console.print(f"  wrote {path}", markup=False)
    _refuse(refused)
    return 0


def _refuse(refused: list[Problem]) -> None:
    """The hubs left out: their problems, exit 1 (the others were rendered)."""
    if refused:
        hubs = ", ".join(sorted({p.hub for p in refused if p.hub}))
        console.print(f"not rendered: {hubs} (fix what is said below, then render again)", markup=False)
        raise ProblemsError(refused)
