"""A local test cluster as data: each component's argv, the kubeconfig, the simulated nodes.

A test cluster is a real Kubernetes control plane run as local processes (etcd and
kube-apiserver; with nodes also kube-controller-manager, kube-scheduler and KWOK), all from one
binary built from upstream sources (`kubebin/`). Everything here is pure: the processes are
started by `hubfleet.local.testcluster` from these argv lists, one function per component as
kwokctl keeps them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ADMIN_USER",
    "COMPONENTS",
    "KUBE_VERSION",
    "NAME_PATTERN",
    "Layout",
    "Ports",
    "apiserver_argv",
    "binary_key",
    "controller_manager_argv",
    "egress_config",
    "etcd_argv",
    "kubeconfig",
    "kwok_argv",
    "node_manifest",
    "scheduler_argv",
]

# The Kubernetes release kubebin/go.mod pins (and the version the server reports: Helm checks
# charts' kubeVersion against it).
KUBE_VERSION = "v1.36.3"
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
NAME_PATTERN = re.compile(r"[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?")
ADMIN_USER = "hubfleet-admin"  # in system:masters: what a cluster admin's kubeconfig gives
# Pods get status IPs from here (KWOK's own default); no traffic ever goes to them: the API
# server's egress to the cluster goes to a socket that does not exist (egress_config).
POD_CIDR = "10.0.0.0/16"
SERVICE_CIDR = "10.96.0.0/16"


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int


@dataclass(frozen=True)
class Layout:
    """Where one test cluster keeps its files (all under `folder`, removed by `down`)."""

    folder: Path

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    @property
    def state(self) -> Path:
        return self.folder / "cluster.json"

    @property
    def pki(self) -> Path:
        return self.folder / "pki"

    @property
    def etcd_data(self) -> Path:
        return self.folder / "etcd"

    @property
    def tokens(self) -> Path:
        return self.pki / "tokens.csv"

    @property
    def egress(self) -> Path:
        return self.folder / "egress.yaml"

    @property
    def stages(self) -> Path:
        return self.folder / "kwok-stages.yaml"

    def log(self, component: str) -> Path:
        return self.folder / "logs" / f"{component}.log"


def binary_key(go_sum: bytes, version: str = KUBE_VERSION) -> str:
    """The cache key of a built binary: the pinned release and every module's checksum."""
    return f"{version}-{hashlib.sha256(go_sum).hexdigest()[:16]}"


def etcd_argv(layout: Layout, ports: Ports) -> list[str]:
    client = f"http://127.0.0.1:{ports.etcd_client}"
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        "etcd",
        "--name=default",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=default={peer}",
        "--listen-metrics-urls=",
        "--unsafe-no-fsync",  # a throwaway cluster: speed over durability
        "--log-level=warn",
    ]


def apiserver_argv(layout: Layout, ports: Ports) -> list[str]:
    """kube-apiserver as envtest runs it: certificates of our own CA, static admin token, RBAC."""
    pki = layout.pki
    return [
        "kube-apiserver",
        f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--cert-dir={pki}",
        f"--tls-cert-file={pki / 'apiserver.crt'}",
        f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--token-auth-file={layout.tokens}",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=RBAC",
        "--disable-admission-plugins=ServiceAccount",
        "--allow-privileged=true",
        f"--egress-selector-config-file={layout.egress}",
        "--profiling=false",
        "--v=0",
    ]


def controller_manager_argv(layout: Layout) -> list[str]:
    pki = layout.pki
    return [
        "kube-controller-manager",
        f"--kubeconfig={layout.kubeconfig}",
        "--leader-elect=false",
        "--secure-port=0",  # no health port: readiness is judged through the API server
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        f"--cluster-signing-cert-file={pki / 'ca.crt'}",
        f"--cluster-signing-key-file={pki / 'ca.key'}",
        "--use-service-account-credentials=false",
        # No cloud, no real nodes: the controllers that would need them stay off.
        "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route",
        "--profiling=false",
    ]


def scheduler_argv(layout: Layout) -> list[str]:
    return [
        "kube-scheduler",
        f"--kubeconfig={layout.kubeconfig}",
        "--leader-elect=false",
        "--secure-port=0",
        "--profiling=false",
    ]


KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"


def kwok_argv(layout: Layout) -> list[str]:
    return [
        "kwok",
        f"--config={layout.stages}",
        f"--kubeconfig={layout.kubeconfig}",
        f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
        f"--cidr={POD_CIDR}",
        "--node-ip=127.0.0.1",
        "--node-lease-duration-seconds=40",
        "--server-address=",  # no kubelet-like server: nothing to reach on a fake node
    ]


def egress_config(layout: Layout) -> dict[str, Any]:
    """The API server's traffic to the cluster network (webhooks, aggregated APIs, kubelets)
    goes through a proxy socket that never exists: calls fail at once, and no packet leaves this
    machine for a Service or Pod address (nothing listens there: pods are simulated)."""
    return {
        "apiVersion": "apiserver.k8s.io/v1beta1",
        "kind": "EgressSelectorConfiguration",
        "egressSelections": [
            {
                "name": "cluster",
                "connection": {
                    "proxyProtocol": "HTTPConnect",
                    "transport": {"uds": {"udsName": str(layout.folder / "no-cluster-network.sock")}},
                },
            }
        ],
    }


def kubeconfig(name: str, server: str, ca_pem: str, token: str) -> dict[str, Any]:
    """A kubeconfig with one context, named after the cluster, authenticating by token."""
    import base64

    ca = base64.b64encode(ca_pem.encode()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": f"{name}-admin", "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
        "current-context": name,
        "preferences": {},
    }


def node_manifest(name: str) -> dict[str, Any]:
    """A simulated node: KWOK keeps it Ready and runs (marks Ready) the pods scheduled to it."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "spec": {},
        "status": {
            "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
            "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
        },
    }
