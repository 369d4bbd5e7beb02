"""Test clusters: real control planes from the upstream-built binary, started and stopped as
`invoke testcluster` and the `kube_cluster` fixture do, leaving no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hubfleet.local.testcluster import running

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    return running(pid)


def _wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def test_the_server_is_the_pinned_kubernetes_and_answers_kubectl(kube_cluster) -> None:
    out = json.loads(kube_cluster().kubectl("version", "-o", "json"))
    assert out["serverVersion"]["gitVersion"] == "v1.36.3"
    namespaces = kube_cluster().kubectl("get", "namespaces", "-o", "name").split()
    assert "namespace/kube-system" in namespaces


def test_the_api_server_validates_for_real(kube_cluster) -> None:
    """What no offline schema decides: a quantity the API server refuses."""
    bad = textwrap.dedent(
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: ok-map, namespace: default}
        data: {a: b}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: bad-pod, namespace: default}
        spec:
          containers:
          - name: c
            image: x
            resources: {limits: {memory: 2Gx}}
        """
    )
    cluster = kube_cluster()
    out = subprocess.run(
        [*_kubectl(cluster), "apply", "--dry-run=server", "-f", "-"],
        input=bad,
        capture_output=True,
        text=True,
        timeout=60,
        env=cluster.env,
    )
    assert out.returncode != 0
    assert "quantities must match the regular expression" in out.stderr
    assert "configmap/ok-map created (server dry run)" in out.stdout


def test_nodes_make_deployments_ready(kube_cluster) -> None:
    cluster = kube_cluster(nodes=1)
    assert "kwok-node-0" in cluster.kubectl("get", "nodes", "-o", "name")
    cluster.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2")
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    pods = json.loads(cluster.kubectl("get", "pods", "-l", "app=web", "-o", "json"))["items"]
    assert len(pods) == 2
    assert all(p["status"]["phase"] == "Running" for p in pods)


def _kubectl(cluster) -> list[str]:
    from hubfleet.adapters import tools

    return [tools.kubectl(REPO), "--context", cluster.context]


def _hubfleet(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "hubfleet"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli_env(example_fleet, kube_cluster) -> dict[str, str]:
    """The CLI's environment: the session's binary (found by the fixture) and its own state."""
    from hubfleet.adapters import kubebin

    return {**os.environ, "HUBFLEET_KUBE": str(kubebin.find(REPO))}


def test_testcluster_up_list_down_with_two_clusters_at_once(example_fleet, cli_env) -> None:
    up_a = _hubfleet(["testcluster", "up", "alpha"], example_fleet, cli_env)
    assert up_a.returncode == 0, up_a.stderr
    up_b = _hubfleet(["testcluster", "up", "beta", "--nodes", "1"], example_fleet, cli_env)
    assert up_b.returncode == 0, up_b.stderr
    try:
        kubeconfig = Path(up_a.stdout.strip().splitlines()[-1])
        assert kubeconfig.name == "kubeconfig" and kubeconfig.parent.name == "alpha"
        again = _hubfleet(["testcluster", "up", "alpha"], example_fleet, cli_env)
        assert "already running" in again.stdout and again.stdout.strip().splitlines()[-1] == str(kubeconfig)
        listed = _hubfleet(["testcluster", "list"], example_fleet, cli_env).stdout
        rows = {line.split()[0]: line.split() for line in listed.splitlines()}
        assert rows["alpha"][1:3] == ["running", "0"] and rows["beta"][1:3] == ["running", "1"]
        assert rows["alpha"][-1] == str(kubeconfig)
        state = json.loads((kubeconfig.parent / "cluster.json").read_text())
        pids = [p["pid"] for p in state["processes"].values()]
        assert all(_alive(p) for p in pids)  # detached: they outlived the `up` command
        from hubfleet.adapters import tools

        ns = subprocess.run(
            [
                tools.kubectl(REPO),
                "--kubeconfig",
                str(kubeconfig),
                "--context",
                "alpha",
                "get",
                "ns",
                "default",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ns.returncode == 0, ns.stderr
    finally:
        down_a = _hubfleet(["testcluster", "down", "alpha"], example_fleet, cli_env)
        down_b = _hubfleet(["testcluster", "down", "beta"], example_fleet, cli_env)
    assert down_a.returncode == 0 and "alpha: stopped" in down_a.stdout
    assert down_b.returncode == 0
    assert _wait_gone(pids) == []
    assert not kubeconfig.parent.exists()
    assert "was not running" in _hubfleet(["testcluster", "down", "alpha"], example_fleet, cli_env).stdout


def test_bad_names_are_one_line(example_fleet, cli_env) -> None:
    out = _hubfleet(["testcluster", "up", "../etc"], example_fleet, cli_env)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "use lowercase letters" in out.stderr


def test_a_killed_parent_leaves_no_process(tmp_path, kube_cluster) -> None:
    """A cluster started for a test session dies with the session, even one killed with SIGKILL."""
    from hubfleet.adapters import kubebin

    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from hubfleet.local.testcluster import ControlPlane
        plane = ControlPlane("orphan", Path({str(tmp_path / "c")!r}), Path({str(kubebin.find(REPO))!r}),
                             die_with_parent=True).start()
        print(" ".join(str(p.pid) for p in plane.procs.values()), flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert _wait_gone(pids) == []


def _processes_naming(folder: Path) -> list[int]:
    import psutil

    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any(str(folder) in part for part in p.info["cmdline"] or []):
            found.append(p.pid)
    return found


def test_ctrl_c_during_up_leaves_no_process_and_no_folder(example_fleet, cli_env) -> None:
    """Interrupted while the API server starts: what started is stopped, the folder removed."""
    state = Path(os.environ["HUBFLEET_STATE"])
    folder = state / "testclusters" / "interrupted"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "hubfleet"), "testcluster", "up", "interrupted"],
        cwd=example_fleet,
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    apiserver_log = folder / "logs" / "kube-apiserver.log"
    deadline = time.monotonic() + 60
    while not apiserver_log.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert apiserver_log.exists(), "the API server never started"
    started = _processes_naming(folder)
    assert started, "etcd and the API server run before the interrupt"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert _wait_gone(started) == []
    assert _processes_naming(folder) == []
    assert not folder.exists()
