"""Right to Replicate: a standalone folder that deploys one hub with plain Helm.

The folder holds the hub's rendered values, its own still-encrypted secrets (never the
fleet's or its cluster's shared ones: the README lists their key paths instead), a
`deploy.sh` whose Helm command comes from the same builder the deployer uses
(`helm.deploy_argv`), and a README. It needs only `helm` (and `sops` where there
are secrets) on PATH, and nothing in it names this project. Decrypted secrets
live only in the script's memory and reach Helm through a pipe (`<(...)`), so
there is no clear-text file to clean up; a sops failure stops the script.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hubfleet.adapters import helm, userfiles
from hubfleet.adapters.source import DirSource
from hubfleet.core import paths, secretlayers
from hubfleet.core.errors import HubfleetError, ProblemsError
from hubfleet.core.model import Chart, Fleet, Hub

__all__ = ["chart_files", "deploy_script", "encrypted_or_none", "readme", "write_bundle", "write_replica"]

_SECRETS_ARG = "@SECRETS@"  # replaced by the process substitution after quoting


def deploy_script(
    hub: Hub, chart: Chart, timeout: int, wait: bool, has_secrets: bool, *, atomic: bool = False
) -> str:
    """Pure: deploy.sh. Extra arguments (credentials such as --kube-context) go to helm as is."""
    values = ["rendered.values.yaml", *([_SECRETS_ARG] if has_secrets else [])]
    upgrade = helm.shell(helm.deploy_argv(hub, chart, values, timeout, wait, atomic=atomic))
    upgrade = upgrade.replace(_SECRETS_ARG, '<(printf "%s\\n" "$secrets")') + ' "$@"'
    lines = [
        "#!/usr/bin/env bash",
        f"# Deploy the JupyterHub `{hub.name}` with plain Helm.",
        "# Usage: ./deploy.sh [extra helm flags, e.g. --kube-context C]",
        "set -euo pipefail",
        "# Runs from this folder and needs nothing but bash built-ins and the tools it calls.",
        'here="${BASH_SOURCE[0]%/*}"',
        '[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.',
        'cd "$here"',
    ]
    lines += [helm.shell(argv) for argv in helm.prepare_argvs(chart)]
    if has_secrets:
        lines += [
            "# Decrypted secrets stay in memory; `set -e` stops here if sops cannot decrypt.",
            'secrets="$(sops --decrypt secrets.yaml)"',
        ]
    lines.append(upgrade)
    return "\n".join(lines) + "\n"


def values_copy(hub: Hub, text: str) -> str:
    """Pure: the rendered file with its generator's header replaced by a plain one (same values)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    head = f"# Helm values of the JupyterHub `{hub.name}` (non-secret). Deploy: ./deploy.sh\n"
    return head + "".join(lines)


def shared_secrets_section(shared: dict[str, list[str]], has_secrets: bool = True) -> str:
    """Pure: the README part naming, by key path, the secrets the shared levels give this hub."""
    if not shared:
        return ""
    own = "`secrets.yaml` (`sops secrets.yaml`), or " if has_secrets else ""
    lines = [
        "",
        "## Secrets this folder does not carry",
        "",
        "Where this hub ran, these secret values came from files shared with other hubs (the whole",
        "fleet's, or its cluster's). They are not copied here: set each one yourself, for example in",
        f"{own}a values file you pass to `./deploy.sh --values F` (keep it encrypted or out of git).",
        "",
    ]
    for file, keys in shared.items():
        lines.append(f"From `{file}`:")
        lines += [f"- `{k}`" for k in keys]
        lines.append("")
    return "\n".join(lines)


def readme(hub: Hub, chart: Chart, has_secrets: bool, shared: dict[str, list[str]] | None = None) -> str:
    """Pure: README.md of the folder; `shared`: key paths the shared secrets levels set, by file."""
    source = (
        f"the chart folder `{chart.path}` (copied here)"
        if chart.kind == "path"
        else f"chart `{chart.name}` version {chart.version} from {chart.repo}"
    )
    secrets = (
        "- `secrets.yaml`: secret values, still encrypted with [sops](https://github.com/getsops/sops).\n"
        "  `deploy.sh` decrypts it in memory (`sops --decrypt`); you need a key it is encrypted to\n"
        "  (for age: `SOPS_AGE_KEY_FILE=path/to/keys.txt`).\n"
        if has_secrets
        else ""
    )
    edit_secrets = "(and `secrets.yaml` with `sops secrets.yaml`), " if has_secrets else ""
    return f"""# JupyterHub `{hub.name}`: deploy with plain Helm

This folder is everything needed to deploy the JupyterHub `{hub.name}` (domain `{hub.domain}`)
to a Kubernetes cluster with [Helm](https://helm.sh) 3, without any other tool: Helm release
`{hub.release}` in namespace `{hub.namespace}`, {source}.

- `rendered.values.yaml`: the complete, non-secret Helm values of this hub.
{secrets}- `deploy.sh`: the one Helm command that deploys it (`helm upgrade --install`).

## Deploy

Requirements: bash, `helm` on PATH{", `sops` on PATH" if has_secrets else ""}, and access to the cluster.

```
./deploy.sh --kube-context <your-context>      # any extra flags are passed to helm
```

Read `deploy.sh` first: it is short, and it is exactly what runs.

## Leave

Nothing here depends on the system this folder came from. To manage the hub on your own,
keep this folder (for example in its own git repository), edit `rendered.values.yaml`
{edit_secrets}and run `./deploy.sh` again. To remove the hub:
`helm uninstall {hub.release} --namespace {hub.namespace}`.
{shared_secrets_section(shared or {}, has_secrets)}"""


def write_replica(root: Path, fleet: Fleet, hub_name: str, out: Path) -> list[Path]:
    """Write the folder whole or not at all; refuse an existing non-empty `out`. The files written."""
    hub = fleet.hub(hub_name)
    cluster = fleet.cluster_of(hub)
    if cluster.is_local:
        raise HubfleetError(
            f"{hub.file}: hub {hub.name} runs on local cluster {cluster.name}; "
            "replicate is for hubs on Kubernetes clusters"
        )
    check_out(out)
    rendered = fleet.source.read(paths.hub(hub.name).rendered)
    if rendered is None:
        raise HubfleetError(
            f"{paths.hub(hub.name).rendered}: missing: run `invoke render --hub {hub.name}` first"
        )
    chart = fleet.chart_of(hub)
    secrets = encrypted_or_none(fleet, paths.hub(hub.name).secrets)
    rollout = fleet.config.rollout
    files = {"rendered.values.yaml": values_copy(hub, rendered.decode("utf-8")).encode()}
    if secrets is not None:
        files["secrets.yaml"] = secrets
    files |= chart_files(root, chart)
    files["deploy.sh"] = deploy_script(
        hub, chart, rollout.timeout, rollout.wait, secrets is not None, atomic=rollout.atomic
    ).encode()
    files["README.md"] = readme(hub, chart, secrets is not None, shared_keys(root, hub)).encode()
    return write_bundle(out, files)


def check_out(out: Path) -> None:
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise HubfleetError(f"{out}: exists and is not empty: choose a new folder for --out")


def encrypted_or_none(fleet: Fleet, rel: str) -> bytes | None:
    """A secrets file as committed, read under the fleet's confinement; None if absent. A bundle
    carries secrets only sops-encrypted: what validate refuses (a plain file, a leaf in clear beside
    encrypted ones) stops it, checked by validate's one reader of committed sops files."""
    from hubfleet.app.support import read_secrets_doc

    _, problems = read_secrets_doc(fleet, rel)
    if problems:
        raise ProblemsError(problems)
    return fleet.source.read(rel)


def chart_files(root: Path, chart: Chart) -> dict[str, bytes]:
    """A chart folder's files (none for a repository chart), read under the fleet's confinement:
    a link out of the fleet, a FIFO or a device anywhere in it is one line and nothing is written."""
    if chart.kind != "path":
        return {}
    source = DirSource(root)
    return {
        rel: source.read(rel) or b""
        for rel in source.files_under(chart.path or "")
        if not set(rel.split("/")) & {".git", ".hubfleet"}
    }


def write_bundle(out: Path, files: Mapping[str, bytes]) -> list[Path]:
    """`files` (relative path -> bytes) as the folder `out`, whole or not at all; deploy.sh runnable."""

    def fill(tmp: Path) -> None:
        for rel, data in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (tmp / "deploy.sh").chmod(0o755)

    userfiles.new_folder(out, fill, role="--out folder")
    return sorted(out / rel for rel in files)


def shared_keys(root: Path, hub: Hub) -> dict[str, list[str]]:
    """Key paths (never values: sops leaves keys readable) of the shared secrets levels of a hub."""
    from hubfleet.app.load import parse_bytes

    out = {}
    for rel in secretlayers.shared_paths(hub.cluster):
        path = root / rel
        if path.is_file():
            keys = secretlayers.key_paths(parse_bytes(path.read_bytes(), rel, allow_empty=True))
            if keys:
                out[rel] = keys
    return out
