"""The plan use case: which hubs a change between two commits must deploy, in order.

The imperative shell around the pure `hubfleet.core.plan`: load both commits from git
objects, gather each hub's Helm input, render only hubs whose raw inputs differ,
and read or write plan files (the contract's JSON). Printing is `hubfleet.cli.commands.plan`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from hubfleet.adapters.gitsource import GitSource, digest, folder_digest, git, resolve_rev
from hubfleet.adapters.runner import CommandError, Runner
from hubfleet.adapters.runner import run as default_runner
from hubfleet.app.load import layer_paths, load_fleet, located
from hubfleet.app.render import render_hub
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError, Problem, ProblemsError, errors_only, os_problem
from hubfleet.core.model import Fleet
from hubfleet.core.plan import BROKEN, HubInput, Plan, needs_render, plan, plan_from_json

__all__ = ["compare", "compute", "default_base", "hub_inputs", "read_plan_json", "write_json", "write_output"]


def default_base(root: Path, runner: Runner = default_runner) -> str:
    """`git merge-base HEAD origin/main` when origin/main exists, else HEAD~1."""
    try:
        git(["rev-parse", "--verify", "--quiet", "origin/main^{commit}"], root, runner)
        return git(["merge-base", "HEAD", "origin/main"], root, runner)
    except CommandError:
        return _parent_of_head(root, runner)


def _parent_of_head(root: Path, runner: Runner) -> str:
    try:
        return git(["rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"], root, runner)
    except CommandError:
        raise HubfleetError(
            "HEAD has no parent commit here (a first commit, or a shallow clone) and there is no "
            "origin/main: give --base REF, or fetch history (CI: actions/checkout with fetch-depth: 0)"
        ) from None


def compute(root: Path, base: str | None, head: str, runner: Runner = default_runner) -> tuple[Plan, Fleet]:
    """The plan between two revisions of the fleet at `root` (which may be a repo subfolder)."""
    try:
        git(["rev-parse", "--git-dir"], root, runner)
    except CommandError:
        raise HubfleetError(f"{root} is not in a git repository: `invoke plan` compares commits") from None
    base_rev = base or default_base(root, runner)
    base_sha, head_sha = resolve_rev(root, base_rev, runner), resolve_rev(root, head, runner)
    with GitSource(root, head_sha, runner) as head_src, GitSource(root, base_sha, runner) as base_src:
        head_fleet = load_fleet(head_src)
        errors = errors_only(head_fleet.problems)
        if errors:
            raise ProblemsError(errors)  # never plan a deploy of a head that does not load
        try:
            base_fleet: Fleet | None = load_fleet(base_src)
        except HubfleetError:
            base_fleet = None  # no usable fleet at base: every hub counts as changed
        return compare(base_fleet, head_fleet, base_sha, head_sha), head_fleet


def compare(base: Fleet | None, head: Fleet, base_sha: str = "", head_sha: str = "") -> Plan:
    """The plan between two loaded fleets (any Source); renders only hubs whose raw inputs differ."""
    now = hub_inputs(head)
    was = hub_inputs(base) if base else {}
    for name in needs_render(was, now):
        now[name] = dataclasses.replace(now[name], values=_render_head(head, name))
        if name in was:
            was[name] = dataclasses.replace(was[name], values=_render_base(base, name))
    return plan(was, now, base_sha, head_sha, base.broken_hubs if base else ())


def hub_inputs(fleet: Fleet) -> dict[str, HubInput]:
    """Each loadable hub's Helm input, with digests of its raw files (no rendering)."""
    src = fleet.source
    folders: dict[str, str] = {}
    out = {}
    for name, hub in fleet.hubs.items():
        if name in fleet.broken_hubs or hub.cluster not in fleet.clusters:
            continue
        chart = fleet.chart_of(hub)
        folder = ""
        if chart.kind == "path" and chart.path:
            folder = folders.get(chart.path) or folders.setdefault(chart.path, folder_digest(src, chart.path))
        chart_id = (chart.kind, chart.repo or "", chart.name, chart.version or "", folder)
        label = f"{chart.path} (folder)" if chart.kind == "path" else f"{chart.name} {chart.version}"
        secrets = digest(src, paths.hub(name).secrets)
        raw = (
            tuple(digest(src, p) for p in layer_paths(hub)),
            digest(src, hub.file),
            digest(src, fleet.cluster_of(hub).file),
            secrets,
            chart_id,
        )
        out[name] = HubInput(
            name, hub.cluster, hub.stage, hub.release, hub.namespace, chart_id, label, secrets, raw
        )
    return out


def _render_head(fleet: Fleet, name: str) -> dict:
    try:
        return render_hub(fleet, fleet.hubs[name]).values
    except HubfleetError as e:
        problems = e.problems or (Problem(paths.hub(name).folder, str(e)),)
        found = located(list(problems), fleet.source)
        raise ProblemsError(
            [dataclasses.replace(p, message=f"{p.message} (at head)") for p in found]
        ) from None


def _render_base(fleet: Fleet | None, name: str) -> dict | str:
    try:
        assert fleet is not None
        return render_hub(fleet, fleet.hubs[name]).values
    except HubfleetError:
        return BROKEN  # broken before the change: deploying the fixed version is the point


# --- plan files -----------------------------------------------------------------------------


def read_plan_json(path: str | Path) -> Plan:
    """Read and check a plan file (from `invoke plan --json`); every problem is one located line."""
    file = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubfleetError(f"{file}: no such plan file (make one with `invoke plan --json FILE`)") from None
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise HubfleetError(f"{file}: cannot read plan file: {e}") from None
    except json.JSONDecodeError as e:
        raise HubfleetError.at(file, f"not JSON: {e.msg}", line=e.lineno) from None
    return plan_from_json(doc, file)


def write_json(plan: Plan, path: Path) -> None:
    write_output(path, json.dumps(plan.to_json(), indent=2) + "\n")


def write_output(path: Path, text: str) -> None:
    """Write a file the user named (--json, --markdown); a bad path is one line, not a crash."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise os_problem(path, "write", e) from None
