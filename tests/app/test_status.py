"""`invoke status` on a real git repository; `--live` through the credential adapters, with
STAND-INS for helm (hubfleet.testing.standins.helm) and the cloud CLIs (…standins.kube)."""

from __future__ import annotations

import json

import pytest

from helpers.git import git
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import status as status_cmd
from hubfleet.testing.standins.helm import HelmStandin
from hubfleet.testing.standins.kube import KubeStandins


def _render(root, hub):
    from hubfleet.app.load import load_work_tree
    from hubfleet.app.render import render_hub

    _, fleet = load_work_tree(root)
    r = render_hub(fleet, fleet.hubs[hub])
    (root / r.path).write_text(r.text)


@pytest.fixture
def repo(example_fleet):
    git(example_fleet, "init", "-q", "-b", "main")
    git(example_fleet, "add", "-A")
    git(example_fleet, "commit", "-qm", "the fleet")
    (example_fleet / "hubs/oceans/values.yaml").write_text("singleuser:\n  memory: {limit: 8G}\n")
    _render(example_fleet, "oceans")
    (example_fleet / "README.md").write_text("not Helm input\n")
    git(example_fleet, "add", "-A")
    git(example_fleet, "commit", "-qm", "oceans: 8G servers")
    (example_fleet / "hubs/genomics/hub.yaml").write_text(
        (example_fleet / "hubs/genomics/hub.yaml").read_text() + "# a note\n"
    )
    git(example_fleet, "commit", "-qam", "genomics: a comment")
    return example_fleet


def _json(capsys, **kwargs) -> dict[str, dict]:
    assert boundary(status_cmd.run, as_json=True, **kwargs) in (0, 1)
    return {(r["cluster"], r["name"]): r for r in json.loads(capsys.readouterr().out)}


def test_status_says_what_runs_where_and_what_changed_it_last(repo, capsys):
    rows = _json(capsys)
    assert sum(r["kind"] == "hub" for r in rows.values()) == 11
    support = {k: r for k, r in rows.items() if r["kind"] == "support"}
    assert len(support) == 4 * 4 - 1  # four releases on four Kubernetes clusters; azure-uk skips one
    monitoring = support[("uni-west", "monitoring")]
    assert (monitoring["chart"], monitoring["version"], monitoring["namespace"]) == (
        "prometheus",
        "29.27.0",
        "monitoring",
    )
    assert monitoring["stage"] == "support" and monitoring["last_commit"]["subject"] == "the fleet"
    assert ("azure-uk", "ingress-nginx") not in support and ("local", "cert-manager") not in support
    oceans = rows[("aws-us", "oceans")]
    assert (
        oceans["provider"] == "eks"
        and oceans["stage"] == "prod"
        and oceans["domain"] == "oceans.us.hubfleet.example"
    )
    assert (oceans["chart"], oceans["version"], oceans["namespace"]) == ("jupyterhub", "4.4.0", "oceans")
    assert oceans["last_commit"]["subject"] == "oceans: 8G servers"
    assert oceans["last_commit"]["sha"] == git(repo, "rev-parse", "HEAD~1")
    assert rows[("aws-us", "genomics")]["last_commit"]["subject"] == "genomics: a comment"  # hub.yaml counts
    assert rows[("gcp-eu", "climate")]["last_commit"]["subject"] == "the fleet"
    assert not any(r["uncommitted"] for r in rows.values())


def test_uncommitted_changes_and_a_new_hub_show(repo, capsys):
    (repo / "hubs/climate/values.yaml").write_text("singleuser:\n  memory: {limit: 3G}\n")
    _render(repo, "climate")
    (repo / "hubs/new").mkdir()
    (repo / "hubs/new/hub.yaml").write_text("name: new\ncluster: gcp-eu\ndomain: new.eu.hubfleet.example\n")
    rows = _json(capsys, cluster="gcp-eu")
    rows = {k: r for k, r in rows.items() if r["kind"] == "hub"}
    assert set(rows) == {("gcp-eu", "climate"), ("gcp-eu", "eu-staging"), ("gcp-eu", "new")}
    assert rows[("gcp-eu", "climate")]["uncommitted"] and not rows[("gcp-eu", "eu-staging")]["uncommitted"]
    assert rows[("gcp-eu", "new")]["uncommitted"] and rows[("gcp-eu", "new")]["last_commit"] is None
    assert boundary(status_cmd.run, cluster="gcp-eu") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[0] == "RELEASE"
    releases = ["cert-manager", "ingress-nginx", "letsencrypt-issuer", "monitoring"]
    assert [line.split()[0] for line in table[1:]] == [
        *releases,
        "eu-staging",
        "climate",
        "new",
    ]  # support, staging, prod
    assert "(uncommitted changes)" in table[6] and "(never committed)" in table[7]


def test_status_outside_git_and_for_an_unknown_cluster(example_fleet, capsys):
    rows = _json(capsys)
    assert all(r["last_commit"] is None for r in rows.values())
    assert boundary(status_cmd.run, cluster="aws-usa") == 1
    assert "no cluster `aws-usa` in clusters/ (did you mean `aws-us`?)" in capsys.readouterr().err


@pytest.fixture
def live(repo, tmp_path, monkeypatch):
    helm = HelmStandin(tmp_path / "helm-state")
    monkeypatch.setenv("HUBFLEET_HELM", str(helm.install(tmp_path / "bin")))
    kube = KubeStandins(tmp_path / "kube-state")
    kube.install(tmp_path / "bin")
    for tool in ("gcloud", "aws", "az"):
        monkeypatch.setenv(f"HUBFLEET_{tool.upper()}", str(tmp_path / "bin" / tool))
    monkeypatch.delenv("STANDIN_FAIL", raising=False)
    return helm


def test_live_adds_what_helm_reports_and_flags_drift(live, capsys):
    live.seed(
        "hubs-us", "us-staging", "us-staging", ["deployed", "deployed"]
    )  # eks: the context the aws CLI wrote
    live.seed("hubs-us", "genomics", "genomics", ["deployed", "failed"])
    live.seed("hubs-us", "oceans", "oceans", ["deployed"], chart="jupyterhub-4.3.5")
    live.seed("hubs-us", "kube-system", "metrics-server", ["deployed"], chart="metrics-server-3.12.0")
    live.seed("uni-west", "uni-staging", "uni-staging", ["deployed"])
    rows = _json(capsys, live=True)
    staging = rows[("aws-us", "us-staging")]
    assert (
        staging["live"]["revision"] == "2"
        and staging["live"]["status"] == "deployed"
        and staging["drift"] == []
    )
    assert rows[("aws-us", "genomics")]["drift"] == ["status failed"]
    assert rows[("aws-us", "oceans")]["drift"] == ["chart jupyterhub-4.3.5 (fleet: jupyterhub-4.4.0)"]
    assert rows[("aws-us", "metrics-server")]["kind"] == "untracked"
    assert rows[("uni-west", "uni-research")]["drift"] == ["not deployed"]
    assert rows[("aws-us", "cert-manager")]["drift"] == ["not deployed"]  # support releases too
    demo = rows[("local", "demo")]  # no Helm release: its process's state, and stopped is no drift
    assert demo["live"]["status"] == "stopped" and demo["drift"] == []
    lists = live.calls("list")
    assert sorted(c["cluster"] for c in lists) == ["hubs-eu", "hubs-uk", "hubs-us", "uni-west"]
    assert all("--all-namespaces" in c["argv"] for c in lists)
    live.seed("hubs-eu", "eu-staging", "eu-staging", ["deployed"])
    live.seed("hubs-eu", "climate", "climate", ["deployed"])
    live.seed("hubs-eu", "cert-manager", "cert-manager", ["deployed"], chart="cert-manager-v1.19.6")
    live.seed("hubs-eu", "cert-manager", "letsencrypt-issuer", ["deployed"], chart="letsencrypt-issuer-0.1.0")
    live.seed("hubs-eu", "ingress-nginx", "ingress-nginx", ["deployed"], chart="ingress-nginx-4.15.1")
    live.seed("hubs-eu", "monitoring", "monitoring", ["deployed"], chart="prometheus-29.27.0")
    live.seed("hubs-eu", "kube-system", "metrics-server", ["deployed"], chart="metrics-server-3.12.0")
    assert boundary(status_cmd.run, live=True, cluster="gcp-eu") == 0, (
        capsys.readouterr().out
    )  # untracked: no drift
    capsys.readouterr()
    assert boundary(status_cmd.run, live=True, cluster="aws-us") == 1  # drift: exit 1
    out = capsys.readouterr().out
    assert "DRIFT" in out.splitlines()[0] and "status failed" in out


def test_live_on_a_cluster_whose_credentials_fail_says_so_per_cluster(live, monkeypatch, capsys):
    monkeypatch.setenv("STANDIN_FAIL", "1")  # the cloud CLIs fail; uni-west (kubeconfig) still answers
    live.seed("uni-west", "uni-staging", "uni-staging", ["deployed"])
    rows = _json(capsys, live=True)
    assert "cannot get credentials for cluster gcp-eu" in rows[("gcp-eu", "climate")]["live_error"]
    assert rows[("uni-west", "uni-staging")]["drift"] == []


def test_live_shows_a_local_hubs_state_and_diff_says_it_has_no_helm_release(repo, capsys):
    """Issue 23: `status --live` showed `-` for the running demo; `diff --hub demo` exited 1."""
    from hubfleet.cli.commands import diff as diff_cmd

    assert boundary(status_cmd.run, live=True, hub="demo") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:2] == ["demo", "local"] and "stopped" in out[1].split()
    assert boundary(diff_cmd.run, hub="demo") == 0
    assert capsys.readouterr().out.startswith("demo: on local cluster local: local hubs have no Helm release")
