"""The deploy workflow's plan per cluster, dispatch selections and canary jobs (pure)."""

from __future__ import annotations

from hubfleet.core.ciplan import (
    FORCED,
    Selection,
    cluster_plan,
    group_by_base,
    matrices,
    narrow,
    wanted_clusters,
)
from hubfleet.core.model import Canary
from hubfleet.core.plan import Plan, PlannedHub, Removed

A, B = "a" * 40, "b" * 40


def plan(*hubs: tuple[str, str, str, str], removed=()) -> Plan:
    return Plan(A, B, tuple(PlannedHub(n, c, s, (why,)) for n, c, s, why in hubs), tuple(removed))


def test_group_by_base_plans_each_distinct_base_once():
    assert group_by_base({"k2": A, "k1": A, "k3": B}) == {A: ["k1", "k2"], B: ["k3"]}


def test_cluster_plan_keeps_only_that_cluster():
    p = plan(("s1", "k1", "staging", "x"), ("p2", "k2", "prod", "y"), removed=[Removed("old", "k2")])
    assert [h.name for h in cluster_plan(p, "k2").hubs] == ["p2"]
    assert cluster_plan(p, "k2").removed == (Removed("old", "k2"),)
    assert cluster_plan(p, "k1").removed == ()


def test_narrow_without_force_keeps_planned_hubs_the_selection_wants():
    p = plan(("s1", "k1", "staging", "x"), ("p1", "k1", "prod", "y"))
    sel = Selection(hubs=("p1",))
    assert [h.name for h in narrow(p, sel, {}).hubs] == ["p1"] and sel.narrowed
    assert narrow(p, Selection(), {}) == p and not Selection(all=True).narrowed


def test_force_deploys_unchanged_selected_hubs_saying_why():
    p = plan(("p1", "k1", "prod", "values changed: x"))
    head = {"s1": ("k1", "staging"), "p1": ("k1", "prod"), "p2": ("k1", "prod")}
    out = narrow(p, Selection(clusters=("k1",), force=True), head)
    assert [(h.name, h.reasons) for h in out.hubs] == [
        ("s1", (FORCED,)),
        ("p1", ("values changed: x",)),
        ("p2", (FORCED,)),
    ]


def test_matrices_put_canary_clusters_first_when_the_rollout_goes_canary_first():
    plans = {
        "k1": plan(("p1", "k1", "prod", "chart jupyterhub 4.3.5 -> 4.4.0")),
        "k2": plan(("p2", "k2", "prod", "chart jupyterhub 4.3.5 -> 4.4.0")),
        "loc": plan(("demo", "loc", "staging", "x")),
        "idle": plan(),
    }
    providers = {"k1": "gke", "k2": "eks", "loc": "local", "idle": "aks"}
    m = matrices(plans, providers, Canary(("k1",), "chart"), record=True)
    assert [e["cluster"] for e in m["canary"]] == ["k1"] and [e["cluster"] for e in m["rest"]] == ["k2"]
    assert m["canary"][0] == {
        "cluster": "k1",
        "provider": "gke",
        "base": A,
        "hubs": 1,
        "removed": 0,
        "record": True,
    }
    values_only = {"k1": plan(("p1", "k1", "prod", "values changed: x"))}
    m = matrices(values_only, providers, Canary(("k1",), "chart"), record=False)
    assert m["canary"] == [] and m["rest"][0]["record"] is False


def test_wanted_clusters():
    hubs = {"p1": "k1", "p2": "k2"}
    assert wanted_clusters(Selection(), ["k2", "k1"], hubs) == ["k1", "k2"]
    assert wanted_clusters(Selection(hubs=("p2",)), ["k1", "k2"], hubs) == ["k2"]
    assert wanted_clusters(Selection(clusters=("k1",), hubs=("p2",)), ["k1", "k2", "k3"], hubs) == [
        "k1",
        "k2",
    ]


def test_a_clusters_ref_stays_while_removed_hubs_are_still_installed():
    plans = {
        "k1": plan(("p1", "k1", "prod", "x"), removed=[Removed("old", "k1")]),
        "k2": plan(("p2", "k2", "prod", "x")),
    }
    providers = {"k1": "gke", "k2": "gke"}
    rest = matrices(plans, providers, Canary(), record=True)["rest"]
    assert [(e["cluster"], e["record"]) for e in rest] == [("k1", False), ("k2", True)]
    rest = matrices(plans, providers, Canary(), record=True, prune=True)["rest"]
    assert [e["record"] for e in rest] == [True, True]
