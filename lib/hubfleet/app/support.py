"""Cluster support releases (contract v1.1): render, check, deploy, each as for a hub.

A support release on a cluster is composed from `support/<r>.values.yaml` and
`clusters/<c>/support/<r>.values.yaml` with `${cluster:...}` facts, written to
`clusters/<c>/support/<r>.rendered.values.yaml` with the plain-Helm header, checked
against its chart's own schema and defaults, and deployed (before the cluster's hubs)
by exactly the command in that header, its sops secrets passed in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from hubfleet.adapters import charts, helm, memfile, providers, sops, yamlio
from hubfleet.adapters.runner import CommandError, Runner, output_tail, run
from hubfleet.app.freshness import Freshness, support_key
from hubfleet.app.load import located, parse_bytes
from hubfleet.app.releases import ReleaseOnCluster, folder_manifests, wanted_values
from hubfleet.app.render import Rendered, text
from hubfleet.core import paths, policy, secretlayers
from hubfleet.core.compose import compose, header, layer_setting
from hubfleet.core.errors import HubfleetError, KeyPath, Problem
from hubfleet.core.model import Fleet
from hubfleet.core.release import UNCHANGED
from hubfleet.core.rollout import Result
from hubfleet.core.support import SupportTarget, support_facts
from hubfleet.core.tree import merge

__all__ = [
    "check_support",
    "deploy_support",
    "render_all_support",
    "render_support",
    "stray_layer_problems",
    "support_commands",
    "support_layers",
    "validate_support",
]

GRACE = 20  # seconds past Helm's own --timeout before the runner kills it (as for hubs)


def support_layers(fleet: Fleet, target: SupportTarget) -> list[tuple[str, dict[str, Any]]]:
    """(file, parsed layer) of each existing layer, lowest first."""
    out = []
    for path in paths.support(target.cluster, target.name).layers:
        data = fleet.source.read(path)
        if data is not None:
            out.append((path, parse_bytes(data, path, allow_empty=True)))
    return out


def has_secrets(fleet: Fleet, target: SupportTarget) -> bool:
    return fleet.source.read(paths.support(target.cluster, target.name).secrets) is not None


def support_commands(fleet: Fleet, target: SupportTarget) -> list[str]:
    """The plain-Helm lines of its header (fleet root as working directory)."""
    p = paths.support(target.cluster, target.name)
    secrets = [p.secrets] if has_secrets(fleet, target) else []
    chart = fleet.config.charts[target.release.chart]
    return helm.header_commands(
        target.release,
        chart,
        bool(secrets),
        values_file=p.rendered,
        secrets_files=secrets,  # type: ignore[arg-type]
    )


def render_support(fleet: Fleet, target: SupportTarget) -> Rendered:
    """The rendered file of one support release on one cluster."""
    layers = support_layers(fleet, target)
    cluster = fleet.clusters[target.cluster]
    values = compose(layers, support_facts(cluster.name, cluster.provider))
    head = support_header(fleet, target, [f for f, _ in layers])
    return Rendered(
        target.id, paths.support(target.cluster, target.name).rendered, values, text(values, head)
    )


def support_header(fleet: Fleet, target: SupportTarget, layer_files: list[str]) -> str:
    p = paths.support(target.cluster, target.name)
    return header(
        layer_files, support_commands(fleet, target), p.secrets if has_secrets(fleet, target) else None
    )


def render_all_support(
    fleet: Fleet, clusters: Sequence[str] | None = None
) -> tuple[list[Rendered], list[Problem]]:
    """Every support release of the named clusters (default: all): the rendered files and problems."""
    out, problems = [], []
    for t in fleet.support_targets():
        if clusters is not None and t.cluster not in clusters:
            continue
        try:
            out.append(render_support(fleet, t))
        except HubfleetError as e:
            problems.extend(e.problems or [Problem(paths.support(t.cluster, t.name).layer, str(e))])
    return out, located(problems, fleet.source)


# --- validation ------------------------------------------------------------------------------


def validate_support(
    fleet: Fleet, targets: Sequence[SupportTarget], schemas: dict[str, Any], fresh: Freshness | None = None
) -> list[Problem]:
    """`invoke validate` for the support releases: each on each cluster, the shared secrets files
    (plaintext is an error even where no hub uses them), and support files nothing uses."""
    found: dict[Problem, list[str]] = {}  # a fleet layer's problem: once, naming its clusters
    for t in targets:
        for p in check_support(fleet, t, schemas.get(t.release.chart), fresh):
            found.setdefault(p, []).append(t.cluster)
    out = [on_clusters(p, clusters) for p, clusters in found.items()]
    for file in (paths.FLEET_SECRETS, *(paths.cluster(c).secrets for c in sorted(fleet.clusters))):
        out += read_secrets_doc(fleet, file)[1]
    return out + stray_layer_problems(fleet)


def check_support(
    fleet: Fleet, target: SupportTarget, schema: Any, fresh: Freshness | None = None
) -> list[Problem]:
    """Render, then the chart's own schema (defaults coalesced; secrets as typed placeholders),
    a plaintext secrets file, and secret-looking keys in its values layers; with `fresh`
    (`app.freshness.Freshness`), whether its rendered file is what render writes now."""
    try:
        layers = support_layers(fleet, target)
        cluster = fleet.clusters[target.cluster]
        values = compose(layers, support_facts(cluster.name, cluster.provider))
    except HubfleetError as e:
        return located(list(e.problems), fleet.source)
    out: list[Problem] = []
    if fresh is not None:
        stale = _stale(fleet, target, [f for f, _ in layers], values, fresh)
        out += [stale] if stale is not None else []
    for file, layer in layers:
        data = fleet.source.read(file) or b""
        out += [p.with_line(yamlio.locate(data, p.keypath)) for p in policy.secret_key_problems(file, layer)]
    secrets_file = paths.support(target.cluster, target.name).secrets
    secrets_doc, found = read_secrets_doc(fleet, secrets_file)
    out += found
    if schema is not None:
        doc = merge([values, secretlayers.placeholders(secrets_doc)]) if secrets_doc else values
        encrypted = secretlayers.encrypted_paths(secrets_doc) if secrets_doc else frozenset()
        for e in schema.errors(doc):
            if e.keypath in encrypted and e.validator not in ("type", "additionalProperties"):
                continue  # an encrypted value's content cannot be checked, only its type
            out.append(
                Problem(_blame(layers, secrets_file, secrets_doc, e.keypath, target), e.message, e.keypath)
            )
    return located(out, fleet.source)


def _stale(
    fleet: Fleet, target: SupportTarget, files: list[str], values: dict[str, Any], fresh: Freshness
) -> Problem | None:
    """Whether its rendered file is what render writes now (`app.freshness`)."""

    def head() -> str:
        return support_header(fleet, target, files)

    return fresh.problem(
        paths.support(target.cluster, target.name).rendered,
        support_key(fleet, target, fresh.digest_of, fresh.code),
        values,
        head,
        lambda: text(values, head()),
        "invoke render",
    )


def _blame(
    layers: list[tuple[str, dict[str, Any]]],
    secrets_file: str,
    secrets_doc: dict[str, Any] | None,
    keypath: KeyPath,
    target: SupportTarget,
) -> str:
    if secrets_doc:
        from hubfleet.core.tree import sets

        if sets(secretlayers.strip_sops(secrets_doc), keypath):
            return secrets_file
    if layers:
        return layer_setting(layers, keypath)
    return paths.support(target.cluster, target.name).fleet_layer


def read_secrets_doc(fleet: Fleet, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A sops file as committed (encrypted leaves), or its problems: unreadable, plaintext, or a
    leaf in clear beside encrypted ones (each located). Checked without any key."""
    try:
        data = fleet.source.read(file)
        if data is None:
            return None, []
        doc = parse_bytes(data, file, allow_empty=True)
    except HubfleetError as e:
        return None, list(e.problems)
    why = sops.plaintext_problem(file, data)
    if why:
        return None, [Problem(file, why)]
    clear = secretlayers.clear_leaves(doc)
    if clear:
        return None, [
            Problem(
                file,
                "is in clear text beside sops-encrypted values (added by hand?): sops cannot decrypt "
                "the file with it (its MAC fails); add it with sops (`invoke secrets`) and rotate it",
                path,
                yamlio.locate(data, path),
            )
            for path in clear
        ]
    return doc, []


def stray_layer_problems(fleet: Fleet) -> list[Problem]:
    """Warnings for support files that no release uses (a typo in a name, a skipped release)."""
    names = {r.name for r in fleet.config.support}
    out: list[Problem] = []
    suffixes = (".rendered.values.yaml", ".values.yaml", ".secrets.yaml")
    for file in fleet.source.files_under(paths.SUPPORT):
        release = _release_of(file.rsplit("/", 1)[-1], suffixes)
        if release is not None and release not in names:
            out.append(
                Problem(file, f"no support release `{release}` in fleet.yaml `support:`", severity="warning")
            )
    for cluster in fleet.clusters.values():
        if cluster.is_local:
            continue
        runs = {t.name for t in fleet.support_of(cluster.name)}
        for file in fleet.source.files_under(paths.cluster(cluster.name).support_folder):
            release = _release_of(file.rsplit("/", 1)[-1], suffixes)
            if release is None or release in runs:
                continue
            why = "skips it (cluster.yaml `support.skip`)" if release in names else "runs no such release"
            out.append(
                Problem(file, f"cluster {cluster.name} {why}: this file is not used", severity="warning")
            )
    return out


def _release_of(name: str, suffixes: Sequence[str]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


# --- deploy ----------------------------------------------------------------------------------


def select_support(
    fleet: Fleet,
    *,
    hub: str | None = None,
    cluster: str | None = None,
    planned: Sequence[Any] | None = None,
) -> list[SupportTarget]:
    """Pure over the fleet: the support releases a deploy runs, in order. `--hub` runs none;
    `--cluster C` all of C's; a plan its own (narrowed by `--cluster`), each checked against the tree."""
    if hub is not None:
        return []
    if planned is None:
        return fleet.support_of(cluster) if cluster in fleet.clusters else []
    again = "the plan is from another commit or fleet; make it again with `invoke plan`"
    out = []
    for s in planned:
        if cluster is not None and s.cluster != cluster:
            continue
        if s.cluster not in fleet.clusters:
            raise HubfleetError(f"the plan names cluster `{s.cluster}`, which is not in clusters/: {again}")
        runs = {t.name: t for t in fleet.support_of(s.cluster)}
        if s.name not in runs:
            raise HubfleetError(
                f"the plan names support release {s.name} on {s.cluster}, which it does not run: {again}"
            )
        out.append(runs[s.name])
    order = {t.id: i for i, t in enumerate(fleet.support_targets())}
    return sorted(out, key=lambda t: order[t.id])  # fleet.yaml's order, whatever the file's


def check_rendered(root: Path, fleet: Fleet, target: SupportTarget) -> None:
    """Deploy what is committed, and only if it is what the layers render to."""
    rel = paths.support(target.cluster, target.name).rendered
    path = root / rel
    if not path.is_file():
        raise HubfleetError(f"{rel}: missing: run `invoke render`")
    if path.read_text(encoding="utf-8") != render_support(fleet, target).text:
        raise HubfleetError(f"{rel}: stale (the layers render differently): run `invoke render`")


def deploy_support(
    root: Path,
    fleet: Fleet,
    target: SupportTarget,
    *,
    dry_run: bool = False,
    runner: Runner = run,
    echo: Callable[[str], None] = print,
    force: bool = False,
) -> Result:
    """Deploy one support release (or show it, `dry_run`); a failed Result, never an exception.
    `force`: upgrade it even when unchanged."""
    start = time.monotonic()
    try:
        check_rendered(root, fleet, target)
        if dry_run:
            echo(dry_run_text(fleet, target))
            return Result(target.id, True, "dry run: nothing deployed", time.monotonic() - start)
        ok, message = _release(root, fleet, target, runner=runner, force=force)
        return Result(target.id, ok, message, time.monotonic() - start)
    except HubfleetError as e:
        return Result(target.id, False, str(e), time.monotonic() - start)


def dry_run_text(fleet: Fleet, target: SupportTarget) -> str:
    """Pure over the fleet: the commands `invoke deploy` would run for this release."""
    chart = fleet.config.charts[target.release.chart]
    p = paths.support(target.cluster, target.name)
    rollout = fleet.config.rollout
    values = [p.rendered] + ([f"<decrypted {p.secrets}>"] if has_secrets(fleet, target) else [])
    creds = providers.describe(fleet.clusters[target.cluster])
    lines = [f"# support release {target.name} on cluster {target.cluster}: `invoke deploy` would run:"]
    lines += [helm.shell(a) for a in helm.prepare_argvs(chart)]
    lines.append(
        helm.shell(helm.deploy_argv(target.release, chart, values, rollout.timeout, rollout.wait, creds))
    )  # type: ignore[arg-type]
    return "\n".join(lines)


def _release(
    root: Path, fleet: Fleet, target: SupportTarget, *, runner: Runner, force: bool = False
) -> tuple[bool, str]:
    """(ok, what happened): `helm upgrade`, unless the release is UNCHANGED (as a hub's)."""
    chart = fleet.config.charts[target.release.chart]
    cluster = fleet.clusters[target.cluster]
    rollout = fleet.config.rollout
    p = paths.support(target.cluster, target.name)
    helm.repo_add(root, chart, runner=runner, timeout=rollout.tool_timeout)
    charts.ensure_dependencies(root, chart, runner=runner)
    clear = sops.decrypt_file(root, root / p.secrets, runner=runner) if (root / p.secrets).is_file() else None
    mask = sops.load_secret_strings(clear) if clear else []
    with (
        providers.credentials(cluster, root, runner) as creds,
        memfile.memfiles([(clear, f"{p.secrets}, decrypted")] if clear else []) as held,
    ):
        on_cluster = ReleaseOnCluster(root, target.release, rollout, creds, runner)
        secrets = yamlio.parse(clear, p.secrets, allow_empty=True) if clear else None
        wanted = wanted_values(root, p.rendered, secrets)
        now = folder_manifests(
            root,
            target.release,
            chart,
            p.rendered,
            [(clear, p.secrets)] if clear else [],
            runner=runner,
            mask=mask,
        )
        if not force and on_cluster.unchanged(
            on_cluster.history(), charts.chart_id(root, chart), wanted, now
        ):
            return True, UNCHANGED
        values = [p.rendered, *(m.path for m in held)]
        try:
            done = helm.upgrade(
                root,
                target.release,  # type: ignore[arg-type]
                chart,
                values,
                timeout=rollout.timeout,
                wait=rollout.wait,
                credentials=creds.flags,
                env=creds.env,
                grace=GRACE,
                runner=runner,
                mask=mask,
                pass_fds=(*(m.fd for m in held), *creds.fds),
            )
        except CommandError as e:
            return False, str(e)
        if done.returncode == 0:
            return True, "deployed"
        return False, f"helm exit {done.returncode}: " + output_tail(done, mask, 3)


def on_clusters(p: Problem, clusters: Sequence[str]) -> Problem:
    """A problem of a fleet-wide support layer names the clusters where it shows."""
    if not p.file.startswith(paths.SUPPORT + "/"):
        return p
    return replace(
        p, message=f"{p.message} (on cluster{'s' if len(clusters) > 1 else ''} {', '.join(clusters)})"
    )
