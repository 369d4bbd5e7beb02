"""`invoke diff` against a real control plane reports drift made by hand on the cluster's objects
(`kubectl patch`, as `kubectl edit` would leave it), which Helm's records never see, and is clean
again after `deploy --force` (Helm 3's three-way merge restores the fields the chart sets; the
values are unchanged, so a plain deploy upgrades nothing)."""

from __future__ import annotations

import json

import pytest

from helpers.fleetbuild import SECRET, render_all, write
from helpers.kubefleet import use_clusters
from helpers.realtools import sops_encrypt
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.cli.commands import diff as diff_cmd

pytestmark = pytest.mark.slow

TEMPLATES = {
    "configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-config}\n"
    "data: {greeting: {{ .Values.greeting | quote }}, motd: {{ .Values.motd | quote }}}\n",
    "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: {{ .Release.Name }}-token}\n"
    "stringData: {token: chart-made}\n",
    "deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-web}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      containers: [{name: web, image: example.invalid/web:1}]
""",
}
HAND_SECRET = "hand-set-token-7f3a"


def make_fleet(root, kc, sops, recipient):
    write(root, "charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
    write(root, "charts/web/values.yaml", "greeting: hello\nmotd: ''\nreplicas: 1\n")
    for name, text in TEMPLATES.items():
        write(root, f"charts/web/templates/{name}", text)
    write(
        root,
        "fleet.yaml",
        "charts:\n  web: {path: charts/web}\ndefault_chart: web\nrollout:\n  timeout: 60\n",
    )
    write(
        root,
        "clusters/k1/cluster.yaml",
        f"name: k1\nprovider: kubeconfig\nkubeconfig: {{context: {kc.context}}}\n",
    )
    write(
        root,
        "hubs/live1/hub.yaml",
        "name: live1\ncluster: k1\ndomain: live1.example.org\nnamespace: dl-live1\n",
    )
    # the hub's secret reaches a ConfigMap: the live diff must mask it like the rest of diff's output
    sops_encrypt(sops, recipient, f"motd: {SECRET}\n", root / "hubs/live1/secrets.yaml")
    render_all(root)
    return root


def test_diff_reports_objects_patched_by_hand_and_is_clean_after_a_redeploy(
    kube_cluster, sops_bin, age_key, tmp_path, monkeypatch, capsys
):
    kc = kube_cluster()  # no nodes: helm installs without --wait, the Deployment need not be ready
    root = make_fleet(tmp_path / "fleet", kc, sops_bin, age_key[1])
    use_clusters(monkeypatch, tmp_path, root, [kc])
    monkeypatch.setenv("HUBFLEET_SOPS", str(sops_bin))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key[0]))
    assert deploy_cmd.run(hub="live1", no_health=True) == 0
    capsys.readouterr()
    assert diff_cmd.run(hub="live1") == 0, capsys.readouterr().out
    assert "live1: revision 1 (deployed) matches the repository" in capsys.readouterr().out

    ns = ["--namespace", "dl-live1"]
    kc.kubectl(
        "patch",
        "configmap",
        "live1-config",
        *ns,
        "--type=merge",
        "-p",
        '{"data":{"greeting":"by hand","motd":"by hand too"}}',
    )
    kc.kubectl("patch", "deployment", "live1-web", *ns, "--type=merge", "-p", '{"spec":{"replicas":3}}')
    patch = {"stringData": {"token": HAND_SECRET}}
    kc.kubectl("patch", "secret", "live1-token", *ns, "--type=merge", "-p", json.dumps(patch))
    assert diff_cmd.run(hub="live1") == 2
    out = capsys.readouterr().out
    assert "live1: revision 1 (deployed) differs from the repository" in out, out
    assert "objects on the cluster differ from the release's manifest" in out
    assert "-  greeting: by hand" in out and "+  greeting: hello" in out, out
    assert "-  replicas: 3" in out and "+  replicas: 1" in out, out
    assert "--- live/v1.ConfigMap.dl-live1.live1-config" in out and "/tmp/" not in out, out
    assert "-  motd: by hand too" in out, out
    assert HAND_SECRET not in out and "chart-made" not in out and SECRET not in out, out

    # the values are unchanged, so only --force upgrades (objects edited by hand are not compared)
    assert deploy_cmd.run(hub="live1", no_health=True, force=True) == 0
    capsys.readouterr()
    assert diff_cmd.run(hub="live1") == 0, capsys.readouterr().out
    got = json.loads(kc.kubectl("get", "deployment", "live1-web", *ns, "-o", "json"))
    assert got["spec"]["replicas"] == 1
