"""Rollouts that recover, against the stateful helm STAND-IN (release state kept in a folder).

What a real cluster cannot do on demand: a stuck release refused by policy; a helm that hangs past
its timeout (SIGTERM, SIGKILL) and the next run that recovers it; the canary check when only prod is
planned; prod health failing the run; Ctrl-C mid-rollout. A stuck release recovered and Helm's own
atomic rollback run on real control planes: tests/kube/test_recovery.py.
"""

from __future__ import annotations

import _thread
import json
import threading
import time

import pytest

from helpers.fleetbuild import SECRET
from hubfleet.adapters import runner
from hubfleet.app import deploy as app_deploy
from hubfleet.app.deploy import deploy_hub
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.core.rollout import Result

pytestmark = pytest.mark.slow


class HealthStandin:
    """A recording stand-in for the health check (no hub runs): `bad` hubs are unhealthy."""

    def __init__(self, bad=()):
        self.bad, self.calls, self.lock = set(bad), [], threading.Lock()

    def __call__(self, hub: str) -> Result:
        with self.lock:
            self.calls.append(hub)
        return Result(
            hub, hub not in self.bad, "step kernel: stand-in says unhealthy" if hub in self.bad else ""
        )


def verbs(sf, *wanted: str) -> list[str]:
    return [c["argv"][0] for c in sf.helm.calls() if c["argv"][0] in wanted]


def test_stuck_release_with_policy_fail_is_left_alone_and_says_how(standin_fleet):
    sf = standin_fleet
    sf.set_rollout("  stuck: fail\n")
    sf.helm.seed("ctx-k1", "b-ns", "beta", ["deployed", "pending-upgrade"])
    r = deploy_hub(sf.root, sf.fleet(), "beta")
    assert not r.ok and "`helm rollback beta 1 --namespace b-ns`" in r.message
    assert sf.statuses("beta") == ["deployed", "pending-upgrade"] and verbs(sf, "rollback", "upgrade") == []


def test_timeout_sigterm_grace_kill_leaves_pending_and_the_next_run_recovers(standin_fleet, monkeypatch):
    sf = standin_fleet
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    monkeypatch.setattr(app_deploy, "GRACE", 0)
    monkeypatch.setattr(app_deploy, "TERM_GRACE", 0.5)
    sf.change("beta")
    sf.helm.inject("beta", "hang-hard")  # a helm that ignores SIGTERM: only SIGKILL ends it
    start = time.monotonic()
    r = deploy_hub(sf.root, sf.fleet(timeout=2), "beta")
    assert not r.ok and time.monotonic() - start < 15
    assert "timed out after 2s" in r.message and "SIGTERM" in r.message and "killed" in r.message
    assert "release left at revision 2 pending-upgrade" in r.message
    assert sf.statuses("beta") == ["deployed", "pending-upgrade"]
    again = deploy_hub(sf.root, sf.fleet(), "beta")  # the next run
    assert again.ok and "rolled back to revision 1" in again.message
    assert sf.statuses("beta")[-1] == "deployed" and "pending-upgrade" not in sf.statuses("beta")


def test_timeout_helm_stops_on_sigterm_and_marks_the_release_failed(standin_fleet, monkeypatch):
    sf = standin_fleet
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    monkeypatch.setattr(app_deploy, "GRACE", 0)
    monkeypatch.setattr(app_deploy, "TERM_GRACE", 5)
    sf.change("beta")
    sf.helm.inject("beta", "hang")  # like Helm: SIGTERM cancels the upgrade, marked failed
    r = deploy_hub(sf.root, sf.fleet(timeout=2), "beta")
    assert not r.ok and "stopped by SIGTERM" in r.message and "release left at revision 2 failed" in r.message
    assert sf.statuses("beta") == ["deployed", "failed"]


def test_canary_check_when_only_prod_is_planned(standin_fleet, monkeypatch, tmp_path):
    sf = standin_fleet
    health = HealthStandin()
    monkeypatch.setattr(deploy_cmd, "_health", lambda root, fleet: health)
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "base": "a" * 40,
                "head": "b" * 40,
                "removed": [],
                "hubs": [
                    {
                        "name": "beta",
                        "cluster": "k1",
                        "stage": "prod",
                        "reasons": ["hubs/beta/secrets.yaml changed"],
                    }
                ],
            }
        )
    )
    assert deploy_cmd.run(plan=str(plan)) == 0
    assert [c["argv"][3] for c in sf.helm.calls("upgrade")] == ["beta"]  # alpha is not redeployed...
    assert health.calls == ["alpha", "beta"]  # ...but checked before prod; prod checked after


def test_unhealthy_prod_hub_fails_the_run(standin_fleet, monkeypatch, capsys):
    health = HealthStandin(bad={"gamma"})
    monkeypatch.setattr(deploy_cmd, "_health", lambda root, fleet: health)
    assert deploy_cmd.run(cluster="k1") == 1
    out = capsys.readouterr().out
    assert "unhealthy" in out and "gamma" in out and health.calls.count("gamma") == 1


def test_ctrl_c_mid_rollout_leaves_no_pending_release_and_no_clear_secret(standin_fleet, monkeypatch):
    sf = standin_fleet
    sf.add_secrets("beta")
    monkeypatch.setattr(app_deploy, "TERM_GRACE", 0.5)
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    sf.change("beta")
    sf.helm.inject("beta", "hang-hard")

    # Ctrl-C once beta's upgrade is pending (its helm hangs until killed), however long a loaded
    # machine takes to get there, and never after the run returned (it would hit the next line).
    pending, finished, lock = threading.Event(), threading.Event(), threading.Lock()

    def press_ctrl_c() -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not finished.is_set():
            try:
                hit = sf.statuses("beta")[-1] == "pending-upgrade"
            except (OSError, ValueError, IndexError):  # the stand-in is writing its record
                hit = False
            if hit:
                with lock:
                    if not finished.is_set():
                        pending.set()
                        _thread.interrupt_main()
                return
            time.sleep(0.05)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                deploy_cmd.run(cluster="k1", no_health=True)
            finally:
                with lock:
                    finished.set()
    finally:
        runner.interrupted.clear()  # the next test's commands run
    assert pending.is_set()
    for cluster, ns, release in sf.helm.releases():
        assert not sf.helm.statuses(cluster, ns, release)[-1].startswith("pending"), release
    assert sf.history("beta")[-1]["description"] == "Rollback to 1"
    assert sf.leftovers() == [] and SECRET not in json.dumps(sf.helm.history("ctx-k1", "b-ns", "beta"))
