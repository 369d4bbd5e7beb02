"""Helm commands as data: the exact argv the contract documents, built by pure functions.

The deployer, `invoke replicate`'s deploy.sh and the rendered file's header all
use these builders, so the three can never disagree.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from .model import Chart, Hub

SECRETS_PLACEHOLDER = "<decrypted secrets.yaml>"


def rendered_path(hub: Hub) -> str:
    return f"hubs/{hub.name}/rendered.values.yaml"


def secrets_path(hub: Hub) -> str:
    return f"hubs/{hub.name}/secrets.yaml"


def repo_add_argv(chart: Chart) -> list[str] | None:
    """`helm repo add` for http(s) repository charts; OCI and folders need none."""
    if chart.kind != "repo":
        return None
    return ["helm", "repo", "add", chart.key, chart.repo or "", "--force-update"]


def prepare_argvs(chart: Chart) -> list[list[str]]:
    """What runs before the upgrade: `helm repo add` (repository charts) or `helm dependency build`
    (chart folders). The header, the dry run and replicate's deploy.sh all show these."""
    add = repo_add_argv(chart)
    if add:
        return [add]
    if chart.kind == "path":
        return [["helm", "dependency", "build", chart.path or ""]]
    return []


def upgrade_argv(hub: Hub, chart: Chart, values: Sequence[str]) -> list[str]:
    """The contract's one command (credentials, --timeout and --wait are appended by the deployer)."""
    argv = ["helm", "upgrade", "--cleanup-on-fail", "--install", hub.release, chart.ref]
    if chart.version:
        argv += ["--version", chart.version]
    argv += ["--namespace", hub.namespace, "--create-namespace"]
    for path in values:
        argv += ["--values", path]
    return argv


def template_argv(hub: Hub, chart: Chart, values: Sequence[str]) -> list[str]:
    """`helm template` with the same chart, version, release, namespace and values."""
    argv = ["helm", "template", hub.release, chart.ref]
    if chart.version:
        argv += ["--version", chart.version]
    argv += ["--namespace", hub.namespace]
    for path in values:
        argv += ["--values", path]
    return argv


def shell(argv: Sequence[str]) -> str:
    return shlex.join(argv)


def header_commands(hub: Hub, chart: Chart, has_secrets: bool) -> list[str]:
    """The plain-Helm lines in a rendered file's header, runnable from the fleet root."""
    lines = [shell(argv) for argv in prepare_argvs(chart)]
    values = [rendered_path(hub)]
    cmd = shell(upgrade_argv(hub, chart, values))
    if has_secrets:
        cmd += f" --values <(sops --decrypt {shlex.quote(secrets_path(hub))})"
    lines.append(cmd)
    return lines


def deploy_argv(
    hub: Hub, chart: Chart, values: Sequence[str], timeout: int, wait: bool, credentials: Sequence[str] = ()
) -> list[str]:
    """What the deployer runs: the contract's command, `--timeout`, `--wait` if asked, credentials last.

    Credentials go last so `deploy.sh "$@"` (replicate) yields the very same argv.
    """
    argv = [*upgrade_argv(hub, chart, values), "--timeout", f"{timeout}s"]
    if wait:
        argv.append("--wait")
    return [*argv, *credentials]
