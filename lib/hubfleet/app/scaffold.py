"""`invoke new-hub` / `invoke new-cluster`: check, write the new files, render, validate.

The table of contents: load the fleet, ask the pure `core.scaffold` for the files (it raises on a
bad request before anything is written), write them all or none, render the new hub from its
layers (a rendered file is never copied), validate it, and hand back what to edit next.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hubfleet.adapters import userfiles
from hubfleet.app.load import load_work_tree
from hubfleet.app.renderall import render_fleet, write_rendered
from hubfleet.app.validate import validate_fleet
from hubfleet.core import paths, scaffold
from hubfleet.core.errors import HubfleetError, Problem, ProblemsError, errors_only
from hubfleet.core.model import Fleet

__all__ = ["Created", "new_cluster", "new_hub"]


@dataclass(frozen=True)
class Created:
    written: tuple[str, ...]  # every file written, from the fleet root
    problems: tuple[Problem, ...]  # what validating the result found (errors and warnings)
    next_steps: tuple[str, ...]
    notes: tuple[str, ...] = ()  # copied lines worth a look
    first_step: str | None = None  # what to do first, when the errors say it better than "fix them"

    @property
    def ok(self) -> bool:
        return not errors_only(self.problems)


def view_of(root: Path, fleet: Fleet) -> scaffold.FleetView:
    """The fleet as the scaffolder sees it: folders count as taken even if they do not load."""
    return scaffold.FleetView(
        hubs=fleet.hubs,
        clusters=fleet.clusters,
        hub_folders=frozenset(fleet.source.subdirs(paths.HUBS)),
        cluster_folders=frozenset(fleet.source.subdirs(paths.CLUSTERS)),
        default_chart=fleet.config.default_chart,
        support=tuple(r.name for r in fleet.config.support),
    )


def _loadable(fleet: Fleet) -> None:
    """A fleet that does not load cleanly cannot render the new hub: say so before writing."""
    errors = errors_only(fleet.problems)
    if errors:
        raise ProblemsError(
            [
                *errors,
                Problem(paths.FLEET_FILE, "the fleet has errors (above): fix them first, then scaffold"),
            ]
        )


def new_hub(
    name: str,
    cluster: str,
    *,
    stage: str = "prod",
    domain: str | None = None,
    like: str | None = None,
    start: Path | None = None,
) -> Created:
    root, fleet = load_work_tree(start)
    like_values, like_secrets = None, False
    if like is not None and like in fleet.hubs:
        data = fleet.source.read(paths.hub(like).values)
        like_values = data.decode("utf-8", "replace") if data is not None else None
        like_secrets = (root / paths.hub(like).secrets).exists()
    plan = scaffold.plan_hub(
        view_of(root, fleet),
        name,
        cluster,
        stage=stage,
        domain=domain,
        like=like,
        like_values=like_values,
        like_secrets=like_secrets,
    )
    _loadable(fleet)
    written = _write_all(root, plan.files, paths.hub(name).folder)
    _, fleet = load_work_tree(root)
    try:
        written += write_rendered(root, render_fleet(fleet, [name]))
    except HubfleetError:
        _remove(root, paths.hub(name).folder)  # all or nothing: no hub without its rendered file
        raise
    problems = validate_fleet(root, fleet, [name])
    return Created(
        tuple(written), tuple(problems), plan.next_steps, plan.warnings, _seed_step(fleet, problems, name)
    )


def _seed_step(fleet: Fleet, problems: Sequence[Problem], name: str) -> str | None:
    """When a chart could not be pulled (no network): which pull, and the command that seeds it."""
    from hubfleet.adapters.charts import pull_failures, seed_command

    failed = pull_failures(errors_only(problems), fleet.config.charts)
    if not failed:
        return None
    pulls = ", ".join(f"chart {c.name} {c.version} from {c.repo}" for c in failed)
    seeds = " and ".join(seed_command(c) for c in failed)
    return (
        f"pulling {pulls} failed (above): seed it with {seeds} (a packaged chart, or a chart folder), "
        f"then `invoke validate --hub {name}`"
    )


def new_cluster(
    name: str, provider: str, settings: Mapping[str, str | None], *, start: Path | None = None
) -> Created:
    root, fleet = load_work_tree(start)
    plan = scaffold.plan_cluster(view_of(root, fleet), name, provider, settings)
    folder = paths.cluster(name).folder
    written = _write_all(root, plan.files, folder)
    _, fleet = load_work_tree(root)
    problems = [p for p in fleet.problems if p.file.startswith(folder + "/")]
    if name in fleet.clusters and fleet.support_of(name):  # its support releases' rendered files
        from hubfleet.app.support import render_all_support

        rendered, found = render_all_support(fleet, [name])
        if found:
            _remove(root, folder)
            raise ProblemsError(found)
        (root / paths.cluster(name).support_folder).mkdir(exist_ok=True)
        written += write_rendered(root, rendered)
    return Created(tuple(written), tuple(problems), plan.next_steps)


def _write_all(root: Path, files: Mapping[str, str], folder: str) -> list[str]:
    """Create `folder` with every file in it, whole or not at all (`userfiles.new_folder`)."""
    target = root / folder
    if target.exists() or target.is_symlink():
        raise HubfleetError(f"{folder}: already exists: choose another name")

    def fill(tmp: Path) -> None:
        for rel, text in files.items():
            path = tmp / Path(rel).relative_to(folder)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    userfiles.new_folder(target, fill, shown=folder, role="new folder")
    return list(files)


def _remove(root: Path, folder: str) -> None:
    shutil.rmtree(root / folder, ignore_errors=True)


def describe(created: Created, written_note: Sequence[str] = ()) -> list[str]:
    """Lines for the console: what was written, what validating found, what to edit next."""
    out = [f"  wrote {path}" for path in created.written]
    out += list(written_note)
    errors = errors_only(created.problems)
    out.append(
        f"validate: {len(errors)} error(s), {len(created.problems) - len(errors)} warning(s)"
        + ("" if errors else " - ready to commit")
    )
    if created.notes:
        out.append("copied lines that name the other hub (check them):")
        out += [f"  {n}" for n in created.notes]
    steps = list(created.next_steps)
    if errors:
        files = sorted({p.file for p in errors})
        first = created.first_step
        if first is None or len(errors) > 1:  # (a failed pull is one error, in fleet.yaml)
            steps.insert(
                0, f"fix the {len(errors)} error(s) above (in {', '.join(files)}), then `invoke validate`"
            )
        if first is not None:
            steps.insert(0, first)
    out.append("next:")
    out += [f"  {i}. {step}" for i, step in enumerate(steps, start=1)]
    return out
