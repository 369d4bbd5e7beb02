"""What hubfleet reads from a cluster and runs against it, on a real control plane: the health
check's token from the hub's Secret that the real jupyterhub chart generated (read with kubectl
and the cluster's credentials), and `invoke shell` running kubectl with them."""

from __future__ import annotations

import base64

import pytest

from helpers.kubefleet import RealHelm, make_kube_fleet, use_clusters
from hubfleet.adapters.source import DirSource
from hubfleet.app import debug
from hubfleet.app.health import token_from_cluster
from hubfleet.app.load import load_fleet
from hubfleet.core.errors import HubfleetError

pytestmark = pytest.mark.slow

NS = "access-hub"


@pytest.fixture(scope="module")
def jupyterhub_release(kube_cluster, shared_chart_repo, helm_bin, tmp_path_factory):
    """The real jupyterhub chart 4.4.0 installed (plain Helm, no --wait: no nodes) with the health
    service declared, so the chart generates its token into Secret `hub`. The image pre-puller's
    hook is off: its Job would wait for nodes that this cluster does not have."""
    kc = kube_cluster()
    helm = RealHelm(helm_bin, kc, tmp_path_factory.mktemp("helm-home"))
    archive = shared_chart_repo.folder / "jupyterhub-4.4.0.tgz"
    helm(
        "install", "access", str(archive), "--namespace", NS, "--create-namespace",
        "--set", "prePuller.hook.enabled=false", "--set-json", 'hub.services={"hubfleet-health": {}}',
    )  # fmt: skip
    return kc


@pytest.fixture
def fleet(jupyterhub_release, shared_chart_repo, tmp_path, monkeypatch):
    kc = jupyterhub_release
    root = make_kube_fleet(
        tmp_path / "fleet",
        shared_chart_repo.url,
        {"k1": kc},
        {"access": ("k1", "staging", NS)},
        chart=("jupyterhub", "4.4.0"),
    )
    use_clusters(monkeypatch, tmp_path, root, [kc])
    return root, load_fleet(DirSource(root))


def test_the_health_token_is_read_from_the_hubs_real_secret(fleet, jupyterhub_release):
    root, loaded = fleet
    hub = loaded.hubs["access"]
    encoded = jupyterhub_release.kubectl(
        "get",
        "secret",
        "hub",
        "--namespace",
        NS,
        "-o",
        r"jsonpath={.data.hub\.services\.hubfleet-health\.apiToken}",
    )
    expected = base64.b64decode(encoded).decode()
    assert len(expected) >= 32  # the chart generated it
    assert token_from_cluster(root, loaded, hub, loaded.clusters["k1"], {}) == expected


def test_a_hub_without_the_secret_key_is_one_clear_error(fleet):
    root, loaded = fleet
    hub = loaded.hubs["access"]
    with pytest.raises(
        HubfleetError,
        match=r"^no token for the health check: .*Secret access-hub/x has no key|"
        r"^no token for the health check: .*kubectl cannot read Secret access-hub/x",
    ):
        token_from_cluster(root, loaded, hub, loaded.clusters["k1"], {"fullnameOverride": "x-"})


def test_shell_runs_kubectl_with_the_clusters_credentials(fleet, capfd):
    root, loaded = fleet
    argv = ["kubectl", "get", "namespace", NS, "--output", "name"]
    assert debug.shell(root, loaded, "k1", argv) == 0
    assert capfd.readouterr().out.strip() == f"namespace/{NS}"
    assert debug.shell(root, loaded, "k1", ["kubectl", "get", "namespace", "no-such-ns"]) == 1
    assert 'namespaces "no-such-ns" not found' in capfd.readouterr().err
