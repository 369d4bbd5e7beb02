"""Right to Replicate for a cluster's support releases: `invoke replicate --cluster C --out DIR`.

The folder holds, per support release of the cluster in deploy order, its rendered values
(`<release>.values.yaml`), its own still-encrypted secrets if it has any, a chart folder
where the chart is one, one `deploy.sh` running each release's plain-Helm command (the
deployer's builder, `helm.deploy_argv`) in order, and a README. Nothing in it names this
project; decrypted secrets reach Helm through a pipe (`<(...)`), never a file.
"""

from __future__ import annotations

from pathlib import Path

from hubfleet.adapters import helm
from hubfleet.app.replicate import chart_files, check_out, encrypted_or_none, write_bundle
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Chart, Fleet
from hubfleet.core.support import SupportTarget

__all__ = ["support_readme", "support_script", "write_support_replica"]

_SECRETS_ARG = "@SECRETS@"


def support_script(
    cluster: str, releases: list[tuple[SupportTarget, Chart, bool]], timeout: int, wait: bool
) -> str:
    """Pure: deploy.sh, each release after the one before it (`set -e`: a failure stops there)."""
    lines = [
        "#!/usr/bin/env bash",
        f"# Deploy the support releases of cluster `{cluster}` with plain Helm, in this order.",
        "# Usage: ./deploy.sh [extra helm flags, e.g. --kube-context C]",
        "set -euo pipefail",
        'here="${BASH_SOURCE[0]%/*}"',
        '[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.',
        'cd "$here"',
    ]
    for target, chart, has_secrets in releases:
        name = target.name
        values = [f"{name}.values.yaml", *([_SECRETS_ARG] if has_secrets else [])]
        upgrade = helm.shell(helm.deploy_argv(target.release, chart, values, timeout, wait))  # type: ignore[arg-type]
        pipe = f"<(sops --decrypt {name}.secrets.yaml)"
        lines += ["", f"# {name} (chart {chart.path or f'{chart.name} {chart.version}'})"]
        lines += [helm.shell(argv) for argv in helm.prepare_argvs(chart)]
        if has_secrets:  # fail before Helm runs if sops cannot decrypt
            lines.append(f"sops --decrypt {name}.secrets.yaml > /dev/null")
        lines.append(upgrade.replace(_SECRETS_ARG, pipe) + ' "$@"')
    return "\n".join(lines) + "\n"


def support_readme(cluster: str, releases: list[tuple[SupportTarget, Chart, bool]]) -> str:
    """Pure: README.md of the folder."""
    rows = "\n".join(
        f"| `{t.name}` | `{t.release.namespace}` | "
        + (
            f"folder `{c.path}` (copied here)"
            if c.kind == "path"
            else f"`{c.name}` {c.version} from {c.repo}"
        )
        + f" | {'yes (sops)' if s else 'no'} |"
        for t, c, s in releases
    )
    tools = "`helm` 3, `sops`" if any(s for _, _, s in releases) else "`helm` 3"
    return f"""# Cluster `{cluster}`: its support releases, deployable with plain Helm

What every JupyterHub on this cluster relies on (ingress, certificates, monitoring, ...), as
Helm releases, in the order they deploy. Nothing else is needed but bash, {tools} on PATH
and access to the cluster.

| release | namespace | chart | secrets |
|---|---|---|---|
{rows}

- `<release>.values.yaml`: the complete, non-secret Helm values of each release.
- `<release>.secrets.yaml`: its secret values, still sops-encrypted (where it has any); `deploy.sh`
  decrypts them into a pipe, never a file.
- `deploy.sh`: the Helm commands, one release after another; a failure stops it.

```
./deploy.sh --kube-context <your-context>      # any extra flags are passed to every helm upgrade
```

To remove one: `helm uninstall <release> --namespace <namespace>` (hubs depending on it stop working).
"""


def write_support_replica(root: Path, fleet: Fleet, cluster: str, out: Path) -> list[Path]:
    """Write the folder; refuse an existing non-empty `out`. The files written."""
    if fleet.cluster(cluster).is_local:
        raise HubfleetError(f"cluster {cluster} is `provider: local`: it has no support releases")
    targets = fleet.support_of(cluster)
    if not targets:
        raise HubfleetError(
            f"cluster {cluster} runs no support release (fleet.yaml `support:`, cluster.yaml skip)"
        )
    check_out(out)
    releases, files = [], {}
    for t in targets:
        p = paths.support(cluster, t.name)
        rendered = fleet.source.read(p.rendered)
        if rendered is None:
            raise HubfleetError(f"{p.rendered}: missing: run `invoke render` first")
        chart = fleet.config.charts[t.release.chart]
        secrets = encrypted_or_none(fleet, p.secrets)
        releases.append((t, chart, secrets is not None))
        body = rendered.decode("utf-8").splitlines(keepends=True)
        while body and body[0].startswith("#"):
            body.pop(0)
        head = (
            f"# Helm values of the support release `{t.name}` on cluster `{cluster}`. Deploy: ./deploy.sh\n"
        )
        files[f"{t.name}.values.yaml"] = (head + "\n" + "".join(body)).encode()
        if secrets is not None:
            files[f"{t.name}.secrets.yaml"] = secrets
        files |= chart_files(root, chart)
    rollout = fleet.config.rollout
    files["deploy.sh"] = support_script(cluster, releases, rollout.timeout, rollout.wait).encode()
    files["README.md"] = support_readme(cluster, releases).encode()
    return write_bundle(out, files)
