"""Plans, v1.1: support releases planned exactly like hubs, layered secrets by key path (no values)."""

from __future__ import annotations

import pytest

from hubfleet.core.errors import ProblemsError
from hubfleet.core.plan import HubInput, Plan, PlannedSupport, plan, plan_from_json, plan_support

CHART = ("repo", "https://x/", "ingress-nginx", "4.15.1", "")
SHA = "a" * 40
ENC = "ENC[AES256_GCM,data:{},iv:aXY=,tag:dGFn,type:str]"


def sup(cluster, name, raw=("r",), values=None, secrets=()):
    return HubInput(name, cluster, "support", name, name, CHART, "ingress-nginx 4.15.1", secrets, raw, values)


def test_a_support_layer_change_plans_exactly_the_clusters_whose_input_changed():
    base = {
        "k1/ingress-nginx": sup("k1", "ingress-nginx", ("1",), {"controller": {"replicaCount": 2}}),
        "k2/ingress-nginx": sup("k2", "ingress-nginx", ("1",), {"controller": {"replicaCount": 3}}),
        "k3/ingress-nginx": sup("k3", "ingress-nginx"),
    }
    head = {
        # the fleet layer changed a key that k2's own layer overrides: k2's input is the same
        "k1/ingress-nginx": sup("k1", "ingress-nginx", ("2",), {"controller": {"replicaCount": 4}}),
        "k2/ingress-nginx": sup("k2", "ingress-nginx", ("2",), {"controller": {"replicaCount": 3}}),
        "k3/ingress-nginx": sup("k3", "ingress-nginx"),
        "k3/cert-manager": sup("k3", "cert-manager"),
    }
    assert plan_support(base, head) == (
        PlannedSupport("k1", "ingress-nginx", ("values changed: controller.replicaCount",)),
        PlannedSupport("k3", "cert-manager", ("new support release",)),
    )


def test_plan_json_gains_support_only_when_something_changed():
    empty = Plan(SHA, SHA, ())
    assert "support" not in empty.to_json()  # a v1 fleet's plan keeps the v1 shape
    p = Plan(SHA, SHA, (), (), (PlannedSupport("k1", "ingress-nginx", ("values changed: x",)),))
    doc = p.to_json()
    assert doc["support"] == [{"cluster": "k1", "name": "ingress-nginx", "reasons": ["values changed: x"]}]
    assert plan_from_json(doc, "plan.json") == p
    assert p.clusters() == ["k1"]


def test_plan_json_support_entries_are_checked():
    doc = {"base": SHA, "head": SHA, "hubs": [], "removed": [], "support": [{"cluster": "k1", "name": 3}]}
    with pytest.raises(ProblemsError) as e:
        plan_from_json(doc, "plan.json")
    assert any(p.keypath == ("support", 0, "name") for p in e.value.problems)
    assert any(p.keypath == ("support", 0, "reasons") for p in e.value.problems)


def _hub(secrets, docs, raw):
    return HubInput("h", "k1", "prod", "h", "h", CHART, "x", secrets, raw, {"v": 1}, docs)


def test_layered_secrets_changes_name_the_file_and_keys_never_a_value():
    fleet = "clusters/secrets.yaml"
    cluster = "clusters/k1/secrets.yaml"
    was_docs = {fleet: {"hub": {"cookieSecret": ENC.format("b2xk")}}, cluster: {"a": ENC.format("eA==")}}
    now_docs = {fleet: {"hub": {"cookieSecret": ENC.format("bmV3")}}}
    was = _hub(((fleet, "d1"), (cluster, "d2")), was_docs, ("1",))
    now = _hub(((fleet, "d3"),), now_docs, ("2",))
    (h,) = plan({"h": was}, {"h": now}).hubs
    assert h.reasons == (f"{fleet} changed: hub.cookieSecret", f"{cluster} removed")
    assert not any("bmV3" in r or "b2xk" in r for r in h.reasons)


def test_rekeyed_secrets_plan_nothing():
    fleet = "clusters/secrets.yaml"
    was = _hub(((fleet, "same"),), {}, ("1",))
    now = _hub(((fleet, "same"),), {}, ("2",))  # bytes differ (new recipients), values do not
    assert plan({"h": was}, {"h": now}).hubs == ()
