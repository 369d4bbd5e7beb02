"""A small fleet on disk for deploy/replicate tests: a served chart, Kubernetes clusters, hubs."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from .chartrepo import ChartRepo
from .kubectl_standin import make_kubectl_standin
from .realtools import sops_encrypt
from .standin import make_standin

SECRET = "s3cr3t-token-value-42"
KUBECTL_LOG = "kubectl-calls.jsonl"  # the kubectl stand-in's record (it copies a --kubeconfig it reads)


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def render_all(root: Path) -> None:
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.render import render_hub

    fleet = load_fleet(DirSource(root))
    assert not [p for p in fleet.problems if p.severity == "error"], fleet.problems
    for hub in fleet.hubs.values():
        r = render_hub(fleet, hub)
        (root / r.path).write_text(r.text)


def make_fleet(root: Path, repo_url: str, *, timeout: int = 30, wait: bool = False) -> Path:
    write(
        root,
        "fleet.yaml",
        f"charts:\n  tiny:\n    repo: {repo_url}\n    name: tinyhub\n    version: 0.1.0\n"
        f"default_chart: tiny\nrollout:\n  timeout: {timeout}\n  wait: {str(wait).lower()}\n",
    )
    write(root, "clusters/k1/cluster.yaml", "name: k1\nprovider: kubeconfig\nkubeconfig: {context: ctx-k1}\n")
    write(root, "clusters/common.values.yaml", "greeting: hello ${hub:name}\n")
    write(
        root, "hubs/alpha/hub.yaml", "name: alpha\ncluster: k1\ndomain: alpha.example.org\nstage: staging\n"
    )
    write(root, "hubs/alpha/values.yaml", "config:\n  color: blue\n")
    write(root, "hubs/beta/hub.yaml", "name: beta\ncluster: k1\ndomain: beta.example.org\nnamespace: b-ns\n")
    render_all(root)
    return root


@dataclass
class DeployEnv:
    root: Path
    log: Path  # the helm stand-in's record
    bin: Path  # folder of stand-ins
    tmp: Path  # the temp dir secrets may (briefly) live in
    sops: Path
    recipient: str

    def add_secrets(self, hub: str, text: str = f"secretToken: {SECRET}\n") -> Path:
        dest = self.root / "hubs" / hub / "secrets.yaml"
        sops_encrypt(self.sops, self.recipient, text, dest)
        render_all(self.root)  # the rendered header names the secrets file
        return dest

    def leftovers(self) -> list[Path]:
        return files_holding_secret(self.tmp, self.root)


def files_holding_secret(*bases: Path) -> list[Path]:
    """Files under `bases` (the temp dir, the fleet) that hold the clear SECRET."""
    return [p for base in bases for p in base.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]


def use_tools(monkeypatch, tmp_path: Path, root: Path, helm: Path, helm_bin, sops_bin, age_key) -> Path:
    """The fleet as cwd, `helm` (a stand-in) as hubfleet's Helm, real sops and age key; the temp
    dir moved into `tmp_path/tmp` (returned) so that tests can look for plaintext there."""
    scan = tmp_path / "tmp"
    scan.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scan))
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("HUBFLEET_HELM", str(helm))
    monkeypatch.setenv("STANDIN_REAL", str(helm_bin))
    # kubectl (the namespace's ownership mark after Helm): the recording STAND-IN, as helm is one
    kubectl = make_kubectl_standin(tmp_path / "kubectl-bin", tmp_path / KUBECTL_LOG)
    monkeypatch.setenv("HUBFLEET_KUBECTL", str(kubectl))
    monkeypatch.setenv("HUBFLEET_SOPS", str(sops_bin))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key[0]))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.chdir(root)
    return scan


@pytest.fixture
def deploy_env(tmp_path, monkeypatch, helm_bin, sops_bin, age_key, chart_repo: ChartRepo) -> DeployEnv:
    """A fleet as cwd; helm is the recording stand-in for `upgrade`, real helm for everything else."""
    root = make_fleet(tmp_path / "fleet", chart_repo.url)
    log = tmp_path / "helm-calls.jsonl"
    bindir = tmp_path / "bin"
    helm = make_standin(bindir, "helm", log)
    scan = use_tools(monkeypatch, tmp_path, root, helm, helm_bin, sops_bin, age_key)
    monkeypatch.setenv("STANDIN_SCAN_FOR", SECRET)  # the stand-in looks for it on disk while it runs
    monkeypatch.setenv("STANDIN_SCAN_DIRS", os.pathsep.join([str(tmp_path), tempfile.gettempdir()]))
    for var in ("STANDIN_FAIL", "STANDIN_SLEEP", "STANDIN_STDERR"):
        monkeypatch.delenv(var, raising=False)
    assert os.environ["HUBFLEET_HELM"] == str(helm)
    return DeployEnv(root, log, bindir, scan, sops_bin, age_key[1])
