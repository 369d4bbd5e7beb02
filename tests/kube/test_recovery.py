"""Recovery on real control planes with real helm: a release left `pending-upgrade` by SIGKILLing
the real helm while it waits is rolled back and upgraded by the next deploy; `rollout.atomic` with
an upgrade that never becomes ready rolls back for real.

The chart is a folder of the fleet holding one Deployment whose `nodeSelector` comes from values:
a selector no node matches never schedules, so `helm --wait` waits (KWOK marks every scheduled pod
ready, so an unschedulable pod is how an upgrade fails here)."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from helpers.fleetbuild import render_all, write
from helpers.kubefleet import RealHelm, use_clusters
from hubfleet.cli.commands import deploy as deploy_cmd

pytestmark = pytest.mark.slow

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-web}
spec:
  replicas: 1
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      nodeSelector: {{ toJson .Values.nodeSelector }}
      containers: [{name: web, image: example.invalid/web:1}]
"""


def make_fleet(root, kc, rollout: str):
    write(root, "charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
    write(root, "charts/web/values.yaml", "nodeSelector: {}\n")
    write(root, "charts/web/templates/deployment.yaml", DEPLOYMENT)
    write(
        root, "fleet.yaml", f"charts:\n  web: {{path: charts/web}}\ndefault_chart: web\nrollout:\n{rollout}"
    )
    write(
        root,
        "clusters/k1/cluster.yaml",
        f"name: k1\nprovider: kubeconfig\nkubeconfig: {{context: {kc.context}}}\n",
    )
    write(
        root, "hubs/web1/hub.yaml", "name: web1\ncluster: k1\ndomain: web1.example.org\nnamespace: rec-web1\n"
    )
    write(
        root, "hubs/web2/hub.yaml", "name: web2\ncluster: k1\ndomain: web2.example.org\nnamespace: rec-web2\n"
    )
    render_all(root)
    return root


def history(helm: RealHelm, release: str, ns: str) -> list[dict]:
    return json.loads(helm("history", release, "--namespace", ns, "--output", "json").stdout)


def test_a_release_left_pending_by_a_killed_helm_is_recovered(kube_cluster, helm_bin, tmp_path, monkeypatch):
    kc = kube_cluster()  # no nodes: a Deployment never becomes ready, so `helm --wait` waits
    root = make_fleet(tmp_path / "fleet", kc, "  timeout: 60\n")
    use_clusters(monkeypatch, tmp_path, root, [kc])
    assert deploy_cmd.run(hub="web1", no_health=True) == 0  # no --wait: deployed
    helm = RealHelm(helm_bin, kc, tmp_path / "helm-home")
    env = {
        **kc.env,
        **{f"HELM_{k}_HOME": str(tmp_path / "helm-home" / k.lower()) for k in ("CACHE", "CONFIG", "DATA")},
    }
    argv = [str(helm_bin), "upgrade", "web1", str(root / "charts/web"), "--namespace", "rec-web1",
            "--wait", "--timeout", "300s", "--set", "nodeSelector.x=y", "--kube-context", kc.context]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while history(helm, "web1", "rec-web1")[-1]["status"] != "pending-upgrade":
            assert time.monotonic() < deadline and proc.poll() is None, "helm never reached pending-upgrade"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)  # helm dies mid-wait: the release stays pending-upgrade
        proc.wait(timeout=30)
    assert history(helm, "web1", "rec-web1")[-1]["status"] == "pending-upgrade"
    summary = tmp_path / "summary.md"
    assert deploy_cmd.run(hub="web1", no_health=True, summary=str(summary)) == 0
    states = [r["status"] for r in history(helm, "web1", "rec-web1")]
    # revision 2 (the killed upgrade) keeps its record; 3 rolled back to 1; 4 is the upgrade
    assert states == ["superseded", "pending-upgrade", "superseded", "deployed"]
    assert "stuck in pending-upgrade (revision 2): rolled back to revision 1" in summary.read_text()


def test_atomic_rolls_an_upgrade_that_never_becomes_ready_back(kube_cluster, helm_bin, tmp_path, monkeypatch):
    kc = kube_cluster(nodes=1)  # KWOK: the first release's pod is scheduled and ready
    root = make_fleet(tmp_path / "fleet", kc, "  timeout: 20\n  atomic: true\n")
    use_clusters(monkeypatch, tmp_path, root, [kc])
    assert deploy_cmd.run(hub="web2", no_health=True) == 0
    (root / "hubs/web2/values.yaml").write_text("nodeSelector: {disk: none-has-this}\n")
    render_all(root)
    summary = tmp_path / "summary.md"
    assert deploy_cmd.run(hub="web2", no_health=True, summary=str(summary)) == 1
    helm = RealHelm(helm_bin, kc, tmp_path / "helm-home")
    revs = history(helm, "web2", "rec-web2")
    assert [r["status"] for r in revs][-2:] == ["failed", "deployed"]  # Helm's rollback: a new revision
    assert "Rollback to 1" in revs[-1]["description"], revs[-1]
    said = summary.read_text()
    assert "rolled back due to atomic" in said and "release left at revision 3 deployed" in said, said
    spec = json.loads(kc.kubectl("get", "deployment", "web2-web", "-n", "rec-web2", "-o", "json"))["spec"]
    assert not spec["template"]["spec"].get("nodeSelector")
