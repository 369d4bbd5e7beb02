"""Support releases, pure: parsing, the rules between fleet.yaml and cluster.yaml, files, facts."""

from __future__ import annotations

import pytest

from hubfleet.core import support as sp
from hubfleet.core.resolve import InterpolationProblem, resolve

FLEET = {
    "charts": {"cert-manager": {}, "ingress-nginx": {}},
    "support": [
        {"name": "cert-manager", "chart": "cert-manager", "namespace": "cert-manager"},
        {"name": "ingress-nginx", "chart": "ingress-nginx"},
    ],
}


def test_parse_keeps_order_and_defaults_namespace_to_name():
    got = sp.parse_support(FLEET)
    assert [r.name for r in got] == ["cert-manager", "ingress-nginx"]
    assert got[1].namespace == "ingress-nginx" and got[1].release == "ingress-nginx"
    assert sp.parse_support({"charts": {}}) == ()


def test_unknown_chart_is_located_with_a_hint():
    doc = {**FLEET, "support": [{"name": "ingress", "chart": "ingress-ngnix"}]}
    (p,) = sp.fleet_support_problems(doc)
    assert p.keypath == ("support", 0, "chart")
    assert "`ingress-ngnix` is not a chart" in p.message and "did you mean `ingress-nginx`" in p.message


def test_duplicate_release_name():
    doc = {**FLEET, "support": [*FLEET["support"], {"name": "cert-manager", "chart": "cert-manager"}]}
    (p,) = sp.fleet_support_problems(doc)
    assert p.keypath == ("support", 2, "name") and "used twice (also support[0])" in p.message


def test_skip_must_name_a_release_and_local_clusters_have_none():
    releases = sp.parse_support(FLEET)
    doc = {"name": "k", "provider": "kubeconfig", "support": {"skip": ["ingress-ngin"]}}
    (p,) = sp.cluster_support_problems(doc, "clusters/k/cluster.yaml", releases)
    assert p.keypath == ("support", "skip", 0) and "did you mean `ingress-nginx`" in p.message
    ok = {"name": "k", "provider": "kubeconfig", "support": {"skip": ["ingress-nginx"]}}
    assert sp.cluster_support_problems(ok, "f", releases) == []
    local = {"name": "l", "provider": "local", "support": {"skip": []}}
    (p,) = sp.cluster_support_problems(local, "clusters/l/cluster.yaml", releases)
    assert "local" in p.message and p.keypath == ("support",)


def test_releases_for_a_cluster():
    releases = sp.parse_support(FLEET)
    assert [r.name for r in sp.releases_for("gke", ("ingress-nginx",), releases)] == ["cert-manager"]
    assert sp.releases_for("local", (), releases) == []


def test_files_and_ids():
    assert sp.layer_paths("k", "ingress-nginx") == (
        "support/ingress-nginx.values.yaml",
        "clusters/k/support/ingress-nginx.values.yaml",
    )
    assert sp.rendered_path("k", "x") == "clusters/k/support/x.rendered.values.yaml"
    assert sp.secrets_path("k", "x") == "clusters/k/support/x.secrets.yaml"
    assert sp.target_id("k", "x") == "k/x"
    assert sp.cluster_files("l", ["clusters/l/support/a.values.yaml", "clusters/m/x"]) == [
        "clusters/l/support/a.values.yaml"
    ]


def test_support_facts_know_the_cluster_but_no_hub():
    facts = sp.support_facts("uni-west", "kubeconfig")
    assert resolve({"label": "${cluster:name}-${cluster:provider}"}, facts) == {
        "label": "uni-west-kubeconfig"
    }
    with pytest.raises(InterpolationProblem, match="support release"):
        resolve({"x": "${hub:name}"}, facts)
