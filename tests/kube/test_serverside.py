"""`validate --server` against a real API server: the example fleet's real charts (served from
../shared/charts/repo on 127.0.0.1) templated by real Helm and dry-run on a throwaway control
plane, each rejection one line, exit 1 on any."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.chartrepo import point_at
from hubfleet.core.testcluster import KUBE_VERSION

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SHA = "0" * 40


@pytest.fixture
def fleet(example_fleet, shared_chart_repo, helm_bin) -> Path:
    """The example fleet on the served charts, with the control-plane binary and real helm."""
    from hubfleet.adapters import kubebin

    binary = kubebin.find(REPO)
    if binary is None:
        pytest.skip("validate --server: no test-cluster binary; `invoke setup --kube` builds it")
    os.environ["HUBFLEET_KUBE"] = str(binary)  # restored below
    os.environ["HUBFLEET_HELM"] = str(helm_bin)
    point_at(example_fleet / "fleet.yaml", shared_chart_repo.url)
    try:
        yield example_fleet
    finally:
        os.environ.pop("HUBFLEET_KUBE", None)
        os.environ.pop("HUBFLEET_HELM", None)


def _hubfleet(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "hubfleet"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _set(fleet: Path, hub: str, values: dict) -> None:
    """Merge `values` into the hub's own layer (one level deep is all these tests need)."""
    path = fleet / "hubs" / hub / "values.yaml"
    doc = yaml.safe_load(path.read_text()) or {}
    for key, value in values.items():
        doc[key] = {**doc.get(key, {}), **value} if isinstance(value, dict) else value
    path.write_text(yaml.safe_dump(doc))


def _server_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if ": --server: " in line]


def _of(prefix: str, lines: list[str]) -> list[str]:
    return [x for x in lines if x.startswith(prefix)]


def test_each_rejection_is_one_line_and_the_run_exits_1(fleet) -> None:
    _set(fleet, "uni-teaching", {"hub": {"resources": {"limits": {"memory": "2Gx"}}}})
    _set(fleet, "uni-research", {"hub": {"labels": {"team": "not a label value!"}}})
    _set(fleet, "uni-staging", {"fullnameOverride": "x" * 60})
    issuer = fleet / "charts/letsencrypt-issuer/templates/clusterissuer.yaml"
    issuer.write_text(issuer.read_text().replace("  acme:\n", "  acme:\n    retries: 3\n", 1))
    assert _hubfleet("render", cwd=fleet).returncode == 0

    done = _hubfleet("validate", "--server", "--cluster", "uni-west", cwd=fleet)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = _server_lines(done.stdout + done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    assert _of("hubs/uni-teaching/", lines) == [
        "hubs/uni-teaching/rendered.values.yaml: --server: Deployment/hub: quantities must match the regular "
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    ]
    (research,) = _of("hubs/uni-research/", lines)
    assert research.startswith(
        "hubs/uni-research/rendered.values.yaml: --server: Deployment/hub: spec.template.labels: Invalid value: "
        '"not a label value!": a valid label must be'
    )
    staging = _of("hubs/uni-staging/", lines)
    assert (
        f'Service/{"x" * 60}-hub: metadata.name: Invalid value: "{"x" * 60}-hub": must be no more than 63 characters'
        in ("\n".join(staging))
    )
    assert len(staging) == len(set(staging))  # a cause the server repeats is one line
    assert _of("clusters/uni-west/support/letsencrypt-issuer", lines) == [
        "clusters/uni-west/support/letsencrypt-issuer.rendered.values.yaml: --server: "
        "ClusterIssuer/letsencrypt-prod: spec.acme.retries: field not declared in schema"
    ]
    assert len(lines) == 3 + len(staging)  # nothing else on uni-west is refused
    assert "7 release(s)" in done.stdout  # uni-west's three hubs and four support releases


def test_two_hubs_claiming_one_cluster_scoped_object_conflict(fleet) -> None:
    for hub in ("uni-teaching", "uni-research"):
        _set(fleet, hub, {"fullnameOverride": "shared"})
    assert _hubfleet("render", cwd=fleet).returncode == 0
    done = _hubfleet("validate", "--server", "--hub", "uni-teaching,uni-research", cwd=fleet)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = _server_lines(done.stdout + done.stderr)
    clashes = [x for x in lines if "also made by" in x]
    assert (
        "hubs/uni-research/rendered.values.yaml: --server: ClusterRole/shared-user-scheduler: "
        "cluster-scoped, also made by hub uni-teaching on cluster uni-west"
    ) in clashes, lines
    # the namespaced objects of the same names are in each hub's own namespace: no clash
    assert all("cluster-scoped" in x for x in clashes), clashes


def test_a_plan_selects_its_hubs_and_their_cluster_s_support_and_a_clean_run_exits_0(fleet) -> None:
    plan = {
        "base": SHA,
        "head": SHA,
        "hubs": [{"name": "uni-teaching", "cluster": "uni-west", "stage": "prod", "reasons": ["values"]}],
        "removed": [],
    }
    (fleet / "plan.json").write_text(json.dumps(plan))
    assert _hubfleet("render", cwd=fleet).returncode == 0  # fleet.yaml now names the served repository
    done = _hubfleet("validate", "--server", "--plan", "plan.json", cwd=fleet)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _server_lines(done.stdout + done.stderr) == []
    assert "1 hub(s) checked: 0 error(s)" in done.stdout
    assert "of 5 release(s) submitted" in done.stdout  # the hub and uni-west's four support releases
    assert "secrets not decrypted" in done.stdout


def test_without_the_binary_it_is_one_line_and_exit_1(fleet, tmp_path) -> None:
    assert _hubfleet("render", cwd=fleet).returncode == 0
    os.environ["HUBFLEET_KUBE"] = str(tmp_path / "missing")
    done = _hubfleet("validate", "--server", "--hub", "uni-teaching", cwd=fleet)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert f"HUBFLEET_KUBE={tmp_path / 'missing'} is not an executable file" in done.stdout + done.stderr


def test_a_custom_resource_is_judged_by_its_own_clusters_crds(fleet) -> None:
    """One cluster without cert-manager keeps the ClusterIssuer release: on a server holding the
    other clusters' cert-manager CRDs it would pass; judged by its own cluster's (none) it is refused,
    and the clusters that have cert-manager still pass."""
    cluster = fleet / "clusters/gcp-eu/cluster.yaml"
    cluster.write_text(cluster.read_text() + "support:\n  skip: [cert-manager]\n")
    assert _hubfleet("render", cwd=fleet).returncode == 0
    done = _hubfleet("validate", "--server", cwd=fleet)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert _server_lines(out) == [
        "clusters/gcp-eu/support/letsencrypt-issuer.rendered.values.yaml: --server: "
        f"ClusterIssuer/letsencrypt-prod: no kind ClusterIssuer in cert-manager.io/v1 on Kubernetes "
        f"{KUBE_VERSION} (nor in the CRDs of cluster gcp-eu's releases)"
    ], out
