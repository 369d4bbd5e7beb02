"""Deploy one hub: credentials, decrypted secrets, then exactly the contract's Helm command.

`deploy_hub` never raises for an expected failure (unreachable chart repository,
missing age key, Helm error, timeout): it returns a failed `Result`, so a rollout
carries on with the other hubs. Secrets are masked in every message.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from hubfleet.adapters import charts, helm, kubectl, memfile, providers
from hubfleet.adapters.locks import release_lock
from hubfleet.adapters.runner import CommandError, Interrupted, Runner, mask_secrets, output_tail, run
from hubfleet.app.layered_secrets import SharedSecrets, merged_secrets, secret_files
from hubfleet.app.layered_secrets import describe as describe_secrets
from hubfleet.app.load import located
from hubfleet.app.ownership import OwnershipOnCluster
from hubfleet.app.releases import ReleaseOnCluster, folder_manifests, wanted_values
from hubfleet.app.render import hub_layers
from hubfleet.core import ownership, paths
from hubfleet.core.compose import layer_setting
from hubfleet.core.errors import HubfleetError, Problem
from hubfleet.core.model import Chart, Cluster, Fleet, Hub
from hubfleet.core.release import UNCHANGED
from hubfleet.core.rollout import Result

__all__ = ["GRACE", "deploy_hub", "dry_run_commands", "redact_manifests"]

GRACE = 20  # seconds the runner waits past Helm's own --timeout before stopping it
TERM_GRACE = 30  # seconds between SIGTERM (Helm records the release failed) and SIGKILL


def deploy_hub(
    root: Path,
    fleet: Fleet,
    hub_name: str,
    *,
    dry_run: bool = False,
    runner: Runner = run,
    echo: Callable[[str], None] = print,
    shared: SharedSecrets | None = None,
    force: bool = False,
) -> Result:
    """Deploy (or, with `dry_run`, show) one hub; a failed Result instead of an exception.

    `shared`: the fleet's and cluster's secrets levels, decrypted once for a whole rollout;
    `force`: upgrade it even when unchanged."""
    start = time.monotonic()
    try:
        hub = fleet.hub(hub_name)
        cluster = fleet.cluster_of(hub)
        if cluster.is_local:
            return _local(root, fleet, hub, dry_run, echo, start)
        check_rendered(root, fleet, hub)
        if dry_run:
            echo(dry_run_head(root, fleet, hub))
            echo(dry_run_manifests(root, fleet, hub, runner=runner))
            return Result(hub_name, True, "dry run: nothing deployed", time.monotonic() - start)
        ok, message = release(root, fleet, hub, cluster, runner=runner, shared=shared, force=force)
        return Result(hub_name, ok, message, time.monotonic() - start)
    except HubfleetError as e:
        return Result(hub_name, False, str(e), time.monotonic() - start)


def _local(
    root: Path, fleet: Fleet, hub: Hub, dry_run: bool, echo: Callable[[str], None], start: float
) -> Result:
    if dry_run:
        echo(f"# {hub.name}: on local cluster {hub.cluster}: no Helm; deploy starts JupyterHub here")
        return Result(hub.name, True, "dry run: nothing started", time.monotonic() - start)
    from hubfleet.local import provider as local

    return local.deploy(root, fleet, hub)


def check_rendered(root: Path, fleet: Fleet, hub: Hub) -> None:
    """Deploy what is committed, and only if it is what the layers render to."""
    from hubfleet.app.render import render_hub

    path = root / paths.hub(hub.name).rendered
    if not path.is_file():
        raise HubfleetError(f"{paths.hub(hub.name).rendered}: missing: run `invoke render --hub {hub.name}`")
    if path.read_text(encoding="utf-8") != render_hub(fleet, hub).text:
        raise HubfleetError(
            f"{paths.hub(hub.name).rendered}: stale (the layers render differently): run `invoke render`"
        )


def release(
    root: Path,
    fleet: Fleet,
    hub: Hub,
    cluster: Cluster,
    *,
    runner: Runner = run,
    shared: SharedSecrets | None = None,
    force: bool = False,
) -> tuple[bool, str]:
    """Run `helm upgrade` for the hub: (ok, what happened, masked).

    First the release's state: a release stuck in `pending-*` is recovered by `rollout.stuck`;
    one already `deployed` from the same chart version with exactly these values is not upgraded
    (UNCHANGED: no new revision) unless `force` (objects edited by hand are not compared).
    After a failure or a timeout, the state Helm left is part of the message. The secrets
    levels (fleet, cluster, hub), merged and decrypted in memory, are the last `--values`: an
    anonymous in-memory file (`/dev/fd/N`), so no decrypted byte touches a filesystem.
    """
    chart = fleet.chart_of(hub)
    rollout = fleet.config.rollout
    helm.repo_add(root, chart, runner=runner, timeout=rollout.tool_timeout)
    charts.ensure_dependencies(root, chart, runner=runner)
    merged = merged_secrets(root, hub, shared, runner=runner)
    held_in = [(merged.data, f"secrets of {hub.name}, merged")] if merged else []
    with (
        release_lock(cluster.name, hub.namespace, hub.release),  # one helm on a release at a time
        providers.credentials(cluster, root, runner) as creds,
    ):
        on_cluster = ReleaseOnCluster(root, hub, rollout, creds, runner)
        owned = OwnershipOnCluster(root, cluster.name, fleet.config.name, creds, runner, rollout.tool_timeout)
        before = owned.namespace(hub.namespace)  # absent: hubfleet's Helm creates it (the mark says so)
        revs = on_cluster.history()
        notes = [n for n in [on_cluster.recover_stuck(revs)] if n]
        wanted = wanted_values(root, paths.hub(hub.name).rendered, merged.values if merged else None)
        now = folder_manifests(
            root,
            hub,
            chart,
            paths.hub(hub.name).rendered,
            held_in,
            runner=runner,
            mask=merged.mask if merged else (),
        )
        if not force and not notes and on_cluster.unchanged(revs, charts.chart_id(root, chart), wanted, now):
            try:
                owned.mark(hub.namespace, hub.name, before)  # idempotent; a release deployed unmarked
            except HubfleetError as e:
                return False, f"{UNCHANGED}, but its namespace is not marked as hubfleet's: {e}"
            return True, UNCHANGED
        mask: Sequence[str] = [*(merged.mask if merged else []), *creds.mask]
        try:
            with memfile.memfiles(held_in) as held:
                done = helm.upgrade(
                    root,
                    hub,
                    chart,
                    [paths.hub(hub.name).rendered, *(m.path for m in held)],
                    timeout=rollout.timeout,
                    wait=rollout.wait,
                    atomic=rollout.atomic,
                    credentials=creds.flags,
                    env=creds.env,
                    grace=GRACE,
                    term_grace=TERM_GRACE,
                    runner=runner,
                    mask=mask,
                    pass_fds=[*creds.fds, *(m.fd for m in held)],
                )
        except CommandError as e:  # Helm's own --timeout passed, then GRACE: stopped
            how = e.why.split(", ", 1)[-1]  # "stopped by SIGTERM" / "not stopped by SIGTERM ..., killed"
            why = f"timed out after {rollout.timeout}s (Helm's --timeout) + {GRACE}s, {how}"
            return False, "; ".join([*notes, why, on_cluster.state_left()])
        except (Interrupted, KeyboardInterrupt):  # Ctrl-C: helm was stopped, the clear secrets are gone
            on_cluster.after_interrupt()
            raise
        if done.returncode == 0:
            try:
                owned.mark(hub.namespace, hub.name, before)
            except HubfleetError as e:
                return False, "; ".join(
                    [*notes, f"deployed, but its namespace is not marked as hubfleet's: {e}"]
                )
            return True, "; ".join(["deployed", *notes])
        with contextlib.suppress(HubfleetError):  # a failed first install may have made the namespace
            owned.mark(hub.namespace, hub.name, before)
        failed = f"helm exit {done.returncode}: " + output_tail(done, mask, 3)
        return False, "; ".join([*notes, failed, on_cluster.state_left()])


# --- dry run -----------------------------------------------------------------------------


def dry_run_commands(fleet: Fleet, hub: Hub, has_secrets: bool) -> list[str]:
    """Pure: the commands `invoke deploy` would run, temp files shown as placeholders."""
    chart = fleet.chart_of(hub)
    cluster = fleet.cluster_of(hub)
    rollout = fleet.config.rollout
    lines = [
        helm.shell(argv) + ("  # if needed" if argv == helm.dependency_build_argv(chart) else "")
        for argv in helm.prepare_argvs(chart)
    ]
    files = [f for f in paths.secret_layers(hub.name, hub.cluster) if fleet.source.read(f) is not None]
    values = [paths.hub(hub.name).rendered] + ([describe_secrets(files)] if has_secrets and files else [])
    creds = providers.describe(cluster)
    argv = helm.deploy_argv(hub, chart, values, rollout.timeout, rollout.wait, creds, atomic=rollout.atomic)
    lines.append(helm.shell(argv))
    mark = kubectl.label_namespace_argv(
        hub.namespace, ownership.marks(cluster.name, hub.name, fleet=fleet.config.name, created=False)
    )
    lines.append(
        helm.shell([*mark, *kubectl.kubectl_flags(creds)])
        + f"  # the ownership mark (+ {ownership.CREATED}=true if Helm created the namespace)"
    )
    return lines


def dry_run_head(root: Path, fleet: Fleet, hub: Hub) -> str:
    has_secrets = bool(secret_files(root, hub))
    out = [f"# {hub.name} on cluster {hub.cluster}: `invoke deploy` would run:"]
    return "\n".join(out + dry_run_commands(fleet, hub, has_secrets))


def dry_run_manifests(root: Path, fleet: Fleet, hub: Hub, *, runner: Runner = run) -> str:
    """The manifests real Helm templates from the real chart, Secrets redacted."""
    chart = fleet.chart_of(hub)
    out: list[str] = []
    merged = None
    if secret_files(root, hub):  # template with secrets when we can; a dry run on CI may have no key
        try:
            merged = merged_secrets(root, hub, runner=runner)
        except HubfleetError as e:
            out.append(f"# warning: templating without secrets: {e}")
    mask = merged.mask if merged else []
    with memfile.memfiles([(merged.data, "merged secrets")] if merged else []) as held:
        values = [paths.hub(hub.name).rendered, *(m.path for m in held)]
        folder = charts.chart_dir(root, chart, runner=runner)
        try:
            done = helm.template(
                root,
                hub,
                chart,
                values,
                chart_folder=folder,
                runner=runner,
                mask=mask,
                pass_fds=[m.fd for m in held],
            )
        except helm.SchemaRefused as e:
            raise _located_refusal(fleet, hub, e) from None
        out.append(f"# helm template {hub.release} ({_chart_label(chart)}): manifests follow")
        out.append(redact_manifests(done.stdout, mask).rstrip("\n"))
    return "\n".join(out) + "\n"


def _located_refusal(fleet: Fleet, hub: Hub, refused: helm.SchemaRefused) -> HubfleetError:
    """Helm's schema error, each key at the layer file and line that set it (as validate says)."""
    layers = hub_layers(fleet, hub)
    found = [
        Problem(layer_setting(layers, keypath), f"helm template: {message}", keypath, hub=hub.name)
        for keypath, message in refused.found
    ]
    problems = located(found, fleet.source)
    head = f"{paths.hub(hub.name).folder}: Helm refused the values against the chart's schema:"
    return HubfleetError("\n".join([head, *map(str, problems)]), problems=problems)


def _chart_label(chart: Chart) -> str:
    return chart.path or f"{chart.ref} {chart.version}"


_DOC_SPLIT = re.compile(r"(?m)^---[ \t]*\n")
_SECRET_KIND = re.compile(r"(?m)^kind:[ \t]*Secret[ \t]*$")


def redact_manifests(text: str, mask: Sequence[str] = ()) -> str:
    """Pure: Secret `data`/`stringData` values replaced, and known secret strings masked."""
    docs = _DOC_SPLIT.split(text)
    out = []
    for doc in docs:
        if _SECRET_KIND.search(doc):
            comments = "".join(line + "\n" for line in doc.splitlines() if line.startswith("#"))
            try:
                body = yaml.safe_load(doc)
            except yaml.YAMLError:
                body = None
            if isinstance(body, dict):
                for key in ("data", "stringData"):
                    if isinstance(body.get(key), dict):
                        body[key] = {k: "<redacted>" for k in body[key]}
                doc = comments + yaml.safe_dump(body, sort_keys=False)
            else:
                doc = comments + "# <Secret redacted>\n"
        out.append(doc)
    return mask_secrets("---\n".join(out), mask)
