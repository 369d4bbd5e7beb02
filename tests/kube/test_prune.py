"""`deploy --prune` on a real control plane with real helm and kubectl: hubfleet removes only what
the cluster shows it deployed (issue 22 item 1; the contract's "Ownership").

One cluster without nodes (no `--wait`) for the module; each test has namespaces of its own.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.kubefleet import RealHelm, make_kube_fleet, plan_file, use_clusters
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.core.errors import HubfleetError

pytestmark = pytest.mark.slow
_ids = itertools.count()


@dataclass(frozen=True)
class Pruning:
    root: Path
    gone: str  # the hub removed from the repository
    ns: str  # its namespace
    helm: RealHelm


@pytest.fixture
def pruning(kube_cluster, chart_repo, helm_bin, tmp_path, monkeypatch):
    """A fleet on the real cluster: hub `keep` (staging) and hub `gone-N` (prod), both deployed by
    hubfleet; then `gone-N` removed from the repository."""
    n = next(_ids)
    kc = kube_cluster()
    gone, ns = f"gone{n}", f"gone{n}-ns"
    hubs = {f"keep{n}": ("k1", "staging", f"keep{n}-ns"), gone: ("k1", "prod", ns)}
    root = make_kube_fleet(tmp_path / "fleet", chart_repo.url, {"k1": kc}, hubs)
    use_clusters(monkeypatch, tmp_path, root, [kc])
    assert deploy_cmd.run(cluster="k1", no_health=True) == 0
    labels = json.loads(kc.kubectl("get", "namespace", ns, "-o", "json"))["metadata"]["labels"]
    assert labels["hubfleet.io/hub"] == gone and labels["hubfleet.io/created-namespace"] == "true"
    shutil.rmtree(root / "hubs" / gone)
    return Pruning(root, gone, ns, RealHelm(helm_bin, kc, tmp_path / "helm-home"))


def prune(tmp_path, gone: str, delete: bool = True) -> str:
    summary = tmp_path / "summary.md"
    plan = plan_file(tmp_path, [{"name": gone, "cluster": "k1"}])
    assert deploy_cmd.run(plan=plan, prune=True, delete_namespaces=delete, summary=str(summary)) == 0
    return summary.read_text()


def namespace_phase(kc, ns: str) -> str:
    out = kc.kubectl("get", "namespace", ns, "--ignore-not-found", "-o", "json")
    return json.loads(out)["status"]["phase"] if out.strip() else "absent"


def test_prune_uninstalls_the_removed_hub_and_deletes_the_namespace_hubfleet_created(
    pruning, kube_cluster, tmp_path
):
    gone, ns, helm = pruning.gone, pruning.ns, pruning.helm
    plan = plan_file(tmp_path, [{"name": gone, "cluster": "k1"}])
    assert deploy_cmd.run(plan=plan) == 0  # without --prune a removed hub is never uninstalled
    assert (ns, gone) in helm.releases()
    said = prune(tmp_path, gone)
    assert f"uninstalled from namespace {ns}; namespace deleted" in said
    assert (ns, gone) not in helm.releases()
    assert namespace_phase(kube_cluster(), ns) in ("Terminating", "absent")


def test_a_foreign_same_named_release_listed_first_is_never_touched(pruning, kube_cluster, tmp_path):
    """Issue 22 item 1: a release of the removed hub's name in another team's namespace stays, and
    so does its namespace, whichever of the two `helm list -A` lists first (Helm sorts by name
    only, so the order of two same-named releases varies from run to run)."""
    root, gone, ns, helm = pruning.root, pruning.gone, pruning.ns, pruning.helm
    other = f"aaa-{ns}-team"
    chart = str(root / ".." / "tinyhub-src")
    helm("create", chart)  # a plain chart of the other team's, installed without hubfleet
    helm("install", gone, chart, "--namespace", other, "--create-namespace")
    listed = json.loads(helm("list", "--all-namespaces", "--output", "json").stdout)
    assert sorted(r["namespace"] for r in listed if r["name"] == gone) == [other, ns]
    said = prune(tmp_path, gone)
    assert f"uninstalled from namespace {ns}; namespace deleted" in said
    assert (other, gone) in helm.releases()
    assert namespace_phase(kube_cluster(), other) == "Active"


def test_a_namespace_holding_another_object_is_kept(pruning, kube_cluster, tmp_path):
    gone, ns = pruning.gone, pruning.ns
    kube_cluster().kubectl("create", "configmap", "someone-elses", "--namespace", ns, "--from-literal=a=b")
    said = prune(tmp_path, gone)
    assert (
        f"uninstalled from namespace {ns}; namespace kept: it holds objects hubfleet did not create "
        "(ConfigMap/someone-elses)" in said
    )
    assert namespace_phase(kube_cluster(), ns) == "Active"


def test_a_namespace_hubfleet_did_not_create_is_kept(kube_cluster, chart_repo, tmp_path, monkeypatch):
    """The namespace existed before hubfleet's first deploy: it is marked, but never deleted."""
    n = next(_ids)
    kc = kube_cluster()
    gone, ns = f"gone{n}", f"pre{n}-ns"
    kc.kubectl("create", "namespace", ns)
    root = make_kube_fleet(tmp_path / "fleet", chart_repo.url, {"k1": kc}, {gone: ("k1", "prod", ns)})
    use_clusters(monkeypatch, tmp_path, root, [kc])
    assert deploy_cmd.run(cluster="k1", no_health=True) == 0
    shutil.rmtree(root / "hubs" / gone)
    said = prune(tmp_path, gone)
    assert f"uninstalled from namespace {ns}; namespace kept: hubfleet did not create it" in said
    assert namespace_phase(kc, ns) == "Active"


def test_a_release_hubfleet_did_not_deploy_is_left_alone(
    kube_cluster, chart_repo, helm_bin, tmp_path, monkeypatch
):
    """A release named like a removed hub, in the namespace that hub had, installed by plain Helm
    (no mark on the namespace): prune uninstalls nothing."""
    n = next(_ids)
    kc = kube_cluster()
    gone, ns = f"gone{n}", f"plain{n}-ns"
    root = make_kube_fleet(
        tmp_path / "fleet", chart_repo.url, {"k1": kc}, {f"k{n}": ("k1", "prod", f"k{n}-ns")}
    )
    use_clusters(monkeypatch, tmp_path, root, [kc])
    helm = RealHelm(helm_bin, kc, tmp_path / "helm-home")
    chart = str(tmp_path / "plain")
    helm("create", chart)
    helm("install", gone, chart, "--namespace", ns, "--create-namespace")
    said = prune(tmp_path, gone)
    assert f"nothing uninstalled: no namespace on the cluster is marked as hub {gone}'s" in said
    assert (ns, gone) in helm.releases()


def test_without_delete_namespaces_the_namespace_stays_and_cluster_scopes_the_prune(
    pruning, kube_cluster, tmp_path
):
    """`--cluster k1` prunes only k1's part of the plan: `k2` (a context that does not exist) is
    never contacted."""
    root, gone, ns, helm = pruning.root, pruning.gone, pruning.ns, pruning.helm
    (root / "clusters" / "k2").mkdir()
    (root / "clusters" / "k2" / "cluster.yaml").write_text(
        "name: k2\nprovider: kubeconfig\nkubeconfig: {context: no-such-context}\n"
    )
    summary = tmp_path / "summary.md"
    plan = plan_file(tmp_path, [{"name": gone, "cluster": "k1"}, {"name": "other", "cluster": "k2"}])
    assert deploy_cmd.run(plan=plan, cluster="k1", prune=True, summary=str(summary)) == 0
    assert f"uninstalled from namespace {ns} (namespace kept)" in summary.read_text()
    assert "other" not in summary.read_text()
    assert (ns, gone) not in helm.releases() and namespace_phase(kube_cluster(), ns) == "Active"


def test_a_plan_removing_a_hub_still_in_hubs_is_refused_and_nothing_runs(pruning, tmp_path):
    """Issue 22 item 2: a hostile plan whose `removed` names a live hub uninstalls nothing."""
    root, gone, helm = pruning.root, pruning.gone, pruning.helm
    keep = next(p.name for p in (root / "hubs").iterdir())
    before = helm.releases()
    plan = plan_file(tmp_path, [{"name": gone, "cluster": "k1"}, {"name": keep, "cluster": "k1"}])
    with pytest.raises(HubfleetError) as e:
        deploy_cmd.run(plan=plan, prune=True)
    assert str(e.value).splitlines()[0] == (
        f"{plan}: removed[1].name: hub {keep} is still in hubs/ (hubs/{keep}/hub.yaml): a plan never "
        "removes a hub the repository has; make the plan again with `invoke plan`"
    )
    assert helm.releases() == before


def test_prune_needs_a_plan(kube_cluster, chart_repo, tmp_path, monkeypatch):
    kc = kube_cluster()
    root = make_kube_fleet(tmp_path / "fleet", chart_repo.url, {"k1": kc}, {})
    use_clusters(monkeypatch, tmp_path, root, [kc])
    with pytest.raises(HubfleetError, match="give --plan FILE too"):
        deploy_cmd.run(cluster="k1", prune=True)


def test_another_fleets_hub_of_the_same_name_is_never_touched(
    kube_cluster, chart_repo, helm_bin, tmp_path, monkeypatch
):
    """Two repositories deploy to one cluster (the contract's mark names the fleet): when fleet
    `default` prunes a hub it no longer has, fleet `team-b`'s hub of that name keeps its release
    and the namespace hubfleet created for it."""
    n = next(_ids)
    kc = kube_cluster()
    hub, ns = f"twin{n}", f"twin{n}-b"
    b = make_kube_fleet(tmp_path / "b", chart_repo.url, {"k1": kc}, {hub: ("k1", "prod", ns)})
    (b / "fleet.yaml").write_text("name: team-b\n" + (b / "fleet.yaml").read_text())
    use_clusters(monkeypatch, tmp_path / "b-state", b, [kc])
    assert deploy_cmd.run(cluster="k1", no_health=True) == 0
    labels = json.loads(kc.kubectl("get", "namespace", ns, "-o", "json"))["metadata"]["labels"]
    assert labels["hubfleet.io/fleet"] == "team-b" and labels["hubfleet.io/created-namespace"] == "true"

    a = make_kube_fleet(
        tmp_path / "a", chart_repo.url, {"k1": kc}, {f"keep{n}": ("k1", "prod", f"keep{n}-a")}
    )
    use_clusters(monkeypatch, tmp_path, a, [kc])
    said = prune(tmp_path, hub)
    assert (
        f"nothing uninstalled: only another fleet marked a namespace as hub {hub}'s: {ns} (fleet team-b)"
        in said
    ), said
    assert (ns, hub) in RealHelm(helm_bin, kc, tmp_path / "helm-home").releases()
    assert namespace_phase(kc, ns) == "Active"
