"""`invoke diff`: what is deployed (the stateful helm STAND-IN's record) vs what the repository renders."""

from __future__ import annotations

import pytest

from helpers.fleetbuild import SECRET
from hubfleet.app.deploy import deploy_hub
from hubfleet.cli.commands import diff as diff_cmd

pytestmark = pytest.mark.slow


def test_no_drift_right_after_a_deploy(standin_fleet, capsys):
    sf = standin_fleet
    sf.add_secrets("beta")
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    assert diff_cmd.run(hub="beta") == 0
    out = capsys.readouterr().out
    assert "beta: revision 1 (deployed) matches the repository" in out and SECRET not in out


def test_drift_found_with_secrets_masked(standin_fleet, capsys):
    sf = standin_fleet
    sf.add_secrets("beta")
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    rev = sf.helm.revision("ctx-k1", "b-ns", "beta")
    # someone ran `helm upgrade --set greeting=hi` by hand on the cluster
    sf.helm.edit(
        "ctx-k1",
        "b-ns",
        "beta",
        values={**rev["values"], "greeting": "hi"},
        manifest=rev["manifest"].replace('"hello beta"', '"hi"'),
    )
    assert diff_cmd.run(hub="beta") == 2
    out = capsys.readouterr().out
    assert "beta: revision 1 (deployed) differs from the repository" in out
    assert "-greeting: hi" in out and "+greeting: hello beta" in out  # values: deployed -> repository
    assert "ConfigMap/beta-config" in out
    assert SECRET not in out


def test_cluster_diff_reports_each_hub_and_missing_releases(standin_fleet, capsys):
    sf = standin_fleet
    assert deploy_hub(sf.root, sf.fleet(), "alpha").ok
    assert deploy_hub(sf.root, sf.fleet(), "beta").ok
    assert diff_cmd.run(cluster="k1") == 2  # gamma was never deployed
    out = capsys.readouterr().out
    assert "alpha: revision 1 (deployed) matches" in out and "beta: revision 1 (deployed) matches" in out
    assert "gamma: not installed on cluster k1" in out
