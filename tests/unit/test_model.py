"""Loading our own files: pure functions over dict literals and in-memory sources."""

from __future__ import annotations

import pytest

from hubfleet.adapters import yamlio
from hubfleet.adapters.source import MappingSource
from hubfleet.app.load import load_fleet
from hubfleet.core import model, schemas
from hubfleet.core.errors import HubfleetError

FLEET = b"charts:\n  jupyterhub: {repo: 'https://hub.jupyter.org/helm-chart/', version: 4.4.0}\ndefault_chart: jupyterhub\n"


def _source(**files: str) -> MappingSource:
    data = {"fleet.yaml": FLEET}
    data.update({k.replace("__", "/").replace("_yaml", ".yaml"): v.encode() for k, v in files.items()})
    return MappingSource(data)


def test_hub_defaults_follow_the_contract():
    hub = model.parse_hub({"name": "a", "cluster": "c", "domain": "a.example"}, "hubs/a/hub.yaml", "jh")
    assert (hub.stage, hub.chart, hub.namespace, hub.release) == ("prod", "jh", "a", "a")


def test_unknown_key_gets_a_hint_and_the_allowed_keys():
    [p] = model.check({"name": "a", "cluster": "c", "domain": "a.example", "stgae": "x"}, schemas.HUB, "f")
    assert p.keypath == ("stgae",)
    assert "did you mean `stage`?" in p.message and "allowed:" in p.message


def test_provider_block_must_match_provider():
    problems = model.check(
        {"name": "c", "provider": "gke", "eks": {"region": "r", "cluster": "c"}}, schemas.CLUSTER, "f"
    )
    assert any("only allowed with provider" in p.message for p in problems)
    assert model.cluster_problems({"name": "c", "provider": "gke"}, "f", "c")[0].message.startswith(
        "provider gke needs"
    )


@pytest.mark.parametrize("name", ["Uni", "uni_west", "-uni", "x" * 54])
def test_release_names_must_be_dns_labels(name):
    assert model.check({"name": name, "cluster": "c", "domain": "a.example"}, schemas.HUB, "f")


def test_repository_chart_needs_a_version_and_default_chart_must_exist():
    doc = {"charts": {"jupyterhub": {"repo": "https://x.example/"}}, "default_chart": "jupyterhb"}
    messages = [p.message for p in model.chart_problems(doc, "fleet.yaml")]
    assert any("need a `version:`" in m for m in messages)
    assert any("did you mean `jupyterhub`?" in m for m in messages)


def test_load_collects_every_problem_and_keeps_good_hubs():
    source = _source(
        clusters__c__cluster_yaml="name: c\nprovider: kubeconfig\nkubeconfig: {context: c}\n",
        hubs__a__hub_yaml="name: a\ncluster: c\ndomain: same.example\n",
        hubs__b__hub_yaml="name: b\ncluster: c\ndomain: same.example\n",
        hubs__d__hub_yaml="name: d\ncluster: nope\ndomain: d.example\n",
        hubs__e__hub_yaml="name: e\ncluster: c\ndomain: e.example\nlocal: {port: 8001}\n",
    )
    fleet = load_fleet(source)
    text = "\n".join(map(str, fleet.problems))
    assert "hubs/b/hub.yaml:3: domain: same.example is already used by hub `a`" in text
    assert "hubs/d/hub.yaml:2: cluster: no cluster `nope`" in text
    assert "hubs/e/hub.yaml:4: local: `local:` is only for hubs on a `provider: local` cluster" in text
    assert set(fleet.hubs) == {"a", "b", "d", "e"} and fleet.broken_hubs == {"b", "d", "e"}


def test_a_broken_fleet_yaml_stops_loading_with_its_line():
    source = MappingSource({"fleet.yaml": b"charts: {}\ndefault_chart: x\nextra: 1\n"})
    with pytest.raises(HubfleetError) as info:
        load_fleet(source)
    assert any(str(p).startswith("fleet.yaml:3: extra: unknown key") for p in info.value.problems)


def test_yaml_reads_like_helm_and_locates_keys():
    doc = yamlio.parse(b"a:\n  when: 2024-01-01\n  tag: 2024.11.11\n  on: yes\n", "f")
    assert doc == {"a": {"when": "2024-01-01", "tag": "2024.11.11", "true": True}}  # Helm: key `on` is "true"
    assert yamlio.line_of("a:\n  b:\n    - x\n    - y: 1\n", ("a", "b", 1, "y")) == 4
    assert yamlio.dump({"code": "a\nb\n"}) == "code: |\n  a\n  b\n"


def test_several_documents_are_rejected():
    with pytest.raises(HubfleetError, match="several YAML documents"):
        yamlio.parse(b"a: 1\n---\nb: 2\n", "f")
