"""The example fleet's support releases (cert-manager with its CRDs, the in-repo ClusterIssuer chart,
ingress-nginx, prometheus) and hubs deployed to two real control planes from ../shared/charts/repo
served on 127.0.0.1; then a second deploy with nothing changed upgrades nothing.

Clusters without nodes: the fleet deploys without `--wait`. What a cluster without nodes or
webhook traffic cannot run is turned off in each cluster's own layers: Helm hook Jobs that would
never complete (cert-manager's startupapicheck, jupyterhub's image-awaiter) and ingress-nginx's
admission webhook. cert-manager's webhooks are `failurePolicy: Fail` in its templates (no value
turns that off), and the API server cannot reach them: so cert-manager is deployed first and its
webhook configurations deleted before the ClusterIssuer is created.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpers.chartrepo import point_at
from helpers.kubefleet import RealHelm, use_clusters
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.cli.commands import render as render_cmd

pytestmark = pytest.mark.slow

CLUSTERS = {"uni-west": "sk-west", "gcp-eu": "sk-eu"}  # the example fleet's cluster -> test cluster
HUBS = {"uni-west": ("uni-research", "uni-staging", "uni-teaching"), "gcp-eu": ("climate", "eu-staging")}
SUPPORT = {  # release -> namespace (fleet.yaml `support:`)
    "cert-manager": "cert-manager",
    "letsencrypt-issuer": "cert-manager",
    "ingress-nginx": "ingress-nginx",
    "monitoring": "monitoring",
}
NO_HOOKS = {  # cluster layer file -> values merged into it
    "common.values.yaml": {"prePuller": {"hook": {"enabled": False}}},
    "support/cert-manager.values.yaml": {"startupapicheck": {"enabled": False}},
    "support/ingress-nginx.values.yaml": {"controller": {"admissionWebhooks": {"enabled": False}}},
}


def _merge_into(path: Path, values: dict) -> None:
    doc = yaml.safe_load(path.read_text()) if path.is_file() else None
    doc = doc or {}
    for key, value in values.items():
        doc[key] = {**doc.get(key, {}), **value}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _on_test_clusters(root: Path, kcs: dict) -> None:
    for name, kc in kcs.items():
        (root / "clusters" / name / "cluster.yaml").write_text(
            f"name: {name}\nprovider: kubeconfig\nkubeconfig: {{context: {kc.context}}}\n"
        )
        for file, values in NO_HOOKS.items():
            _merge_into(root / "clusters" / name / file, values)


def _revisions(helms: dict[str, RealHelm]) -> dict[tuple[str, str], int]:
    out = {}
    for cluster, helm in helms.items():
        for release, ns in [*SUPPORT.items(), *((h, _namespace(h)) for h in HUBS[cluster])]:
            out[(cluster, release)] = helm.revision(release, ns)
    return out


def _namespace(hub: str) -> str:
    return hub  # the example fleet's hubs use their own name as namespace


def test_support_releases_and_hubs_on_two_clusters_and_a_redeploy_upgrades_nothing(
    example_fleet, shared_chart_repo, kube_cluster, helm_bin, tmp_path, monkeypatch, capsys
):
    root = example_fleet
    kcs = {name: kube_cluster(name=kname) for name, kname in CLUSTERS.items()}
    point_at(root / "fleet.yaml", shared_chart_repo.url)
    _on_test_clusters(root, kcs)
    use_clusters(monkeypatch, tmp_path, root, list(kcs.values()))
    assert boundary(render_cmd.run) == 0, capsys.readouterr()

    # cert-manager first (its CRDs), then its unreachable webhooks removed (module docstring)
    plan = tmp_path / "cert-manager.plan.json"
    support = [{"cluster": c, "name": "cert-manager", "reasons": ["new"]} for c in CLUSTERS]
    plan.write_text(
        json.dumps({"base": "a" * 40, "head": "b" * 40, "hubs": [], "removed": [], "support": support})
    )
    assert boundary(deploy_cmd.run, plan=str(plan), no_health=True) == 0, capsys.readouterr()
    for kc in kcs.values():
        for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
            kc.kubectl("delete", kind, "cert-manager-webhook")

    for cluster in CLUSTERS:
        assert boundary(deploy_cmd.run, cluster=cluster, no_health=True) == 0, capsys.readouterr()
    capsys.readouterr()

    helms = {name: RealHelm(helm_bin, kc, tmp_path / f"helm-{name}") for name, kc in kcs.items()}
    for cluster, kc in kcs.items():
        crds = json.loads(kc.kubectl("get", "crd", "-o", "json"))["items"]
        established = {
            c["metadata"]["name"]
            for c in crds
            if any(x["type"] == "Established" and x["status"] == "True" for x in c["status"]["conditions"])
        }
        assert {"certificates.cert-manager.io", "clusterissuers.cert-manager.io"} <= established
        issuer = json.loads(kc.kubectl("get", "clusterissuer", "letsencrypt-prod", "-o", "json"))
        assert issuer["spec"]["acme"]["email"] == "hub-admins@example.org"
        kc.kubectl("get", "deployment", "ingress-nginx-controller", "-n", "ingress-nginx")
        kc.kubectl("get", "deployment", "monitoring-prometheus-server", "-n", "monitoring")
        for hub in HUBS[cluster]:
            kc.kubectl("get", "deployment", "hub", "proxy", "-n", _namespace(hub))
    before = _revisions(helms)
    assert set(before.values()) == {1}, before  # each installed once

    said = ""
    for cluster in CLUSTERS:
        summary = tmp_path / f"again-{cluster}.md"
        code = boundary(deploy_cmd.run, cluster=cluster, no_health=True, summary=str(summary))
        assert code == 0, capsys.readouterr()
        said += summary.read_text()
    assert _revisions(helms) == before
    assert said.count("unchanged: nothing to upgrade") == len(before), said

    # A template edit in the in-repository chart that keeps its version: only that release is
    # upgraded (its version does not pin its content; its manifests are compared).
    template = root / "charts" / "letsencrypt-issuer" / "templates" / "clusterissuer.yaml"
    template.write_text(
        template.read_text().replace(
            "    app.kubernetes.io/instance:", "    edited: yes-by-hand\n    app.kubernetes.io/instance:"
        )
    )
    cluster = next(iter(CLUSTERS))
    assert boundary(deploy_cmd.run, cluster=cluster, no_health=True) == 0, capsys.readouterr()
    after = _revisions(helms)
    assert after[(cluster, "letsencrypt-issuer")] == 2
    assert {k: v for k, v in after.items() if k != (cluster, "letsencrypt-issuer")} == {
        k: v for k, v in before.items() if k != (cluster, "letsencrypt-issuer")
    }
    issuer = json.loads(kcs[cluster].kubectl("get", "clusterissuer", "letsencrypt-prod", "-o", "json"))
    assert issuer["metadata"]["labels"]["edited"] == "yes-by-hand"
