"""The CI deploy plan keeps a cluster's support releases: a support-only change is a job for that cluster."""

from __future__ import annotations

from hubfleet.core.ciplan import Selection, cluster_plan, matrices, narrow
from hubfleet.core.model import Canary
from hubfleet.core.plan import Plan, PlannedSupport

SHA = "b" * 40


def test_a_support_only_change_is_a_job_of_its_cluster_only():
    full = Plan(SHA, SHA, (), (), (PlannedSupport("west", "ingress-nginx", ("values changed: x",)),))
    plans = {c: narrow(cluster_plan(full, c), Selection(), {}) for c in ("west", "east")}
    assert plans["west"].support and not plans["east"].support
    jobs = matrices(plans, {"west": "kubeconfig", "east": "gke"}, Canary(), record=True)
    assert [e["cluster"] for e in jobs["rest"]] == ["west"]


def test_a_selection_of_some_hubs_leaves_support_out_a_cluster_selection_keeps_it():
    full = Plan(SHA, SHA, (), (), (PlannedSupport("west", "ingress-nginx", ("x",)),))
    assert narrow(cluster_plan(full, "west"), Selection(hubs=("west-a",)), {}).support == ()
    assert narrow(cluster_plan(full, "west"), Selection(clusters=("west",)), {}).support == full.support
