"""The rollout engine with stand-in deploy/health callables (no helm, no cluster)."""

from __future__ import annotations

import io
import threading
import time

import pytest
from rich.console import Console

from hubfleet.core import rollout
from hubfleet.core.model import Canary, Rollout
from hubfleet.core.rollout import Result, Target, run_rollout


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


class StandIn:
    """A stand-in for the Helm deploy adapter: records calls, fails/hangs/sleeps on demand."""

    def __init__(self, fail=(), hang=(), raise_on=(), delay=0.0):
        self.fail, self.hang, self.raise_on, self.delay = set(fail), set(hang), set(raise_on), delay
        self.calls: list[str] = []
        self.times: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.release_hang = threading.Event()

    def __call__(self, hub: str) -> Result:
        start = time.monotonic()
        with self.lock:
            self.calls.append(hub)
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if hub in self.hang:
                self.release_hang.wait(30)
            if hub in self.raise_on:
                raise RuntimeError(f"boom on {hub}\nsecond line")
            time.sleep(self.delay)
            return Result(hub, hub not in self.fail, "stand-in failure" if hub in self.fail else "")
        finally:
            with self.lock:
                self.active -= 1
                self.times[hub] = (start, time.monotonic())


def fleet(clusters=("a", "b", "c"), prod=2) -> list[Target]:
    out = []
    for c in clusters:
        out.append(Target(f"{c}-staging", c, "staging"))
        out += [Target(f"{c}-p{i}", c, "prod") for i in range(prod)]
    return out


def status(report) -> dict[str, str]:
    return {o.hub: o.status + (f": {o.message}" if o.status == "skipped" else "") for o in report.outcomes}


def test_all_ok_and_staging_before_prod_per_cluster():
    deploy, health = StandIn(delay=0.01), StandIn()
    report = run_rollout(fleet(), deploy, health, Rollout(), console=quiet())
    assert report.ok
    # every hub is health-checked (rollout.health.prod is on by default), staging first
    assert sorted(health.calls) == sorted(t.hub for t in fleet())
    assert all(health.calls.index(f"{c}-staging") < health.calls.index(f"{c}-p0") for c in "abc")
    for c in "abc":
        staged_end = deploy.times[f"{c}-staging"][1]
        assert all(deploy.times[f"{c}-p{i}"][0] >= staged_end for i in range(2))


def test_staging_failure_on_one_cluster_leaves_others_fully_deployed():
    deploy = StandIn(fail={"b-staging"})
    report = run_rollout(fleet(), deploy, StandIn(), Rollout(), console=quiet())
    s = status(report)
    assert not report.ok
    assert s["b-staging"] == "failed"
    assert s["b-p0"] == s["b-p1"] == "skipped: staging failed on b"
    assert all(s[h] == "ok" for h in s if not h.startswith("b-"))
    assert "b-p0" not in deploy.calls


def test_unhealthy_staging_skips_prod_of_that_cluster_only():
    report = run_rollout(fleet(), StandIn(), StandIn(fail={"a-staging"}), Rollout(), console=quiet())
    s = status(report)
    assert s["a-staging"] == "failed"
    assert s["a-p0"] == "skipped: staging failed on a"
    assert s["b-p0"] == "ok"


def test_no_health_skips_health_checks():
    report = run_rollout(fleet(), StandIn(), None, Rollout(), console=quiet())
    assert report.ok


def test_raising_callable_is_a_failed_result_with_one_line():
    report = run_rollout(fleet(("a",)), StandIn(raise_on={"a-p1"}), StandIn(), Rollout(), console=quiet())
    (bad,) = report.by_status("failed")
    assert (bad.hub, bad.message) == ("a-p1", "boom on a-p1")
    assert not report.ok


def test_breaker_trips_and_starts_no_new_cluster():
    targets = fleet(("a", "b", "c", "d"), prod=1)
    deploy = StandIn(fail={"a-staging", "b-staging"})
    # max_parallel=1: clusters start one after another, so the breaker decides who starts.
    report = run_rollout(targets, deploy, None, Rollout(max_parallel=1, breaker=2), console=quiet())
    s = status(report)
    assert s["a-staging"] == s["b-staging"] == "failed"
    assert s["c-staging"] == s["c-p0"] == s["d-p0"] == "skipped: breaker open"
    assert not any(h.startswith(("c-", "d-")) for h in deploy.calls)


def test_breaker_off_by_default():
    targets = fleet(("a", "b", "c"), prod=1)
    report = run_rollout(targets, StandIn(fail={"a-staging", "b-staging"}), None, Rollout(max_parallel=1))
    assert status(report)["c-p0"] == "ok"


def test_hang_is_reported_at_the_timeout(monkeypatch):
    monkeypatch.setattr(rollout, "GRACE", 0.2)
    deploy = StandIn(hang={"a-p0"})
    settings = Rollout(timeout=0)  # engine waits timeout + GRACE = 0.2 s
    t0 = time.monotonic()
    report = run_rollout(fleet(("a", "b")), deploy, None, settings, console=quiet())
    elapsed = time.monotonic() - t0
    deploy.release_hang.set()
    (bad,) = report.by_status("failed")
    assert bad.hub == "a-p0" and bad.message.startswith("timed out")
    assert status(report)["b-p0"] == "ok"
    assert elapsed < 5


def test_canary_wave_failure_skips_the_rest():
    settings = Rollout(canary=Canary(clusters=("b",)))
    deploy = StandIn(fail={"b-p0"})
    report = run_rollout(fleet(), deploy, None, settings, canary_first=True, console=quiet())
    s = status(report)
    assert s["b-p0"] == "failed"
    assert s["a-staging"] == s["c-p1"] == "skipped: canary failed"
    assert set(deploy.calls) == {"b-staging", "b-p0", "b-p1"}


def test_canary_wave_goes_first_then_the_rest():
    settings = Rollout(canary=Canary(clusters=("c",)))
    deploy = StandIn(delay=0.02)
    report = run_rollout(fleet(), deploy, None, settings, canary_first=True, console=quiet())
    assert report.ok
    canary_end = max(deploy.times[h][1] for h in ("c-staging", "c-p0", "c-p1"))
    assert min(deploy.times[h][0] for h in deploy.times if not h.startswith("c-")) >= canary_end


def test_canary_ignored_unless_asked_or_targeted():
    settings = Rollout(canary=Canary(clusters=("zzz",)))
    assert rollout.waves(fleet(), settings, True) == [["a", "b", "c"]]
    assert rollout.waves(fleet(), Rollout(canary=Canary(("a",))), False) == [["a", "b", "c"]]


def test_cluster_names_are_exact_never_prefixes():
    targets = [
        Target("u-staging", "uni", "staging"),
        Target("u-prod", "uni", "prod"),
        Target("w-staging", "uni-west", "staging"),
        Target("w-prod", "uni-west", "prod"),
    ]
    s = status(run_rollout(targets, StandIn(fail={"u-staging"}), None, Rollout(), console=quiet()))
    assert s == {
        "u-staging": "failed",
        "u-prod": "skipped: staging failed on uni",
        "w-staging": "ok",
        "w-prod": "ok",
    }
    assert rollout.waves(targets, Rollout(canary=Canary(("uni",))), True) == [["uni"], ["uni-west"]]


def test_parallel_bounds_hold():
    targets = [Target(f"c{c}-p{i}", f"c{c}", "prod") for c in range(4) for i in range(6)]
    deploy = StandIn(delay=0.03)
    run_rollout(targets, deploy, None, Rollout(max_parallel_per_cluster=2, max_parallel=5), console=quiet())
    assert deploy.peak <= 5
    one = StandIn(delay=0.03)
    run_rollout(targets[:6], one, None, Rollout(max_parallel_per_cluster=2), console=quiet())
    assert one.peak == 2


def test_prod_of_a_cluster_starts_without_waiting_for_other_clusters():
    targets = [Target("slow-s", "slow", "staging"), Target("fast-s", "fast", "staging")]
    targets.append(Target("fast-p", "fast", "prod"))

    def deploy(hub: str) -> Result:
        time.sleep(0.3 if hub == "slow-s" else 0.01)
        return Result(hub, True)

    started: dict[str, float] = {}

    def timed(hub: str) -> Result:
        started[hub] = time.monotonic()
        return deploy(hub)

    t0 = time.monotonic()
    run_rollout(targets, timed, None, Rollout(), console=quiet())
    assert started["fast-p"] - t0 < 0.2


def test_final_table_names_every_hub_and_reason():
    out = io.StringIO()
    run_rollout(
        fleet(("a",)), StandIn(fail={"a-staging"}), None, Rollout(), console=Console(file=out, width=200)
    )
    text = out.getvalue()
    for word in ("a-staging", "a-p0", "failed: stand-in failure", "skipped: staging failed on a"):
        assert word in text


def test_duplicate_hub_is_refused():
    with pytest.raises(ValueError):
        run_rollout([Target("x", "a", "prod")] * 2, StandIn(), None, Rollout(), console=quiet())


def test_empty_rollout_is_ok():
    assert run_rollout([], StandIn(), None, Rollout(), console=quiet()).ok
