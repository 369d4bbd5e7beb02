"""The inventory as data: rows, last commits, drift against `helm list`, table and JSON."""

from __future__ import annotations

import json

import pytest

from hubfleet.adapters.source import MappingSource
from hubfleet.app.load import load_fleet
from hubfleet.core import inventory
from hubfleet.core.inventory import Commit, Live

FILES = {
    "fleet.yaml": b"charts:\n  jh: {repo: https://r.example, name: jupyterhub, version: 4.4.0}\n"
    b"  wrap: {path: charts/basehub}\ndefault_chart: jh\n",
    "clusters/uni/cluster.yaml": b"name: uni\nprovider: kubeconfig\nkubeconfig: {context: uni}\n",
    "clusters/lab/cluster.yaml": b"name: lab\nprovider: local\n",
    "hubs/staging/hub.yaml": b"name: staging\ncluster: uni\ndomain: s.uni.example\nstage: staging\n",
    "hubs/teach/hub.yaml": b"name: teach\ncluster: uni\ndomain: t.uni.example\nnamespace: t-ns\nchart: wrap\n",
    "hubs/demo/hub.yaml": b"name: demo\ncluster: lab\ndomain: demo.localhost\n",
}


def _rows():
    fleet = load_fleet(MappingSource(FILES))
    return inventory.hub_rows(fleet.hubs.values(), fleet.clusters, fleet.config.charts)


def test_rows_say_where_each_hub_runs_and_on_what():
    rows = {r.name: r for r in _rows()}
    assert rows["staging"].provider == "kubeconfig" and rows["staging"].stage == "staging"
    assert (rows["staging"].chart, rows["staging"].version) == ("jupyterhub", "4.4.0")
    assert (rows["teach"].chart, rows["teach"].version, rows["teach"].namespace) == (
        "charts/basehub",
        "",
        "t-ns",
    )
    assert "charts/basehub" in rows["teach"].files  # a chart folder's content is Helm input too
    assert rows["demo"].domain == "demo.localhost" and rows["demo"].stage == "prod"


def test_the_newest_commit_among_a_rows_files_wins():
    old = Commit("a" * 40, "2026-01-01T10:00:00+00:00", "old", order=5)
    new = Commit(
        "b" * 40, "2026-01-01T10:00:00+00:00", "new", order=1
    )  # same second: the log's order decides
    last = {"hubs/staging/rendered.values.yaml": old, "hubs/staging/hub.yaml": new}
    rows = {
        r.name: r
        for r in inventory.with_commits(_rows(), last, {"hubs/teach/values.yaml", "hubs/demo/hub.yaml"})
    }
    assert rows["staging"].last_commit == new
    assert (
        rows["teach"].last_commit is None and not rows["teach"].uncommitted
    )  # values.yaml counts via rendered
    assert rows["demo"].uncommitted


def test_drift_against_what_helm_reports():
    rows = [r for r in _rows() if r.cluster == "uni"]
    live = {
        "uni": [
            Live("staging", "staging", "4", "deployed", "jupyterhub-4.3.5", "2026-01-01 10:00:00 +0000 UTC"),
            Live("teach", "t-ns", "2", "failed", "basehub-0.1.0", "2026-01-02"),
            Live("ingress-nginx", "support", "1", "deployed", "ingress-nginx-4.12.0", "2026-01-03"),
        ]
    }
    got = {r.name: r for r in inventory.with_live(rows, live, {"uni": "kubeconfig"})}
    assert got["staging"].drift == ("chart jupyterhub-4.3.5 (fleet: jupyterhub-4.4.0)",)
    assert got["staging"].live.revision == "4"
    assert got["teach"].drift == ("status failed",)  # a folder chart's version is not compared
    assert got["ingress-nginx"].kind == "untracked" and got["ingress-nginx"].drift == ("not in the fleet",)
    assert (got["ingress-nginx"].chart, got["ingress-nginx"].version) == ("ingress-nginx", "4.12.0")
    missing = inventory.with_live(rows, {"uni": []}, {})
    assert all(r.drift == ("not deployed",) for r in missing)
    failed = inventory.with_live(rows, {"uni": "cannot get credentials"}, {})
    assert all(r.live_error == "cannot get credentials" and not r.drift for r in failed)


def test_parse_helm_list_takes_helms_json():
    data = json.loads(
        '[{"name":"h","namespace":"n","revision":"3","updated":"2024-05-01 10:00:00.1 +0000 UTC",'
        '"status":"deployed","chart":"jupyterhub-4.4.0","app_version":"5.3.0"}]'
    )
    assert inventory.parse_helm_list(data) == [
        Live("h", "n", "3", "deployed", "jupyterhub-4.4.0", "2024-05-01 10:00:00.1 +0000 UTC", "5.3.0")
    ]
    for other in ({"not": "a list"}, [1, 2], [{"bad": 1}]):  # never "nothing deployed"
        with pytest.raises(ValueError, match="a JSON list of releases"):
            inventory.parse_helm_list(other)


def test_table_and_json():
    rows = inventory.with_commits(
        _rows(), {"hubs/demo/hub.yaml": Commit("c" * 40, "2026-02-03T04:05:06+00:00", "x" * 80)}, ()
    )
    lines = inventory.table(rows)
    assert lines[0].split()[:3] == ["RELEASE", "CLUSTER", "PROVIDER"]
    assert [line.split()[0] for line in lines[1:]] == ["demo", "staging", "teach"]  # by cluster, then stage
    demo = lines[1]
    assert "ccccccccc 2026-02-03 " + "x" * 57 + "..." in demo
    assert "(never committed)" in lines[2]
    column = lines[0].index("CLUSTER")
    assert [line[column:].split()[0] for line in lines[1:]] == ["lab", "uni", "uni"]  # aligned
    doc = json.loads(inventory.to_json(rows))
    assert {d["name"] for d in doc} == {"demo", "staging", "teach"}
    assert doc[[d["name"] for d in doc].index("demo")]["last_commit"]["sha"] == "c" * 40
    assert "files" not in doc[0] and "live_error" not in doc[0]
    live = inventory.table(inventory.with_live(rows, {"uni": []}, {}), live=True)
    assert "DRIFT" in live[0] and "not deployed" in live[-1]
