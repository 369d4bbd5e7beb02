"""The test cluster as data: each component's argv, the kubeconfig, nodes, the binary's key."""

from __future__ import annotations

import base64
from pathlib import Path

from hubfleet.core import testcluster as tc

LAYOUT = tc.Layout(Path("/state/testclusters/dev"))
PORTS = tc.Ports(etcd_client=2379, etcd_peer=2380, apiserver=6443)


def flags(argv: list[str]) -> dict[str, str]:
    return dict(a[2:].split("=", 1) for a in argv[1:] if a.startswith("--") and "=" in a)


def test_apiserver_uses_our_etcd_certificates_token_file_and_rbac_as_envtest_does() -> None:
    argv = tc.apiserver_argv(LAYOUT, PORTS)
    f = flags(argv)
    assert argv[0] == "kube-apiserver"
    assert f["etcd-servers"] == "http://127.0.0.1:2379"
    assert f["bind-address"] == "127.0.0.1" and f["secure-port"] == "6443"
    assert f["client-ca-file"].endswith("/pki/ca.crt")
    assert f["token-auth-file"] == str(LAYOUT.tokens)
    assert f["authorization-mode"] == "RBAC"
    assert f["disable-admission-plugins"] == "ServiceAccount"
    assert f["service-account-signing-key-file"].endswith("/pki/sa.key")


def test_the_api_server_never_dials_the_cluster_network() -> None:
    """Webhooks and aggregated APIs would dial Service addresses: the egress goes to a socket
    that is never created, so such calls fail at once and no packet leaves the machine."""
    f = flags(tc.apiserver_argv(LAYOUT, PORTS))
    assert f["egress-selector-config-file"] == str(LAYOUT.egress)
    config = tc.egress_config(LAYOUT)
    (selection,) = config["egressSelections"]
    assert selection["name"] == "cluster"
    assert selection["connection"]["transport"]["uds"]["udsName"].startswith(str(LAYOUT.folder))


def test_etcd_listens_on_loopback_only() -> None:
    f = flags(tc.etcd_argv(LAYOUT, PORTS))
    assert f["listen-client-urls"] == "http://127.0.0.1:2379"
    assert f["listen-peer-urls"] == "http://127.0.0.1:2380"
    assert f["data-dir"] == str(LAYOUT.etcd_data)


def test_node_components_use_the_cluster_kubeconfig_and_serve_nothing() -> None:
    for argv in (tc.controller_manager_argv(LAYOUT), tc.scheduler_argv(LAYOUT)):
        f = flags(argv)
        assert f["kubeconfig"] == str(LAYOUT.kubeconfig)
        assert f["secure-port"] == "0" and f["leader-elect"] == "false"
    kwok = flags(tc.kwok_argv(LAYOUT))
    assert kwok["config"] == str(LAYOUT.stages)
    assert kwok["manage-nodes-with-annotation-selector"] == "kwok.x-k8s.io/node=fake"


def test_kubeconfig_has_one_context_named_after_the_cluster() -> None:
    doc = tc.kubeconfig("dev", "https://127.0.0.1:6443", "PEM", "tok")
    assert doc["current-context"] == "dev"
    (context,) = doc["contexts"]
    assert context["name"] == "dev"
    (cluster,) = doc["clusters"]
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == b"PEM"
    assert doc["users"][0]["user"] == {"token": "tok"}


def test_simulated_nodes_are_marked_for_kwok() -> None:
    node = tc.node_manifest("kwok-node-0")
    assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "kwok-node-0"


def test_binary_key_follows_the_pinned_release_and_every_module_checksum() -> None:
    a = tc.binary_key(b"k8s.io/api v0.36.3 h1:x\n")
    assert a.startswith(tc.KUBE_VERSION + "-")
    assert a != tc.binary_key(b"k8s.io/api v0.36.3 h1:y\n")
    assert a != tc.binary_key(b"k8s.io/api v0.36.3 h1:x\n", "v1.36.4")


def test_names_are_dns_labels() -> None:
    assert tc.NAME_PATTERN.fullmatch("dev-2")
    assert not tc.NAME_PATTERN.fullmatch("Dev")
    assert not tc.NAME_PATTERN.fullmatch("../x")
    assert not tc.NAME_PATTERN.fullmatch("a" * 41)
