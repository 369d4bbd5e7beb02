"""A deployable fleet whose `helm` is the stateful STAND-IN (hubfleet.testing.standins.helm).

Two clusters (`k1`, kube context `ctx-k1`; `k2`, `ctx-k2`), each with a staging hub and prod hubs,
on the tiny real chart served by `chart_repo`. Real helm does everything but keep release state
(`repo add`, `template`, `show values`), so manifests and computed values are Helm's own.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from hubfleet.testing.standins.helm import HelmStandin

from .chartrepo import ChartRepo
from .fleetbuild import SECRET, files_holding_secret, render_all, use_tools, write
from .kubefleet import make_kube_fleet
from .realtools import sops_encrypt

HUBS = {  # name: (cluster, stage, namespace)
    "alpha": ("k1", "staging", "alpha"),
    "beta": ("k1", "prod", "b-ns"),
    "gamma": ("k1", "prod", "gamma"),
    "delta": ("k2", "staging", "delta"),
    "eps": ("k2", "prod", "eps"),
}


def make_standin_fleet(root: Path, repo_url: str, rollout: str = "") -> Path:
    """The same fleet files as on real test clusters (`make_kube_fleet`), contexts `ctx-k1`/`ctx-k2`."""
    contexts = {c: SimpleNamespace(context=f"ctx-{c}") for c in ("k1", "k2")}
    return make_kube_fleet(root, repo_url, contexts, HUBS, rollout=f"  timeout: 30\n{rollout}")


@dataclass
class StandinFleet:
    root: Path
    helm: HelmStandin
    tmp: Path  # where a decrypted secret could (briefly) live
    sops: Path
    recipient: str

    def fleet(self, **rollout):
        """The loaded fleet, with rollout settings replaced (e.g. a 1 s timeout a file may not say)."""
        from hubfleet.adapters.source import DirSource
        from hubfleet.app.load import load_fleet

        fleet = load_fleet(DirSource(self.root))
        if not rollout:
            return fleet
        settings = dataclasses.replace(fleet.config.rollout, **rollout)
        return dataclasses.replace(fleet, config=dataclasses.replace(fleet.config, rollout=settings))

    def set_rollout(self, text: str) -> None:
        path = self.root / "fleet.yaml"
        path.write_text(path.read_text() + text)

    def statuses(self, hub: str) -> list[str]:
        cluster, _, ns = HUBS[hub]
        return self.helm.statuses(f"ctx-{cluster}", ns, hub)

    def history(self, hub: str) -> list[dict]:
        cluster, _, ns = HUBS[hub]
        return self.helm.history(f"ctx-{cluster}", ns, hub)

    def add_secrets(self, hub: str, text: str = f"secretToken: {SECRET}\n") -> None:
        sops_encrypt(self.sops, self.recipient, text, self.root / "hubs" / hub / "secrets.yaml")
        render_all(self.root)

    def change(self, hub: str, greeting: str = "changed") -> None:
        """A changed value: the next deploy upgrades (one with nothing changed upgrades nothing)."""
        write(self.root, f"hubs/{hub}/values.yaml", f"greeting: {greeting}\n")
        render_all(self.root)

    def leftovers(self) -> list[Path]:
        return files_holding_secret(self.tmp, self.root)


@pytest.fixture
def standin_fleet(tmp_path, monkeypatch, helm_bin, sops_bin, age_key, chart_repo: ChartRepo) -> StandinFleet:
    root = make_standin_fleet(tmp_path / "fleet", chart_repo.url)
    helm = HelmStandin(tmp_path / "helm-state")
    exe = helm.install(tmp_path / "bin")
    scan = use_tools(monkeypatch, tmp_path, root, exe, helm_bin, sops_bin, age_key)
    assert os.environ["HUBFLEET_HELM"] == str(exe)
    return StandinFleet(root, helm, scan, sops_bin, age_key[1])
