"""`invoke diff`: what a cluster runs for a hub vs what the repository would install.

Deployed: `helm get values --all` (the values Helm computed: chart defaults coalesced with what
it was given) and `helm get manifest`. Repository: the same coalescing of the chart's defaults
with the hub's rendered values and decrypted secrets, and `helm template` of the same chart,
version, release, namespace and values. Both sides go through `core.manifests` (Secret data
redacted, hooks and checksum annotations left out) and secret values are masked by key path
and by value, so no secret is ever printed. Live: `kubectl diff --server-side` of that manifest
against the cluster's objects (a deployed release only), drift made by hand that Helm never records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hubfleet.adapters import charts, helm, kubectl, providers, tools, yamlio
from hubfleet.adapters import sops as secrets
from hubfleet.adapters.runner import CommandError, Runner, mask_secrets, run
from hubfleet.app.releases import ReleaseOnCluster
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError
from hubfleet.core.manifests import diff_text, live_diff_text, mask_paths, unified
from hubfleet.core.model import Fleet
from hubfleet.core.tree import coalesce, merge

__all__ = ["HubDiff", "diff_hub"]


@dataclass(frozen=True)
class HubDiff:
    hub: str
    cluster: str
    state: str  # "same" | "differs" | "not installed" | "error" | "local" (no Helm release)
    release: str = ""  # "revision 3 (deployed)"
    text: str = ""  # the masked diff, or the error

    def headline(self) -> str:
        if self.state == "same":
            return f"{self.hub}: {self.release} matches the repository"
        if self.state == "not installed":
            return f"{self.hub}: not installed on cluster {self.cluster}"
        if self.state == "error":
            return f"{self.hub}: {self.text}"
        if self.state == "local":
            return (
                f"{self.hub}: on local cluster {self.cluster}: local hubs have no Helm release, so nothing "
                f"to compare (`invoke status --live --hub {self.hub}` shows whether it runs)"
            )
        return f"{self.hub}: {self.release} differs from the repository (- deployed, + repository)"


def _values_text(values: Any, secret_doc: Any, mask: list[str]) -> str:
    shown = mask_paths(values, secret_doc) if secret_doc else values
    return mask_secrets(yaml.safe_dump(shown, sort_keys=True, default_flow_style=False), mask)


LIVE_NOTE = "objects on the cluster differ from the release's manifest, edited by hand? (- live, + release)"


def _live_drift(root: Path, manifest: str, namespace: str, reach: dict[str, Any], runner: Runner) -> str:
    """kubectl's diff of the cluster's objects against the release's manifest: drift made by hand
    (`kubectl edit`/`patch`) that Helm's records never see. Only fields the manifest sets count."""
    if not manifest.strip():
        return ""
    exe = tools.kubectl(root, runner=runner)
    return kubectl.diff_live(manifest, namespace, kubectl=exe, **reach, runner=runner)


def diff_hub(root: Path, fleet: Fleet, name: str, *, runner: Runner = run) -> HubDiff:
    """Compare one hub; a HubDiff with state `error`, never an exception, for an expected failure."""
    hub = fleet.hub(name)
    cluster = fleet.cluster_of(hub)
    try:
        if cluster.is_local:
            return HubDiff(name, cluster.name, "local")
        chart = fleet.chart_of(hub)
        deadline = fleet.config.rollout.tool_timeout  # each query's; a stuck one costs no more
        helm.repo_add(root, chart, runner=runner, timeout=deadline)
        folder = charts.chart_dir(root, chart, runner=runner)
        meta = charts.chart_meta(root, chart, runner=runner)
        rendered = yamlio.parse((root / paths.hub(name).rendered).read_bytes(), paths.hub(name).rendered)
        with providers.credentials(cluster, root, runner) as creds:
            on_cluster = ReleaseOnCluster(root, hub, fleet.config.rollout, creds, runner)
            revs = on_cluster.history()
            if not revs:
                return HubDiff(name, cluster.name, "not installed")
            reach = {"credentials": creds.flags, "env": creds.env, "pass_fds": creds.fds, "timeout": deadline}
            got = helm.get_values(root, hub.release, hub.namespace, all_values=True, **reach, runner=runner)
            deployed_values = helm.user_values(got)
            deployed = helm.get_manifest(root, hub.release, hub.namespace, **reach, runner=runner).stdout
            # a failed or pending release's manifest never (fully) reached the cluster: its objects
            # are not the release's to compare (and the API server may refuse them again)
            live = (
                _live_drift(root, deployed, hub.namespace, reach, runner)
                if revs[-1].status == "deployed"
                else ""
            )
            with secrets.decrypted_with_mask(root, name, runner=runner) as (clear, mask):
                secret_doc = yaml.safe_load(Path(clear.path).read_bytes()) if clear else {}
                mask = [*mask, *creds.mask]
                values = [paths.hub(name).rendered, *([clear.path] if clear else [])]
                fds = [clear.fd] if clear else []
                made = helm.template(
                    root, hub, chart, values, chart_folder=folder, runner=runner, mask=mask, pass_fds=fds
                )
        repo_values = coalesce(meta.defaults if meta else {}, merge([rendered, secret_doc or {}]))
        text = unified(
            _values_text(deployed_values, secret_doc, mask),
            _values_text(repo_values, secret_doc, mask),
            "deployed/values",
            "repository/values",
        )
        text += diff_text(
            deployed, made.stdout, "deployed", "repository", mask=lambda t: mask_secrets(t, mask)
        )
        if live:
            text += f"{LIVE_NOTE}\n" + mask_secrets(live_diff_text(live), mask)
        state = "differs" if text else "same"
        return HubDiff(name, cluster.name, state, f"revision {revs[-1].number} ({revs[-1].status})", text)
    except (HubfleetError, CommandError, ValueError) as e:
        return HubDiff(name, cluster.name, "error", text=str(e).splitlines()[0])
