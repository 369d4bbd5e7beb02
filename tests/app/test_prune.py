"""`invoke deploy --prune`: removed hubs are uninstalled only when asked (stateful helm STAND-IN)."""

from __future__ import annotations

import json

import pytest

from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.core.errors import HubfleetError

pytestmark = pytest.mark.slow


def plan_file(tmp_path, removed):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"base": "a" * 40, "head": "b" * 40, "hubs": [], "removed": removed}))
    return str(path)


def test_removed_hubs_are_never_uninstalled_by_default(standin_fleet, tmp_path):
    standin_fleet.helm.seed("ctx-k1", "old-ns", "old", ["deployed"])
    assert deploy_cmd.run(plan=plan_file(tmp_path, [{"name": "old", "cluster": "k1"}])) == 0
    assert standin_fleet.helm.releases() == [("ctx-k1", "old-ns", "old")]


def test_prune_uninstalls_a_removed_hub_and_keeps_its_namespace(standin_fleet, tmp_path, capsys):
    sf = standin_fleet
    sf.helm.seed("ctx-k1", "old-ns", "old", ["superseded", "deployed"])
    sf.helm.seed("ctx-k2", "other", "other", ["deployed"])
    removed = [{"name": "old", "cluster": "k1"}, {"name": "other", "cluster": "k2"}]
    summary = tmp_path / "summary.md"
    assert (
        deploy_cmd.run(plan=plan_file(tmp_path, removed), cluster="k1", prune=True, summary=str(summary)) == 0
    )
    assert sf.helm.releases() == [("ctx-k2", "other", "other")]  # --cluster k1: only k1's part
    assert "uninstalled from namespace old-ns (namespace kept)" in summary.read_text()
    [call] = sf.helm.calls("uninstall")
    assert call["argv"][:4] == ["uninstall", "old", "--namespace", "old-ns"] and call["cluster"] == "ctx-k1"


def test_prune_needs_a_plan(standin_fleet):
    with pytest.raises(HubfleetError, match="give --plan FILE too"):
        deploy_cmd.run(cluster="k1", prune=True)


def test_prune_deletes_the_namespace_when_asked_through_the_fleets_kubectl(
    standin_fleet, tmp_path, monkeypatch
):
    """--delete-namespaces: the same kubectl lookup as every other kubectl verb (HUBFLEET_KUBECTL)."""
    from helpers.kubectl_standin import kubectl_records, make_kubectl_standin

    log = tmp_path / "kubectl.log"
    monkeypatch.setenv("HUBFLEET_KUBECTL", str(make_kubectl_standin(tmp_path / "bin", log)))
    standin_fleet.helm.seed("ctx-k1", "old-ns", "old", ["deployed"])
    summary = tmp_path / "summary.md"
    plan = plan_file(tmp_path, [{"name": "old", "cluster": "k1"}])
    assert deploy_cmd.run(plan=plan, prune=True, delete_namespaces=True, summary=str(summary)) == 0
    assert "uninstalled from namespace old-ns; namespace deleted" in summary.read_text()
    [call] = [r for r in kubectl_records(log) if "delete" in r["argv"]]
    assert call["argv"][:3] == ["delete", "namespace", "old-ns"]


def test_a_plan_removing_a_hub_still_in_hubs_is_refused_and_nothing_runs(standin_fleet, tmp_path):
    """Issue 22 item 2: a hostile plan whose `removed` names a live hub deploys and uninstalls nothing."""
    sf = standin_fleet
    sf.helm.seed("ctx-k1", "b-ns", "beta", ["deployed"])
    path = tmp_path / "plan.json"
    doc = {
        "base": "a" * 40,
        "head": "b" * 40,
        "hubs": [{"name": "alpha", "cluster": "k1", "stage": "staging", "reasons": ["x"]}],
        "removed": [{"name": "old", "cluster": "k1"}, {"name": "beta", "cluster": "k1"}],
    }
    path.write_text(json.dumps(doc))
    with pytest.raises(HubfleetError) as e:
        deploy_cmd.run(plan=str(path), prune=True)
    assert str(e.value).splitlines()[0] == (
        f"{path}: removed[1].name: hub beta is still in hubs/ (hubs/beta/hub.yaml): a plan never removes "
        "a hub the repository has; make the plan again with `invoke plan`"
    )
    assert sf.helm.releases() == [("ctx-k1", "b-ns", "beta")]
    assert not sf.helm.calls("upgrade") and not sf.helm.calls("uninstall")
