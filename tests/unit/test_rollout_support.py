"""The rollout engine, v1.1: per cluster `prepare`, then support releases in order, then staging, then prod."""

from __future__ import annotations

import io
import threading

from rich.console import Console

from hubfleet.core.model import Rollout
from hubfleet.core.rollout import SUPPORT, Result, Target, run_rollout


class Recorder:
    """A stand-in for the deploy adapter: records the order, fails the names it is told to."""

    def __init__(self, fail=()):
        self.fail = set(fail)
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, name: str) -> Result:
        with self.lock:
            self.calls.append(name)
        return Result(name, name not in self.fail, "stand-in")


TARGETS = [
    Target("k1/cert-manager", "k1", SUPPORT),
    Target("k1/ingress-nginx", "k1", SUPPORT),
    Target("k1-staging", "k1", "staging"),
    Target("k1-prod", "k1", "prod"),
    Target("k2/cert-manager", "k2", SUPPORT),
    Target("k2/ingress-nginx", "k2", SUPPORT),
    Target("k2-staging", "k2", "staging"),
    Target("k2-prod", "k2", "prod"),
]


def _run(deploy, prepare=None):
    return run_rollout(
        TARGETS,
        deploy,
        lambda n: Result(n, True, "healthy"),
        Rollout(max_parallel_per_cluster=4),
        console=Console(file=io.StringIO(), width=200),
        prepare=prepare,
    )


def _of(calls, cluster):
    return [c for c in calls if c.startswith(cluster)]


def test_support_in_order_then_staging_then_prod_per_cluster():
    deploy = Recorder()
    assert _run(deploy).ok
    for c in ("k1", "k2"):
        assert _of(deploy.calls, c) == [
            f"{c}/cert-manager",
            f"{c}/ingress-nginx",
            f"{c}-staging",
            f"{c}-prod",
        ]


def test_a_failing_support_release_skips_the_rest_of_its_cluster_only():
    deploy = Recorder(fail={"k1/cert-manager"})
    report = _run(deploy)
    status = {o.hub: (o.status, o.message) for o in report.outcomes}
    assert _of(deploy.calls, "k1") == ["k1/cert-manager"]
    assert status["k1/ingress-nginx"] == ("skipped", "support release k1/cert-manager failed on k1")
    assert status["k1-prod"][0] == "skipped"
    assert all(status[t.hub][0] == "ok" for t in TARGETS if t.cluster == "k2")


def test_a_failing_prepare_deploys_nothing_of_that_cluster():
    deploy = Recorder()

    def prepare(cluster):
        return Result(
            cluster, cluster != "k2", "shared secrets: clusters/k2/secrets.yaml: sops cannot decrypt it"
        )

    report = _run(deploy, prepare)
    assert _of(deploy.calls, "k2") == [] and len(_of(deploy.calls, "k1")) == 4
    skipped = [o for o in report.outcomes if o.cluster == "k2"]
    assert all(o.status == "skipped" and "nothing deployed on k2" in o.message for o in skipped)
    assert not report.ok


def test_the_order_a_rollout_takes_is_described_as_it_runs():
    """`deploy --dry-run` shows this: canary clusters first, per cluster support, staging, the
    health gate, prod (whatever order the targets came in)."""
    from hubfleet.core.model import Canary, Rollout
    from hubfleet.core.rollout import SUPPORT, Target, describe, in_order

    targets = [
        Target("a-prod", "a", "prod"),
        Target("b-prod", "b", "prod"),
        Target("a-staging", "a", "staging", "check"),
        Target("b/ingress", "b", SUPPORT),
    ]
    settings = Rollout(canary=Canary(("b",), "always"), health_prod=False)
    assert [t.hub for t in in_order(targets, settings, canary_first=True)] == [
        "b/ingress",
        "b-prod",
        "a-staging",
        "a-prod",
    ]
    assert describe(targets, settings, canary_first=True, health=True) == [
        "wave 1 (canary clusters):",
        "cluster b:",
        "  support release ingress",
        "  prod b-prod",
        "wave 2 (the other clusters):",
        "cluster a:",
        "  staging a-staging (health check only)",
        "  health gate: a-staging healthy, else a's prod hubs are skipped",
        "  prod a-prod",
    ]
    assert "health gate" not in "\n".join(describe(targets, settings, canary_first=False, health=False))
