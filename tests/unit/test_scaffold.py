"""Scaffolding as data: a bad request is one clear line each; good ones give valid, minimal files."""

from __future__ import annotations

import pytest
import yaml

from hubfleet.adapters.source import MappingSource
from hubfleet.app.load import load_fleet
from hubfleet.core import scaffold
from hubfleet.core.errors import HubfleetError

FILES = {
    "fleet.yaml": b"charts:\n  jh: {repo: https://r.example, name: jupyterhub, version: 4.4.0}\n"
    b"  other: {path: charts/other}\ndefault_chart: jh\n",
    "clusters/uni/cluster.yaml": b"name: uni\nprovider: kubeconfig\nkubeconfig: {context: uni}\n",
    "clusters/lab/cluster.yaml": b"name: lab\nprovider: local\n",
    "clusters/empty/cluster.yaml": b"name: empty\nprovider: gke\ngke: {project: p, location: l, cluster: c}\n",
    "hubs/staging/hub.yaml": b"name: staging\ncluster: uni\ndomain: staging.hub.uni.example\nstage: staging\n",
    "hubs/teach/hub.yaml": b"name: teach\ncluster: uni\ndomain: teach.hub.uni.example\nchart: other\n",
    "hubs/demo/hub.yaml": b"name: demo\ncluster: lab\ndomain: demo.localhost\n",
    "hubs/broken/hub.yaml": b"name: broken\ncluster: uni\n",
    "clusters/bad/cluster.yaml": b"name: bad\nprovider: gcp\n",
}


@pytest.fixture
def view():
    fleet = load_fleet(MappingSource(FILES))
    return scaffold.FleetView(
        fleet.hubs,
        fleet.clusters,
        frozenset(fleet.source.subdirs("hubs")),
        frozenset(fleet.source.subdirs("clusters")),
        fleet.config.default_chart,
    )


def _lines(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


@pytest.mark.parametrize(
    ("kwargs", "line"),
    [
        ({"name": "Chem", "cluster": "uni"}, "hub name: `Chem` is not usable: use lowercase letters"),
        ({"name": "c" * 54, "cluster": "uni"}, "at most 53 characters"),
        ({"name": "-x", "cluster": "uni"}, "is not usable"),
        (
            {"name": "kube-lab", "cluster": "uni"},
            "hub name: `kube-lab` would deploy into a Kubernetes system namespace",
        ),
        ({"name": "default", "cluster": "uni"}, "a Kubernetes system namespace"),
        ({"name": "teach", "cluster": "uni"}, "hubs/teach: already exists"),
        ({"name": "broken", "cluster": "uni"}, "hubs/broken: already exists"),  # a folder that does not load
        (
            {"name": "chem", "cluster": "unii"},
            "--cluster: no cluster `unii` in clusters/ (did you mean `uni`?)",
        ),
        (
            {"name": "chem", "cluster": "uni", "stage": "prd"},
            "--stage: must be one of: staging, prod (got 'prd') (did you mean `prod`?)",
        ),
        (
            {"name": "chem", "cluster": "uni", "like": "teech"},
            "--like: no hub `teech` in hubs/ (did you mean `teach`?)",
        ),
        (
            {"name": "chem", "cluster": "uni", "domain": "teach.hub.uni.example"},
            "--domain: teach.hub.uni.example is already used by hub `teach`",
        ),
        (
            {"name": "chem", "cluster": "uni", "domain": "Not A Host"},
            "--domain: `Not A Host` is not a host name",
        ),
        (
            {"name": "chem", "cluster": "empty"},
            "--domain: cluster empty has no hubs to take a domain from: give --domain",
        ),
        (
            {"name": "chem", "cluster": "bad"},
            "--cluster: clusters/bad/cluster.yaml does not load: fix it first",
        ),
    ],
)
def test_a_bad_request_is_one_clear_line(view, kwargs, line):
    with pytest.raises(HubfleetError) as excinfo:
        scaffold.plan_hub(view, **kwargs)
    lines = _lines(excinfo)
    assert len(lines) == 1, lines
    assert line in lines[0]


def test_several_bad_parts_are_one_line_each(view):
    with pytest.raises(HubfleetError) as excinfo:
        scaffold.plan_hub(view, "Chem", "unii", stage="live")
    assert [line.split(":")[0] for line in _lines(excinfo)] == ["hub name", "--cluster", "--stage"]


def test_a_new_hub_gets_minimal_files_and_the_clusters_domain_suffix(view):
    got = scaffold.plan_hub(view, "chem", "uni", stage="staging")
    assert sorted(got.files) == ["hubs/chem/hub.yaml", "hubs/chem/values.yaml"]  # never a rendered file
    hub = yaml.safe_load(got.files["hubs/chem/hub.yaml"])
    assert hub == {"name": "chem", "cluster": "uni", "domain": "chem.hub.uni.example", "stage": "staging"}
    assert yaml.safe_load(got.files["hubs/chem/values.yaml"]) is None  # comments only: an empty layer
    assert any("invoke secrets --hub chem" in s for s in got.next_steps)


def test_like_copies_the_values_and_names_lines_to_check(view):
    values = (
        "hub:\n  config:\n    X:\n      client_id: teach-client\n      url: https://teach.hub.uni.example/x\n"
    )
    got = scaffold.plan_hub(view, "chem", "uni", like="teach", like_values=values, like_secrets=True)
    text = got.files["hubs/chem/values.yaml"]
    assert text.startswith(
        "# yaml-language-server: $schema=../../.hubfleet/schemas/charts/other.values.schema.json\n"
    )
    assert text.endswith(values)
    hub = yaml.safe_load(got.files["hubs/chem/hub.yaml"])
    assert hub["chart"] == "other" and hub["domain"] == "chem.hub.uni.example"
    lines = text.splitlines()
    for note in got.warnings:
        number = int(note.split(":")[1])
        assert "teach" in lines[number - 1], (note, lines[number - 1])
    assert len(got.warnings) == 2
    assert any("secrets.yaml was not copied" in s for s in got.next_steps)


def test_like_a_hub_without_secrets_claims_no_secrets_were_left_behind(view):
    got = scaffold.plan_hub(view, "chem", "uni", like="teach", like_values="hub: {}\n", like_secrets=False)
    assert not any("secrets" in s and "not copied" in s for s in got.next_steps)
    assert any(s.startswith("`invoke secrets --hub chem`") for s in got.next_steps)


def test_a_local_hub_gets_a_free_port_and_a_localhost_domain(view):
    got = scaffold.plan_hub(view, "lab2", "lab")
    hub = yaml.safe_load(got.files["hubs/lab2/hub.yaml"])
    assert hub["local"] == {"port": 8001} and hub["domain"] == "lab2.localhost"


@pytest.mark.parametrize(
    ("name", "provider", "settings", "line"),
    [
        ("uni", "gke", {"project": "p", "location": "l"}, "clusters/uni: already exists"),
        ("New", "gke", {}, "cluster name: `New` is not usable"),
        ("east", "gcp", {}, "--provider: must be one of: local, kubeconfig, gke, eks, aks (got 'gcp')"),
        ("east", "gke", {"project": "p"}, "--provider: provider gke needs --location"),
        (
            "east",
            "kubeconfig",
            {"context": "c", "region": "r"},
            "--region: is not a setting of provider kubeconfig",
        ),
    ],
)
def test_a_bad_cluster_request_is_one_clear_line(view, name, provider, settings, line):
    with pytest.raises(HubfleetError) as excinfo:
        scaffold.plan_cluster(view, name, provider, settings)
    assert len(_lines(excinfo)) == 1 and line in _lines(excinfo)[0], _lines(excinfo)


@pytest.mark.parametrize(
    ("provider", "settings", "block"),
    [
        (
            "gke",
            {"project": "p", "location": "europe-west1"},
            {"project": "p", "location": "europe-west1", "cluster": "east"},
        ),
        (
            "eks",
            {"region": "us-east-1", "account": "0123", "cluster": "hubs"},
            {"region": "us-east-1", "account": "0123", "cluster": "hubs"},
        ),
        ("aks", {"resource-group": "g"}, {"resource_group": "g", "cluster": "east"}),
        (
            "kubeconfig",
            {"context": "east", "file": "kubeconfig.secret.yaml"},
            {"context": "east", "file": "kubeconfig.secret.yaml"},
        ),
        ("local", {}, None),
    ],
)
def test_a_new_cluster_is_a_valid_cluster_yaml(view, provider, settings, block):
    got = scaffold.plan_cluster(view, "east", provider, settings)
    doc = yaml.safe_load(got.files["clusters/east/cluster.yaml"])
    assert doc.get(provider) == block
    assert doc["name"] == "east" and doc["provider"] == provider
    assert isinstance(doc.get("eks", {}).get("account", ""), str)  # "0123" stays a string
    fleet = load_fleet(MappingSource({**FILES, **{k: v.encode() for k, v in got.files.items()}}))
    assert "east" in fleet.clusters, fleet.problems
