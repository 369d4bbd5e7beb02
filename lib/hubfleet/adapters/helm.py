"""Helm, the one adapter: every helm verb hubfleet uses, its argv, and running it.

Two layers in one module, as helmfile's `helmexec` has them:
- argv builders (pure, `*_argv`): the exact commands the contract documents. The
  deployer, `invoke replicate`'s deploy.sh and the rendered file's header all use
  them, so the three can never disagree. Each takes `helm=` (default `"helm"`, as a
  user types it); the verbs pass the executable that `tools` finds.
- verbs (`repo_add`, `pull`, `dependency_build`, `template`, `upgrade`, `status`,
  `history`, `rollback`, `get_values`, `get_manifest`, `list_releases`, `uninstall`):
  run one builder's argv through the one runner, in Helm's isolated home (`helm_env`).
- readers (`revisions`, `releases`, `user_values`): a verb's JSON output as typed values;
  output of another shape is one line naming the command and what was expected, never
  "not installed" or "differs".
"""

from __future__ import annotations

import os
import re
import shlex
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hubfleet.adapters import tools
from hubfleet.adapters.runner import CommandError, Completed, Runner, mask_secrets, run
from hubfleet.adapters.source import state_dir
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError, KeyPath
from hubfleet.core.inventory import HELM_LIST, Live, parse_helm_list
from hubfleet.core.jsonshape import json_doc, json_kind
from hubfleet.core.model import TOOL_TIMEOUT_CAP, Chart, Hub
from hubfleet.core.release import Revision, parse_history

__all__ = [
    "SECRETS_PLACEHOLDER",
    "dependency_build",
    "dependency_build_argv",
    "deploy_argv",
    "get_manifest",
    "get_manifest_argv",
    "get_values",
    "get_values_argv",
    "header_commands",
    "helm_env",
    "history",
    "history_argv",
    "list_releases",
    "list_releases_argv",
    "prepare_argvs",
    "pull",
    "pull_argv",
    "releases",
    "repo_add",
    "repo_add_argv",
    "revisions",
    "rollback",
    "rollback_argv",
    "shell",
    "status",
    "status_argv",
    "template",
    "template_argv",
    "uninstall",
    "uninstall_argv",
    "upgrade",
    "upgrade_argv",
    "user_values",
]

HELM = "helm"  # argv[0] as a user types it (header, deploy.sh, dry run)
# Helm 3's rollback-on-failure flag (Helm 4 renames it --rollback-on-failure); hubfleet pins Helm 3.18.
ATOMIC = "--atomic"
SECRETS_PLACEHOLDER = "<decrypted secrets.yaml>"
# A query's deadline when the caller has no fleet settings; with them, `Rollout.tool_timeout`.
QUERY_TIMEOUT = TOOL_TIMEOUT_CAP


# --- the environment -------------------------------------------------------------------


def helm_env(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment in which helm reads and writes only `<state>/helm/`, never the user's setup."""
    home = state_dir(root) / "helm"
    env = dict(os.environ if base is None else base)
    env.update(
        HELM_CACHE_HOME=str(home / "cache"),
        HELM_CONFIG_HOME=str(home / "config"),
        HELM_DATA_HOME=str(home / "data"),
        HELM_REPOSITORY_CONFIG=str(home / "config" / "repositories.yaml"),
        HELM_REPOSITORY_CACHE=str(home / "cache" / "repository"),
        HELM_REGISTRY_CONFIG=str(home / "config" / "registry" / "config.json"),
    )
    return env


# --- argv builders (pure) ----------------------------------------------------------------


def shell(argv: Sequence[str]) -> str:
    return shlex.join(argv)


def repo_add_argv(chart: Chart, *, helm: str = HELM) -> list[str] | None:
    """`helm repo add` for http(s) repository charts; OCI and folders need none."""
    if chart.kind != "repo":
        return None
    return [helm, "repo", "add", chart.key, chart.repo or "", "--force-update"]


def dependency_build_argv(chart: Chart, *, helm: str = HELM) -> list[str]:
    """`helm dependency build <path>` of a chart folder (run from the fleet root)."""
    return [helm, "dependency", "build", chart.path or ""]


def prepare_argvs(chart: Chart, *, helm: str = HELM) -> list[list[str]]:
    """What runs before the upgrade: `helm repo add` (repository charts) or `helm dependency build`
    (chart folders). The header, the dry run and replicate's deploy.sh all show these."""
    add = repo_add_argv(chart, helm=helm)
    if add:
        return [add]
    if chart.kind == "path":
        return [dependency_build_argv(chart, helm=helm)]
    return []


def pull_argv(chart: Chart, dest: Path, *, helm: str = HELM) -> list[str]:
    """`helm pull` of a repository or OCI chart into `dest` (one .tgz)."""
    version = ["--version", chart.version] if chart.version else []
    if chart.kind == "oci":
        return [helm, "pull", chart.ref, *version, "--destination", str(dest)]
    return [helm, "pull", "--repo", chart.repo or "", chart.name, *version, "--destination", str(dest)]


def upgrade_argv(hub: Hub, chart: Chart, values: Sequence[str], *, helm: str = HELM) -> list[str]:
    """The contract's one command (credentials, --timeout and --wait are appended by the deployer)."""
    head = [helm, "upgrade", "--cleanup-on-fail", "--install", hub.release, chart.ref]
    return [*head, *_chart_args(chart, hub.namespace, values, create_namespace=True)]


def deploy_argv(
    hub: Hub,
    chart: Chart,
    values: Sequence[str],
    timeout: int,
    wait: bool,
    credentials: Sequence[str] = (),
    *,
    atomic: bool = False,
    helm: str = HELM,
) -> list[str]:
    """What the deployer runs: the contract's command, `--timeout`, `--wait` if asked, Helm's own
    rollback-on-failure flag if asked (`--atomic` in Helm 3; it implies `--wait`), credentials last.

    Credentials go last so `deploy.sh "$@"` (replicate) yields the very same argv.
    """
    argv = [*upgrade_argv(hub, chart, values, helm=helm), "--timeout", f"{timeout}s"]
    if wait:
        argv.append("--wait")
    if atomic:
        argv.append(ATOMIC)
    return [*argv, *credentials]


def template_argv(
    hub: Hub,
    chart: Chart,
    values: Sequence[str],
    *,
    chart_ref: str | None = None,
    helm: str = HELM,
    include_crds: bool = False,
) -> list[str]:
    """`helm template` with the same chart, version, release, namespace and values.

    `chart_ref`: a local chart folder to template instead of `chart.ref` (the cached pull);
    `include_crds`: the chart's `crds/` too (what `helm install` creates first).
    """
    head = [
        helm,
        "template",
        hub.release,
        chart_ref or chart.ref,
        *(["--include-crds"] if include_crds else []),
    ]
    return [*head, *_chart_args(chart, hub.namespace, values)]


def _chart_args(
    chart: Chart, namespace: str, values: Sequence[str], *, create_namespace: bool = False
) -> list[str]:
    """What follows the chart in upgrade and template alike: version, namespace, values in order."""
    argv = ["--version", chart.version] if chart.version else []
    argv += ["--namespace", namespace, *(["--create-namespace"] if create_namespace else [])]
    for path in values:
        argv += ["--values", path]
    return argv


def header_commands(
    hub: Hub,
    chart: Chart,
    has_secrets: bool,
    *,
    values_file: str | None = None,
    secrets_files: Sequence[str] | None = None,
) -> list[str]:
    """The plain-Helm lines in a rendered file's header, runnable from the fleet root.

    `values_file`: the rendered file (default: the hub's); `secrets_files`: the sops files
    merged into the last `--values`, lowest first (default: the hub's own, if `has_secrets`).
    Plain Helm merges several `--values` the same way, so each is one `<(sops --decrypt F)`.
    """
    if secrets_files is None:
        secrets_files = [paths.hub(hub.name).secrets] if has_secrets else []
    lines = [shell(argv) for argv in prepare_argvs(chart)]
    cmd = shell(upgrade_argv(hub, chart, [values_file or paths.hub(hub.name).rendered]))
    for file in secrets_files:
        cmd += f" --values <(sops --decrypt {shlex.quote(file)})"
    lines.append(cmd)
    return lines


def _release_argv(verb: Sequence[str], release: str, namespace: str, helm: str) -> list[str]:
    return [helm, *verb, release, "--namespace", namespace]


def status_argv(release: str, namespace: str, *, helm: str = HELM) -> list[str]:
    """`helm status` of a release, as JSON."""
    return [*_release_argv(["status"], release, namespace, helm), "--output", "json"]


def history_argv(release: str, namespace: str, *, max_revisions: int = 10, helm: str = HELM) -> list[str]:
    """`helm history` of a release (newest `max_revisions`), as JSON."""
    argv = _release_argv(["history"], release, namespace, helm)
    return [*argv, "--max", str(max_revisions), "--output", "json"]


def rollback_argv(
    release: str,
    namespace: str,
    revision: int | None = None,
    *,
    timeout: int | None = None,
    wait: bool = False,
    helm: str = HELM,
) -> list[str]:
    """`helm rollback` to `revision` (None: the previous one)."""
    argv = [helm, "rollback", release, *([str(revision)] if revision is not None else [])]
    argv += ["--namespace", namespace]
    if timeout is not None:
        argv += ["--timeout", f"{timeout}s"]
    if wait:
        argv.append("--wait")
    return argv


def get_values_argv(
    release: str, namespace: str, *, revision: int | None = None, all_values: bool = False, helm: str = HELM
) -> list[str]:
    """`helm get values` (the user-supplied values; `all_values`: coalesced with the chart's), JSON."""
    argv = [*_release_argv(["get", "values"], release, namespace, helm), "--output", "json"]
    if all_values:
        argv.append("--all")
    if revision is not None:
        argv += ["--revision", str(revision)]
    return argv


def get_manifest_argv(
    release: str, namespace: str, *, revision: int | None = None, helm: str = HELM
) -> list[str]:
    """`helm get manifest`: the manifests of a deployed release."""
    argv = _release_argv(["get", "manifest"], release, namespace, helm)
    return [*argv, *(["--revision", str(revision)] if revision is not None else [])]


def list_releases_argv(namespace: str | None = None, *, helm: str = HELM) -> list[str]:
    """`helm list` of one namespace (None: every namespace), every state, as JSON."""
    scope = ["--namespace", namespace] if namespace else ["--all-namespaces"]
    return [helm, "list", *scope, "--all", "--output", "json"]


def uninstall_argv(
    release: str, namespace: str, *, keep_history: bool = False, wait: bool = False, helm: str = HELM
) -> list[str]:
    """`helm uninstall` of a release (never run by a plan: removed hubs are only reported)."""
    argv = _release_argv(["uninstall"], release, namespace, helm)
    if keep_history:
        argv.append("--keep-history")
    if wait:
        argv.append("--wait")
    return argv


# --- verbs (run through the one runner, in the isolated home) --------------------------------


def _exe(root: Path, runner: Runner) -> str:
    return tools.helm(root, runner=runner)


def _run(
    root: Path,
    argv: Sequence[str],
    *,
    runner: Runner,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    pass_fds: Sequence[int] = (),
    **kw,
) -> Completed:
    if pass_fds:  # in-memory files (decrypted values, kubeconfig) named as /dev/fd/N in argv
        kw["pass_fds"] = tuple(pass_fds)
    return runner(list(argv), env={**helm_env(root), **(env or {})}, timeout=timeout, **kw)


def repo_add(
    root: Path, chart: Chart, *, runner: Runner = run, timeout: float = QUERY_TIMEOUT
) -> list[str] | None:
    """`helm repo add <key> <url> --force-update` (repository charts only); the argv run.

    Once per repository and Helm home in a process: `--force-update` rewrites the repository's
    index, and a concurrent `helm upgrade` of the same rollout reading it half-written fails
    (`empty index.yaml file`). Callers that come while it runs wait for it; a failure is not kept.
    """
    argv = repo_add_argv(chart, helm=_exe(root, runner))
    if argv is None:
        return None
    key = (helm_env(root)["HELM_REPOSITORY_CONFIG"], *argv)
    with _REPO_LOCKS_GUARD:
        lock = _REPO_LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key in _REPOS_ADDED:
            return argv
        try:
            _run(root, argv, runner=runner, timeout=timeout)
        except CommandError as e:
            raise HubfleetError(
                f"fleet.yaml: charts.{chart.key}: cannot reach chart repository {chart.repo}: {e}"
            ) from None
        _REPOS_ADDED.add(key)
    return argv


_REPOS_ADDED: set[tuple[str, ...]] = set()
_REPO_LOCKS: dict[tuple[str, ...], threading.Lock] = {}
_REPO_LOCKS_GUARD = threading.Lock()


def pull(root: Path, chart: Chart, dest: Path, *, runner: Runner = run) -> Completed:
    """`helm pull` into `dest`; raises CommandError (the chart cache words the error)."""
    return _run(root, pull_argv(chart, dest, helm=_exe(root, runner)), runner=runner)


def dependency_build(root: Path, chart: Chart, *, runner: Runner = run) -> list[str]:
    """`helm dependency build` of a chart folder, from the fleet root; the argv run. Raises CommandError."""
    argv = dependency_build_argv(chart, helm=_exe(root, runner))
    _run(root, argv, runner=runner, cwd=root)
    return argv


def template(
    root: Path,
    hub: Hub,
    chart: Chart,
    values: Sequence[str],
    *,
    chart_folder: Path,
    runner: Runner = run,
    mask: Sequence[str] = (),
    pass_fds: Sequence[int] = (),
    include_crds: bool = False,
) -> Completed:
    """The manifests Helm makes for this hub from `chart_folder` (the cached chart); no cluster contacted."""
    argv = template_argv(
        hub, chart, values, chart_ref=str(chart_folder), helm=_exe(root, runner), include_crds=include_crds
    )
    try:
        return _run(root, argv, runner=runner, cwd=root, mask=mask, pass_fds=pass_fds)
    except CommandError as e:
        found = schema_errors(mask_secrets(e.completed.stderr, mask), chart.name)
        if found:
            raise SchemaRefused(f"{paths.hub(hub.name).folder}: `helm template` failed: {e}", found) from None
        raise HubfleetError(f"{paths.hub(hub.name).folder}: `helm template` failed: {e}") from None


class SchemaRefused(HubfleetError):
    """Helm refused the values against the chart's schema: each (key path, Helm's message)."""

    def __init__(self, message: str, found: list[tuple[KeyPath, str]]) -> None:
        super().__init__(message)
        self.found = found


_SCHEMA_HEAD = "don't meet the specifications of the schema"
# `- cull.every: Invalid type...` (Helm 3 up to 3.18) or `- at '/cull/every': got string, ...` (later)
_SCHEMA_LINE = re.compile(r"^- (?:at '(?P<pointer>[^']*)': |(?P<dotted>\S[^:]*): )(?P<message>.+)$")
_EXTRA_KEY = re.compile(r"[Aa]dditional propert(?:y|ies) '?(?P<key>[^' ]+)'? (?:is )?not allowed")


def schema_errors(stderr: str, chart_name: str) -> list[tuple[KeyPath, str]]:
    """The key paths and messages of Helm's schema error (none if it is another error). A key
    Helm calls not allowed is added to its path, so that its own line can be found; errors
    listed under a subchart are put under its key (its alias, as Helm names it)."""
    if _SCHEMA_HEAD not in stderr:
        return []
    out: list[tuple[KeyPath, str]] = []
    under: tuple[str, ...] = ()
    for line in stderr.splitlines():
        if line.endswith(":") and not line.startswith(("-", " ", "Error")):
            under = () if line[:-1] == chart_name else (line[:-1],)
            continue
        m = _SCHEMA_LINE.match(line)
        if m is None:
            continue
        if m.group("pointer") is not None:
            parts = [p.replace("~1", "/").replace("~0", "~") for p in m.group("pointer").split("/")[1:]]
        else:
            dotted = m.group("dotted")
            parts = [] if dotted == "(root)" else dotted.split(".")
        keypath: tuple[str | int, ...] = (*under, *(int(p) if p.isdigit() else p for p in parts))
        extra = _EXTRA_KEY.search(m.group("message"))
        out.append(((*keypath, extra.group("key")) if extra else keypath, m.group("message")))
    return out


def upgrade(
    root: Path,
    hub: Hub,
    chart: Chart,
    values: Sequence[str],
    *,
    timeout: int,
    wait: bool,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    grace: float = 0,
    term_grace: float = 0,
    atomic: bool = False,
    runner: Runner = run,
    mask: Sequence[str] = (),
    pass_fds: Sequence[int] = (),
) -> Completed:
    """`helm upgrade --install` (the contract's command); check=False.

    Stopped `grace` s past Helm's own `timeout`: SIGTERM, then SIGKILL `term_grace` s later.
    `pass_fds`: the in-memory files that `values` and `credentials` name as /dev/fd/N."""
    argv = deploy_argv(hub, chart, values, timeout, wait, credentials, atomic=atomic, helm=_exe(root, runner))
    stop = {"term_grace": term_grace} if term_grace else {}
    return _run(
        root,
        argv,
        runner=runner,
        env=env,
        cwd=root,
        timeout=timeout + grace,
        check=False,
        mask=mask,
        pass_fds=pass_fds,
        **stop,
    )


def _release_verb(
    root: Path,
    argv: Sequence[str],
    credentials: Sequence[str],
    env: Mapping[str, str] | None,
    runner: Runner,
    timeout: float = QUERY_TIMEOUT,
    cleanup: bool = False,
    pass_fds: Sequence[int] = (),
) -> Completed:
    extra = {"cleanup": True} if cleanup else {}
    return _run(
        root,
        [*argv, *credentials],
        runner=runner,
        env=env,
        cwd=root,
        timeout=timeout,
        pass_fds=pass_fds,
        **extra,
    )


def status(
    root: Path,
    release: str,
    namespace: str,
    *,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    runner: Runner = run,
    pass_fds: Sequence[int] = (),
    timeout: float = QUERY_TIMEOUT,
) -> Completed:
    """`helm status --output json`; raises CommandError (e.g. no such release)."""
    argv = status_argv(release, namespace, helm=_exe(root, runner))
    return _release_verb(root, argv, credentials, env, runner, timeout, pass_fds=pass_fds)


def history(
    root: Path,
    release: str,
    namespace: str,
    *,
    max_revisions: int = 10,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    runner: Runner = run,
    pass_fds: Sequence[int] = (),
    cleanup: bool = False,
    timeout: float = QUERY_TIMEOUT,
) -> Completed:
    """`helm history --output json` (newest `max_revisions`); `cleanup`: runs even after Ctrl-C."""
    argv = history_argv(release, namespace, max_revisions=max_revisions, helm=_exe(root, runner))
    return _release_verb(root, argv, credentials, env, runner, timeout, cleanup=cleanup, pass_fds=pass_fds)


def rollback(
    root: Path,
    release: str,
    namespace: str,
    revision: int | None = None,
    *,
    timeout: int | None = None,
    wait: bool = False,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    runner: Runner = run,
    pass_fds: Sequence[int] = (),
    cleanup: bool = False,
) -> Completed:
    """`helm rollback` to `revision` (None: the previous one); `cleanup`: runs even after Ctrl-C."""
    argv = rollback_argv(release, namespace, revision, timeout=timeout, wait=wait, helm=_exe(root, runner))
    return _release_verb(
        root,
        argv,
        credentials,
        env,
        runner,
        timeout=(timeout or 300) + 30,
        cleanup=cleanup,
        pass_fds=pass_fds,
    )


def get_values(
    root: Path,
    release: str,
    namespace: str,
    *,
    revision: int | None = None,
    all_values: bool = False,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    runner: Runner = run,
    pass_fds: Sequence[int] = (),
    timeout: float = QUERY_TIMEOUT,
) -> Completed:
    """`helm get values --output json`."""
    argv = get_values_argv(
        release, namespace, revision=revision, all_values=all_values, helm=_exe(root, runner)
    )
    return _release_verb(root, argv, credentials, env, runner, timeout, pass_fds=pass_fds)


def get_manifest(
    root: Path,
    release: str,
    namespace: str,
    *,
    revision: int | None = None,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    runner: Runner = run,
    pass_fds: Sequence[int] = (),
    timeout: float = QUERY_TIMEOUT,
) -> Completed:
    """`helm get manifest`."""
    argv = get_manifest_argv(release, namespace, revision=revision, helm=_exe(root, runner))
    return _release_verb(root, argv, credentials, env, runner, timeout, pass_fds=pass_fds)


def list_releases(
    root: Path,
    namespace: str | None = None,
    *,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    runner: Runner = run,
    pass_fds: Sequence[int] = (),
    timeout: float = QUERY_TIMEOUT,
) -> Completed:
    """`helm list --output json` of a namespace (None: all namespaces)."""
    argv = list_releases_argv(namespace, helm=_exe(root, runner))
    return _release_verb(root, argv, credentials, env, runner, timeout, pass_fds=pass_fds)


def uninstall(
    root: Path,
    release: str,
    namespace: str,
    *,
    keep_history: bool = False,
    wait: bool = False,
    credentials: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    runner: Runner = run,
    pass_fds: Sequence[int] = (),
    timeout: float = 600,
) -> Completed:
    """`helm uninstall`."""
    argv = uninstall_argv(release, namespace, keep_history=keep_history, wait=wait, helm=_exe(root, runner))
    return _release_verb(root, argv, credentials, env, runner, timeout, pass_fds=pass_fds)


# --- readers: a verb's output as typed values -------------------------------------------------

T = TypeVar("T")
VALUES = "a JSON object of values (or null)"


class UnexpectedOutput(HubfleetError):
    """A tool printed something of another shape than its verb promises."""


def _read(done: Completed, parse: Callable[[str], T]) -> T:
    try:
        return parse(done.stdout)
    except ValueError as e:
        raise UnexpectedOutput(f"`{_shown(done.argv)}` printed unexpected output: expected {e}") from None


def _shown(argv: Sequence[str]) -> str:
    """The command as a user would type it, up to `--output json` (credential flags follow it)."""
    words = ["helm", *argv[1:]]
    for i in range(len(words) - 1):
        if words[i] == "--output":
            return shell(words[: i + 2])
    return shell(words)


def revisions(done: Completed) -> tuple[Revision, ...]:
    """`helm history -o json` as Revisions, oldest first."""
    return _read(done, parse_history)


def releases(done: Completed) -> list[Live]:
    """`helm list -o json` as one `Live` per release."""
    return _read(done, lambda text: parse_helm_list(json_doc(text or "[]", HELM_LIST)))


def user_values(done: Completed) -> dict[str, Any]:
    """`helm get values -o json` (Helm prints `null` for a release without values) as a mapping."""

    def parse(text: str) -> dict[str, Any]:
        doc = json_doc(text or "null", VALUES)
        if doc is not None and not isinstance(doc, dict):
            raise ValueError(f"{VALUES} (got {json_kind(doc)})")
        return doc or {}

    return _read(done, parse)
