"""The engine's health checks: canary checks of unplanned staging hubs, health after prod, breaker.

Deploy and health are recording stand-in callables (no helm, no hub).
"""

from __future__ import annotations

import io
import threading

from rich.console import Console

from hubfleet.core.model import Rollout
from hubfleet.core.rollout import Result, Target, canary_checks, result_table, run_rollout


class Recorder:
    """A recording stand-in for the deploy or health callable: `bad` hubs fail."""

    def __init__(self, bad=()):
        self.bad = set(bad)
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, hub: str) -> Result:
        with self.lock:
            self.calls.append(hub)
        return Result(
            hub, hub not in self.bad, "stand-in: unhealthy at step kernel" if hub in self.bad else ""
        )


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def by_hub(report):
    return {o.hub: o for o in report.outcomes}


def test_canary_checks_add_unplanned_staging_hubs_as_checks_only():
    targets = [Target("p1", "k1", "prod"), Target("s2", "k2", "staging"), Target("p2", "k2", "prod")]
    staging = {"k1": ["s1"], "k2": ["s2"], "k3": ["s3"]}
    out = canary_checks(targets, staging)
    assert out[0] == Target("s1", "k1", "staging", "check")
    assert [t.hub for t in out] == ["s1", "p1", "s2", "p2"]  # k2's staging hub is planned: deployed


def test_canary_check_when_only_prod_is_planned():
    deploy, health = Recorder(), Recorder()
    targets = canary_checks([Target("p1", "k1", "prod")], {"k1": ["s1"]})
    report = run_rollout(targets, deploy, health, Rollout(), console=quiet())
    assert report.ok and deploy.calls == ["p1"]  # the staging hub is not redeployed...
    assert health.calls == ["s1", "p1"]  # ...but checked before prod, and prod after
    out = by_hub(report)
    assert out["s1"].health == "healthy" and out["s1"].message == "health checked only (not in the plan)"


def test_unhealthy_canary_check_stops_that_clusters_prod():
    deploy, health = Recorder(), Recorder(bad={"s1"})
    targets = canary_checks([Target("p1", "k1", "prod")], {"k1": ["s1"]})
    report = run_rollout(targets, deploy, health, Rollout(), console=quiet())
    out = by_hub(report)
    assert deploy.calls == [] and out["s1"].status == "failed" and out["s1"].health == "unhealthy"
    assert out["p1"].status == "skipped" and "staging failed on k1" in out["p1"].message


def test_prod_health_is_in_the_results_and_an_unhealthy_prod_hub_fails_the_run():
    deploy, health = Recorder(), Recorder(bad={"p2"})
    targets = [Target("s1", "k1", "staging"), Target("p1", "k1", "prod"), Target("p2", "k1", "prod")]
    report = run_rollout(targets, deploy, health, Rollout(), console=quiet())
    out = by_hub(report)
    assert not report.ok and out["p1"].health == "healthy" and out["p2"].status == "failed"
    assert "deployed, health check failed: stand-in: unhealthy at step kernel" in out["p2"].message
    text = io.StringIO()
    Console(file=text, width=200).print(result_table(report))
    assert "health" in text.getvalue().splitlines()[2] and "unhealthy" in text.getvalue()


def test_prod_health_off_checks_staging_only():
    deploy, health = Recorder(), Recorder(bad={"p1"})
    targets = [Target("s1", "k1", "staging"), Target("p1", "k1", "prod")]
    report = run_rollout(targets, deploy, health, Rollout(health_prod=False), console=quiet())
    assert report.ok and health.calls == ["s1"] and by_hub(report)["p1"].health == ""


def test_prod_health_failing_trips_the_breaker():
    deploy, health = Recorder(), Recorder(bad={"a-p1"})
    targets = [Target(f"{c}-p1", c, "prod") for c in ("a", "b", "c")]
    # one cluster at a time, so the order is a, b, c; after one failed cluster, start no new one
    report = run_rollout(targets, deploy, health, Rollout(max_parallel=1, breaker=1), console=quiet())
    out = by_hub(report)
    assert out["a-p1"].status == "failed" and out["a-p1"].health == "unhealthy"
    assert out["b-p1"].status == "skipped" and out["b-p1"].message == "breaker open"
    assert out["c-p1"].status == "skipped" and deploy.calls == ["a-p1"]


def test_a_hub_the_deploy_left_unchanged_is_not_health_checked_again():
    """Issue 23: redeploying the running demo with unchanged values ran the whole check (8 s); the
    deploy already saw it answer with this config (`invoke health` is there for the whole check)."""
    health = Recorder()

    def deploy(hub: str) -> Result:
        return Result(hub, True, "already running with this config", unchanged=hub == "demo")

    targets = [Target("demo", "local", "staging"), Target("s1", "k1", "staging"), Target("p1", "k1", "prod")]
    report = run_rollout(targets, deploy, health, Rollout(), console=quiet())
    assert report.ok and health.calls == ["s1", "p1"]
    assert by_hub(report)["demo"].status == "ok" and by_hub(report)["demo"].health == ""
