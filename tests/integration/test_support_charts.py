"""The example fleet's support set against the real charts (../shared/charts/repo, served on 127.0.0.1).

Real helm pulls ingress-nginx 4.15.1, cert-manager v1.19.6 and prometheus 29.27.0 (with its four
vendored dependencies) from the served repository; validate checks each release's values against
its chart's own schema and defaults; `helm template` renders each for real; the hubs' ingress
values name exactly what the support releases provide.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from helpers.chartrepo import point_at
from hubfleet.adapters import charts, helm
from hubfleet.app.load import load_work_tree
from hubfleet.app.render import render_hub
from hubfleet.app.support import render_support
from hubfleet.app.validate import validate_fleet

pytestmark = pytest.mark.slow


@pytest.fixture
def real_support(example_fleet, shared_chart_repo, helm_bin, monkeypatch):
    monkeypatch.setenv("HUBFLEET_HELM", str(helm_bin))
    point_at(example_fleet / "fleet.yaml", shared_chart_repo.url)
    return example_fleet


def _kinds(text: str) -> list[tuple[str, str]]:
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    return [(d.get("kind", ""), (d.get("metadata") or {}).get("name", "")) for d in docs]


def test_the_support_set_validates_against_the_charts_own_schemas(real_support):
    root, fleet = load_work_tree(real_support)
    assert {t.id for t in fleet.support_targets()} >= {"uni-west/cert-manager", "azure-uk/monitoring"}
    assert "azure-uk/ingress-nginx" not in {t.id for t in fleet.support_targets()}  # skipped there
    problems = validate_fleet(root, fleet, rendered=False)  # (fleet.yaml now names another repository)
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_a_typo_in_a_support_layer_is_caught_by_that_chart_s_schema(real_support):
    layer = real_support / "support/cert-manager.values.yaml"
    layer.write_text(layer.read_text().replace("  keep: true", "  kepp: true"))
    root, fleet = load_work_tree(real_support)
    errors = [str(p) for p in validate_fleet(root, fleet, rendered=False) if p.severity == "error"]
    assert len(errors) == 1, errors
    assert errors[0].startswith("support/cert-manager.values.yaml:")
    assert "crds.kepp: unknown key for this chart (did you mean `keep`?)" in errors[0]
    assert "(on clusters aws-us, azure-uk, gcp-eu, uni-west)" in errors[0]


def test_helm_template_renders_each_support_release_for_real(real_support):
    root, fleet = load_work_tree(real_support)
    made = {}
    for target in fleet.support_of("uni-west"):
        chart = fleet.config.charts[target.release.chart]
        rendered = render_support(fleet, target)
        (root / rendered.path).write_text(rendered.text)
        folder = charts.chart_dir(root, chart)
        done = helm.template(root, target.release, chart, [rendered.path], chart_folder=folder)  # type: ignore[arg-type]
        made[target.name] = done.stdout
    kinds = {name: _kinds(text) for name, text in made.items()}
    # cert-manager installs its CRDs with the release, as its chart documents (crds.enabled)
    crds = [n for k, n in kinds["cert-manager"] if k == "CustomResourceDefinition"]
    assert "certificates.cert-manager.io" in crds and "clusterissuers.cert-manager.io" in crds
    assert ("IngressClass", "nginx") in kinds["ingress-nginx"]
    assert ("ClusterIssuer", "letsencrypt-prod") in kinds["letsencrypt-issuer"]
    assert ("Deployment", "monitoring-prometheus-server") in kinds["monitoring"]
    assert "cluster: uni-west" in made["monitoring"]  # server.global.external_labels: ${cluster:name}
    issuer = next(
        d for d in yaml.safe_load_all(made["letsencrypt-issuer"]) if d and d["kind"] == "ClusterIssuer"
    )
    assert issuer["spec"]["acme"]["solvers"][0]["http01"]["ingress"]["ingressClassName"] == "nginx"


def test_the_in_repository_issuer_chart_lints(real_support, helm_bin):
    root, fleet = load_work_tree(real_support)
    rendered = render_support(fleet, fleet.support_target("uni-west", "letsencrypt-issuer"))
    (root / rendered.path).write_text(rendered.text)
    done = subprocess.run(
        [str(helm_bin), "lint", "charts/letsencrypt-issuer", "--values", rendered.path, "--strict"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hubs_ingress_names_what_their_cluster_s_support_provides(real_support):
    _, fleet = load_work_tree(real_support)
    for hub in fleet.hubs.values():
        cluster = fleet.clusters[hub.cluster]
        if cluster.is_local:
            continue
        ingress = render_hub(fleet, hub).values["ingress"]
        runs = {t.name: render_support(fleet, t).values for t in fleet.support_of(cluster.name)}
        issuer = runs["letsencrypt-issuer"]
        assert ingress["annotations"]["cert-manager.io/cluster-issuer"] == issuer["name"], hub.name
        if "ingress-nginx" in runs:
            nginx_class = runs["ingress-nginx"]["controller"]["ingressClassResource"]["name"]
            assert ingress["ingressClassName"] == nginx_class == issuer["ingressClassName"], hub.name
        else:  # a managed ingress controller: the issuer's HTTP-01 solver uses that class
            assert ingress["ingressClassName"] == issuer["ingressClassName"], hub.name
