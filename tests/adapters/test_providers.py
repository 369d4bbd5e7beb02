"""Cluster credentials: the exact CLI argv per provider (recorded by stand-ins), temp files removed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from helpers.fleetbuild import SECRET
from helpers.standin import make_standin, records
from hubfleet.adapters import providers
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Cluster

GKE = {"project": "p1", "location": "europe-west1", "cluster": "c1"}
EKS = {"region": "eu-west-1", "cluster": "c1", "role_arn": "arn:aws:iam::1:role/d"}
AKS = {"resource_group": "g", "cluster": "c1", "subscription": "sub-1"}
CLUSTERS = {
    "gke": Cluster("g1", "gke", GKE, "clusters/g1/cluster.yaml"),
    "eks": Cluster("e1", "eks", EKS, "clusters/e1/cluster.yaml"),
    "aks": Cluster("a1", "aks", AKS, "clusters/a1/cluster.yaml"),
}
CLI = {"gke": "gcloud", "eks": "aws", "aks": "az"}


@pytest.fixture
def clis(tmp_path, monkeypatch):
    """Stand-ins for gcloud/aws/az (not the real CLIs), named by HUBFLEET_* variables."""
    log = tmp_path / "cli.jsonl"
    for name in CLI.values():
        monkeypatch.setenv(f"HUBFLEET_{name.upper()}", str(make_standin(tmp_path / "bin", name, log)))
    monkeypatch.delenv("STANDIN_FAIL", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return log


@pytest.mark.parametrize("provider", ["gke", "eks", "aks"])
def test_cloud_providers_write_a_private_kubeconfig(provider, clis, tmp_path):
    cluster = CLUSTERS[provider]
    with providers.credentials(cluster, tmp_path) as creds:
        assert creds.flags[0] == "--kubeconfig"
        kubeconfig = creds.flags[1]
        assert stat.S_IMODE(os.stat(os.path.dirname(kubeconfig)).st_mode) == 0o700
        assert os.path.isfile(kubeconfig)
    [call] = records(clis)
    expected = {
        "gke": [
            "container",
            "clusters",
            "get-credentials",
            "c1",
            "--project",
            "p1",
            "--location",
            "europe-west1",
        ],
        "eks": [
            "eks",
            "update-kubeconfig",
            "--name",
            "c1",
            "--region",
            "eu-west-1",
            "--kubeconfig",
            kubeconfig,
            "--role-arn",
            "arn:aws:iam::1:role/d",
        ],
        "aks": [
            "aks",
            "get-credentials",
            "--resource-group",
            "g",
            "--name",
            "c1",
            "--file",
            kubeconfig,
            "--subscription",
            "sub-1",
        ],
    }[provider]
    assert call["tool"] == CLI[provider] and call["argv"] == expected
    assert call["KUBECONFIG"] == kubeconfig  # even the CLI's own default target is the temp file
    assert not os.path.exists(kubeconfig)


def test_optional_flags_are_left_out(clis, tmp_path):
    eks = Cluster("e1", "eks", {"region": "r", "cluster": "c"}, "clusters/e1/cluster.yaml")
    with providers.credentials(eks, tmp_path):
        pass
    assert "--role-arn" not in records(clis)[0]["argv"]


def test_missing_cli_names_the_cli_and_the_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("HUBFLEET_GCLOUD", raising=False)
    with pytest.raises(HubfleetError) as e, providers.credentials(CLUSTERS["gke"], tmp_path):
        pass
    assert "gcloud" in str(e.value) and "clusters/g1/cluster.yaml" in str(e.value)
    assert "HUBFLEET_GCLOUD" in str(e.value)


def test_failing_cli_is_a_clear_error_and_leaves_nothing(clis, tmp_path, monkeypatch):
    monkeypatch.setenv("STANDIN_FAIL", "1")
    monkeypatch.setenv("STANDIN_STDERR", "ERROR: (gcloud) not logged in")
    scan = tmp_path / "scan"
    scan.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scan))
    with (
        pytest.raises(HubfleetError, match=r"cannot get credentials for cluster g1.*not logged in"),
        providers.credentials(CLUSTERS["gke"], tmp_path),
    ):
        pass
    assert list(scan.iterdir()) == []


def test_kubeconfig_context_only():
    c = Cluster("k1", "kubeconfig", {"context": "ctx"}, "clusters/k1/cluster.yaml")
    with providers.credentials(c, Path("/nonexistent")) as creds:
        assert creds.flags == ["--kube-context", "ctx"]


@pytest.mark.slow
def test_kubeconfig_file_is_decrypted_in_memory_and_masked(deploy_env):
    from helpers.realtools import sops_encrypt

    folder = deploy_env.root / "clusters" / "k1"
    sops_encrypt(
        deploy_env.sops,
        deploy_env.recipient,
        f"apiVersion: v1\nkind: Config\ntoken: {SECRET}\n",
        folder / "kubeconfig.secret.yaml",
    )
    c = Cluster(
        "k1", "kubeconfig", {"context": "ctx", "file": "kubeconfig.secret.yaml"}, "clusters/k1/cluster.yaml"
    )
    with providers.credentials(c, deploy_env.root) as creds:
        assert creds.flags[:3] == ["--kube-context", "ctx", "--kubeconfig"]
        assert creds.flags[3] == f"/dev/fd/{creds.fds[0]}"
        assert SECRET in Path(creds.flags[3]).read_text() and SECRET in creds.mask
        assert deploy_env.leftovers() == []  # never on disk, even while in use
    with pytest.raises(OSError):
        os.fstat(creds.fds[0])


def test_kubeconfig_file_missing(tmp_path):
    c = Cluster("k1", "kubeconfig", {"context": "ctx", "file": "kc.yaml"}, "clusters/k1/cluster.yaml")
    with (
        pytest.raises(HubfleetError, match=r"clusters/k1/cluster.yaml:.*kubeconfig.file.*no file"),
        providers.credentials(c, tmp_path),
    ):
        pass


def test_describe_is_pure_and_shows_placeholders():
    assert providers.describe(CLUSTERS["gke"])[0] == "--kubeconfig"
    assert "get-credentials c1" in providers.describe(CLUSTERS["gke"])[1]
