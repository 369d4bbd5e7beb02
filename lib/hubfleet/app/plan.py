"""The plan use case: which hubs a change between two commits must deploy, in order.

The imperative shell around the pure `hubfleet.core.plan`: load both commits from git
objects, gather each hub's Helm input, render only hubs whose raw inputs differ,
and read or write plan files (the contract's JSON). Printing is `hubfleet.cli.commands.plan`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hubfleet.adapters import userfiles
from hubfleet.adapters.gitsource import GitSource, digest, folder_digest, git, resolve_rev
from hubfleet.adapters.runner import CommandError, Runner
from hubfleet.adapters.runner import run as default_runner
from hubfleet.app.load import layer_paths, load_fleet, located, parse_bytes
from hubfleet.app.render import render_hub
from hubfleet.core import paths, secretlayers
from hubfleet.core.errors import HubfleetError, Problem, ProblemsError, errors_only
from hubfleet.core.model import Chart, Fleet
from hubfleet.core.plan import BROKEN, HubInput, Plan, needs_render, plan, plan_from_json, plan_support

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
    """The plan between two loaded fleets (any Source); renders only what's raw inputs differ."""
    now = hub_inputs(head)
    was = hub_inputs(base) if base else {}
    for name in needs_render(was, now):
        now[name] = dataclasses.replace(now[name], values=_render_head(head, name))
        if name in was:
            was[name] = dataclasses.replace(was[name], values=_render_base(base, name))
    result = plan(was, now, base_sha, head_sha, base.broken_hubs if base else ())
    s_now = support_inputs(head)
    s_was = support_inputs(base) if base else {}
    for key in needs_render(s_was, s_now):
        s_now[key] = dataclasses.replace(s_now[key], values=_render_support(head, key, at_head=True))
        if key in s_was:
            s_was[key] = dataclasses.replace(s_was[key], values=_render_support(base, key, at_head=False))
    return dataclasses.replace(result, support=plan_support(s_was, s_now))


class _Inputs:
    """Digests shared by every hub of one fleet: a chart folder's, a secrets file's (read once)."""

    def __init__(self, fleet: Fleet) -> None:
        self.src = fleet.source
        self.folders: dict[str, str] = {}
        self.secret_memo: dict[str, tuple[str, dict[str, Any]] | None] = {}

    def chart(self, chart: Chart) -> tuple[tuple[str, ...], str]:
        folder = ""
        if chart.kind == "path" and chart.path:
            if chart.path not in self.folders:
                self.folders[chart.path] = folder_digest(self.src, chart.path)
            folder = self.folders[chart.path]
        chart_id = (chart.kind, chart.repo or "", chart.name, chart.version or "", folder)
        label = f"{chart.path} (folder)" if chart.kind == "path" else f"{chart.name} {chart.version}"
        return chart_id, label

    def secret(self, path: str) -> tuple[str, dict[str, Any]] | None:
        """(digest of the encrypted values, the encrypted document) of a secrets file, None if absent.

        By content, not bytes: `sops updatekeys` (new recipients) changes no value, so plans nothing.
        A file that does not parse counts by its bytes (validate reports it)."""
        if path not in self.secret_memo:
            data = self.src.read(path)
            if data is None:
                self.secret_memo[path] = None
            else:
                try:
                    doc = parse_bytes(data, path, allow_empty=True)
                    self.secret_memo[path] = (secretlayers.content_digest(doc) or "", doc)
                except HubfleetError:
                    self.secret_memo[path] = (digest(self.src, path) or "", {})
        return self.secret_memo[path]

    def secrets(self, files: Sequence[str]) -> tuple[tuple[tuple[str, str], ...], dict[str, Any]]:
        found = [(f, self.secret(f)) for f in files]
        levels = tuple((f, got[0]) for f, got in found if got is not None)
        docs = {f: got[1] for f, got in found if got is not None}
        return levels, docs


def hub_inputs(fleet: Fleet) -> dict[str, HubInput]:
    """Each loadable hub's Helm input, with digests of its raw files (no rendering)."""
    src = fleet.source
    inputs = _Inputs(fleet)
    out = {}
    for name, hub in fleet.hubs.items():
        if name in fleet.broken_hubs or hub.cluster not in fleet.clusters:
            continue
        chart_id, label = inputs.chart(fleet.chart_of(hub))
        secrets, docs = inputs.secrets(paths.secret_layers(name, hub.cluster))
        raw = (
            tuple(digest(src, p) for p in layer_paths(hub)),
            digest(src, hub.file),
            digest(src, fleet.cluster_of(hub).file),
            secrets,
            chart_id,
        )
        out[name] = HubInput(
            name,
            hub.cluster,
            hub.stage,
            hub.release,
            hub.namespace,
            chart_id,
            label,
            secrets,
            raw,
            None,
            docs,
        )
    return out


def support_inputs(fleet: Fleet) -> dict[str, HubInput]:
    """Each support release on each cluster (key `cluster/release`): its Helm input, as for a hub."""
    src = fleet.source
    inputs = _Inputs(fleet)
    out = {}
    for t in fleet.support_targets():
        p = paths.support(t.cluster, t.name)
        chart_id, label = inputs.chart(fleet.config.charts[t.release.chart])
        secrets, docs = inputs.secrets([p.secrets])
        cluster = fleet.clusters[t.cluster]
        where = (cluster.provider, t.release.namespace)  # facts and namespace: fleet.yaml, cluster.yaml
        raw = (tuple(digest(src, f) for f in p.layers), where, secrets, chart_id)
        out[t.id] = HubInput(
            t.name,
            t.cluster,
            "support",
            t.name,
            t.release.namespace,
            chart_id,
            label,
            secrets,
            raw,
            None,
            docs,
        )
    return out


def _render_support(fleet: Fleet | None, key: str, *, at_head: bool) -> dict | str:
    from hubfleet.app.support import render_support

    assert fleet is not None
    cluster, release = key.split("/", 1)
    try:
        return render_support(fleet, fleet.support_target(cluster, release)).values
    except HubfleetError as e:
        if not at_head:
            return BROKEN
        found = located(
            list(e.problems or (Problem(paths.support(cluster, release).layer, str(e)),)), fleet.source
        )
        raise ProblemsError(
            [dataclasses.replace(p, message=f"{p.message} (at head)") for p in found]
        ) from None


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
    """Write a file the user named (--json, --markdown), whole; a bad path is one line, not a crash."""
    userfiles.write_file(path, text)
