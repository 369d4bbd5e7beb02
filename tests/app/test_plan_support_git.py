"""`invoke plan` over the example fleet in a real git repository: support layers plan exactly the
support releases whose input changed (and no hub); shared secrets plan the hubs they reach."""

from __future__ import annotations

import shutil

import pytest

from helpers.git import git
from hubfleet.app import plan as plan_app
from hubfleet.cli.reports import ci_matrix, markdown

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ENC = "ENC[AES256_GCM,data:{},iv:aXY=,tag:dGFn,type:str]"
SOPS = "sops:\n  mac: ENC[AES256_GCM,data:bWFj]\n  age:\n    - recipient: age1example\n      enc: x\n"


@pytest.fixture
def repo(example_fleet):
    git(example_fleet, "init", "-q", "-b", "main")
    git(example_fleet, "add", "-A")
    git(example_fleet, "commit", "-q", "-m", "base")
    return example_fleet


def _commit(root, rel, text):
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "change")
    return plan_app.compute(root, "HEAD~1", "HEAD")[0]


def test_a_fleet_support_layer_change_plans_that_release_where_it_runs_and_no_hub(repo):
    layer = (repo / "support/ingress-nginx.values.yaml").read_text()
    plan = _commit(
        repo, "support/ingress-nginx.values.yaml", layer.replace("replicaCount: 2", "replicaCount: 3")
    )
    assert plan.hubs == ()
    assert [(s.cluster, s.name, s.reasons) for s in plan.support] == [
        (c, "ingress-nginx", ("values changed: controller.replicaCount",))
        for c in ("aws-us", "gcp-eu", "uni-west")
    ]  # not azure-uk: it skips ingress-nginx
    doc = plan.to_json()
    assert doc["hubs"] == [] and [s["cluster"] for s in doc["support"]] == ["aws-us", "gcp-eu", "uni-west"]
    assert {
        e["cluster"]
        for e in ci_matrix(plan, {"aws-us": "eks", "gcp-eu": "gke", "uni-west": "kubeconfig"})["include"]
    } == {
        "aws-us",
        "gcp-eu",
        "uni-west",
    }
    text = markdown(plan)
    assert "| `ingress-nginx` | support | values changed: controller.replicaCount |" in text
    assert "clusters/uni-west/support/ingress-nginx.rendered.values.yaml" in text  # the diff
    assert "(support)" in text  # in the rollout graph


def test_a_cluster_support_layer_change_plans_that_cluster_only(repo):
    layer = (repo / "clusters/uni-west/support/monitoring.values.yaml").read_text()
    plan = _commit(
        repo, "clusters/uni-west/support/monitoring.values.yaml", layer.replace("ceph-rbd", "ceph-ssd")
    )
    assert [(s.cluster, s.name) for s in plan.support] == [("uni-west", "monitoring")] and plan.hubs == ()


def test_a_change_a_cluster_layer_overrides_plans_nothing_there(repo):
    # uni-west sets its own storageClass: the fleet layer's new one reaches the other clusters only
    layer = (repo / "support/monitoring.values.yaml").read_text()
    plan = _commit(
        repo, "support/monitoring.values.yaml", layer.replace("size: 50Gi", "size: 50Gi\n    storageClass: x")
    )
    assert {s.cluster for s in plan.support} == {"aws-us", "gcp-eu"}  # uni-west, azure-uk set their own


def test_a_new_cluster_secrets_file_plans_its_hubs_by_key_path_never_a_value(repo):
    text = f"hub:\n  cookieSecret: {ENC.format('c2VjcmV0')}\n{SOPS}"
    plan = _commit(repo, "clusters/uni-west/secrets.yaml", text)
    assert {h.name for h in plan.hubs} == {"uni-staging", "uni-research", "uni-teaching"}
    assert all(h.reasons == ("clusters/uni-west/secrets.yaml added",) for h in plan.hubs)
    plan = _commit(repo, "clusters/uni-west/secrets.yaml", text.replace("c2VjcmV0", "bmV3"))
    assert plan.hubs[0].reasons == ("clusters/uni-west/secrets.yaml changed: hub.cookieSecret",)
    assert "bmV3" not in markdown(plan)
    # re-keyed (new recipients): the encrypted values are the same, so nothing is planned
    plan = _commit(
        repo,
        "clusters/uni-west/secrets.yaml",
        text.replace("c2VjcmV0", "bmV3").replace("age1example", "age1other"),
    )
    assert plan.hubs == ()
