"""A rollout over three real control planes with real helm and kubectl, then what `invoke diff` and
`status --live` say about it.

Three clusters without nodes (Helm without `--wait`), shared by the module: one rollout, where
cluster k3's staging hub carries values the API server refuses (a ConfigMap data key with a space
and '!': no offline schema of the chart forbids it); the tests read what that rollout left.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.kubefleet import RealHelm, make_kube_fleet, plan_file, use_clusters
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.cli.commands import diff as diff_cmd
from hubfleet.cli.commands import status as status_cmd

pytestmark = pytest.mark.slow

CLUSTERS = {"k1": None, "k2": "ro-b", "k3": "ro-c"}  # fleet name -> kube_cluster name (None: the default)
HUBS = {
    f"{c}-{s}": (c, "staging" if s == "stg" else "prod", f"ro-{c}-{s}")
    for c in CLUSTERS
    for s in ("stg", "p1", "p2")
}


@dataclass(frozen=True)
class Rolled:
    root: Path
    code: int  # the rollout's exit code
    summary: str
    helm: dict[str, RealHelm]  # fleet cluster name -> helm on it
    clusters: dict[str, object]


@pytest.fixture(scope="module")
def rolled(kube_cluster, chart_repo, helm_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rollout")
    kcs = {name: kube_cluster(name=kname) if kname else kube_cluster() for name, kname in CLUSTERS.items()}
    root = make_kube_fleet(tmp / "fleet", chart_repo.url, kcs, HUBS)
    # a ConfigMap data key the API server refuses ("must consist of alphanumeric characters, '-', '_' or '.'")
    (root / "hubs" / "k3-stg" / "values.yaml").write_text("config:\n  'not a key!': x\n")
    from helpers.fleetbuild import render_all

    render_all(root)
    with pytest.MonkeyPatch.context() as mp:
        use_clusters(mp, tmp, root, list(kcs.values()))
        summary = tmp / "summary.md"
        planned = [
            {"name": h, "cluster": c, "stage": st, "reasons": ["new hub"]} for h, (c, st, _) in HUBS.items()
        ]
        code = deploy_cmd.run(plan=plan_file(tmp, [], planned), no_health=True, summary=str(summary))
        helms = {name: RealHelm(helm_bin, kc, tmp / f"helm-{name}") for name, kc in kcs.items()}
        yield Rolled(root, code, summary.read_text(), helms, kcs)


@pytest.fixture
def in_fleet(rolled, tmp_path, monkeypatch):
    use_clusters(monkeypatch, tmp_path, rolled.root, list(rolled.clusters.values()))
    return rolled


def test_a_staging_hub_the_api_server_refuses_stops_only_its_clusters_prod_hubs(rolled):
    assert rolled.code == 1
    assert rolled.helm["k3"].releases() & {(HUBS[h][2], h) for h in HUBS} == {("ro-k3-stg", "k3-stg")}
    assert rolled.helm["k3"].status("k3-stg", "ro-k3-stg") == "failed"
    for c in ("k1", "k2"):
        mine = {(ns, h) for h, (cl, _, ns) in HUBS.items() if cl == c}
        assert mine <= rolled.helm[c].releases()
        assert {rolled.helm[c].status(h, ns) for ns, h in mine} == {"deployed"}
    assert "k3-stg" in rolled.summary and "a valid config key must consist of" in rolled.summary, (
        rolled.summary
    )
    assert "k3-p1" in rolled.summary and "skipped: staging failed on k3" in rolled.summary
    objects = rolled.clusters["k1"].kubectl(
        "get", "configmap", "k1-p1-config", "-n", "ro-k1-p1", "-o", "json"
    )
    assert json.loads(objects)["data"]["greeting"] == "hello k1-p1"


def test_diff_is_clean_after_the_deploy_and_reports_a_manual_helm_upgrade(in_fleet, capsys):
    assert diff_cmd.run(hub="k2-p1") == 0
    assert "k2-p1: revision 1 (deployed) matches the repository" in capsys.readouterr().out
    helm = in_fleet.helm["k2"]
    helm("repo", "add", "tiny", _repo_url(in_fleet.root), "--force-update")
    helm(
        "upgrade",
        "k2-p1",
        "tiny/tinyhub",
        "--version",
        "0.1.0",
        "--namespace",
        "ro-k2-p1",
        "--reuse-values",
        "--set",
        "greeting=by hand",
    )
    assert diff_cmd.run(hub="k2-p1") == 2
    out = capsys.readouterr().out
    assert "k2-p1: revision 2 (deployed) differs from the repository" in out
    assert "-greeting: by hand" in out and "+greeting: hello k2-p1" in out
    assert deploy_cmd.run(hub="k2-p1", no_health=True) == 0
    capsys.readouterr()
    assert diff_cmd.run(hub="k2-p1") == 0
    assert "k2-p1: revision 3 (deployed) matches the repository" in capsys.readouterr().out


def test_diff_says_a_hub_never_installed_is_not_installed(in_fleet, capsys):
    assert diff_cmd.run(cluster="k3") == 2
    out = capsys.readouterr().out
    assert "k3-p1: not installed on cluster k3" in out


def test_status_live_shows_the_real_release_states(in_fleet, capsys):
    assert boundary(status_cmd.run, live=True, as_json=True, cluster="k3") == 1
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["k3-stg"]["live"]["status"] == "failed" and rows["k3-stg"]["drift"] == ["status failed"]
    assert rows["k3-p1"]["drift"] == ["not deployed"]
    assert boundary(status_cmd.run, live=True, as_json=True, cluster="k1") == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["k1-p2"]["live"]["status"] == "deployed" and rows["k1-p2"]["drift"] == []


def _repo_url(root: Path) -> str:
    text = (root / "fleet.yaml").read_text()
    return text.split("repo: ", 1)[1].split("\n", 1)[0]
