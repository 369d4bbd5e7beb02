"""The stateful stand-in for helm keeps release state like Helm 3.18 (it is not Helm)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from hubfleet.testing.standins.helm import HelmStandin


@pytest.fixture
def standin(tmp_path):
    s = HelmStandin(tmp_path / "state")
    exe = s.install(tmp_path / "bin")
    values = tmp_path / "v.yaml"
    values.write_text("a: 1\n")
    env = {k: v for k, v in os.environ.items() if k not in ("STANDIN_REAL", "KUBECONFIG")}

    def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def upgrade(*extra: str, check: bool = True, release: str = "hub1"):
        return helm(
            "upgrade",
            "--install",
            release,
            "repo/chart",
            "--version",
            "1.0.0",
            "--namespace",
            "ns",
            "--values",
            str(values),
            "--kube-context",
            "k1",
            *extra,
            check=check,
        )

    s.helm, s.upgrade, s.env, s.exe, s.values = helm, upgrade, env, exe, values
    return s


def test_upgrades_make_revisions_and_json_like_helm(standin):
    standin.upgrade()
    standin.upgrade()
    assert standin.statuses("k1", "ns", "hub1") == ["superseded", "deployed"]
    hist = json.loads(
        standin.helm("history", "hub1", "-n", "ns", "-o", "json", "--kube-context", "k1").stdout
    )
    assert [set(h) for h in hist] == [
        {"revision", "updated", "status", "chart", "app_version", "description"}
    ] * 2
    status = json.loads(
        standin.helm("status", "hub1", "-n", "ns", "-o", "json", "--kube-context", "k1").stdout
    )
    assert status["info"]["status"] == "deployed" and status["version"] == 2
    assert json.loads(
        standin.helm("get", "values", "hub1", "-n", "ns", "-o", "json", "--kube-context", "k1").stdout
    ) == {"a": 1}
    assert (
        "kind: ConfigMap"
        in standin.helm("get", "manifest", "hub1", "-n", "ns", "--kube-context", "k1").stdout
    )
    listed = json.loads(standin.helm("list", "-A", "-o", "json", "--kube-context", "k1").stdout)
    assert [(r["name"], r["namespace"], r["status"]) for r in listed] == [("hub1", "ns", "deployed")]
    other = standin.helm("status", "hub1", "-n", "ns", "--kube-context", "k2", check=False)
    assert other.returncode == 1 and "release: not found" in other.stderr  # state is per cluster


def test_pending_blocks_upgrades_until_rolled_back(standin):
    standin.seed("k1", "ns", "hub1", ["superseded", "deployed", "pending-upgrade"])
    done = standin.upgrade(check=False)
    assert (
        done.returncode == 1 and "another operation (install/upgrade/rollback) is in progress" in done.stderr
    )
    standin.helm("rollback", "hub1", "2", "-n", "ns", "--kube-context", "k1")
    assert standin.statuses("k1", "ns", "hub1") == ["superseded", "superseded", "superseded", "deployed"]
    standin.upgrade()


def test_failure_injection_and_atomic_rollback(standin):
    standin.upgrade()
    standin.inject("hub1", "fail")
    assert standin.upgrade(check=False).returncode == 1
    assert standin.statuses("k1", "ns", "hub1") == ["deployed", "failed"]
    standin.inject("hub1", "fail")
    done = standin.upgrade("--atomic", check=False)
    assert done.returncode == 1 and "rolled back due to atomic" in done.stderr
    assert standin.statuses("k1", "ns", "hub1") == ["superseded", "failed", "failed", "deployed"]
    assert standin.history("k1", "ns", "hub1")[-1]["description"] == "Rollback to 1"


def _start_hanging(standin):
    proc = subprocess.Popen(
        [
            str(standin.exe),
            "upgrade",
            "--install",
            "hub1",
            "repo/chart",
            "-n",
            "ns",
            "--kube-context",
            "k1",
            "--values",
            str(standin.values),
        ],
        env=standin.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(100):
        if standin.releases("k1") and standin.statuses("k1", "ns", "hub1")[-1].startswith("pending"):
            return proc
        time.sleep(0.05)
    raise AssertionError("the stand-in never went pending")


def test_hang_then_sigterm_marks_failed_like_helm(standin):
    standin.upgrade()
    standin.inject("hub1", "hang")
    proc = _start_hanging(standin)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 1 and "context canceled" in proc.stderr.read()
    assert standin.statuses("k1", "ns", "hub1") == ["deployed", "failed"]


def test_hang_hard_ignores_sigterm_and_sigkill_leaves_pending(standin):
    standin.upgrade()
    standin.inject("hub1", "hang-hard")
    proc = _start_hanging(standin)
    proc.send_signal(signal.SIGTERM)
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(0.5)
    proc.kill()
    proc.wait(10)
    assert standin.statuses("k1", "ns", "hub1") == ["deployed", "pending-upgrade"]


def test_uninstall_and_calls_are_recorded(standin):
    standin.upgrade()
    standin.helm("uninstall", "hub1", "-n", "ns", "--kube-context", "k1")
    assert standin.releases() == []
    assert [c["argv"][0] for c in standin.calls()] == ["upgrade", "uninstall"]
    assert standin.calls("upgrade")[0]["values"] == {str(standin.values): "a: 1\n"}
