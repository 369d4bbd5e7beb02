"""Rollouts with support releases (contract v1.1), over stand-ins for helm, sops, kubectl and the hub.

Per cluster: its support releases in fleet.yaml order, then staging (health-checked with the token
the jupyterhub chart keeps in the hub's Secret, read by the recording stand-in for kubectl), then
prod. A failing support release or undecryptable cluster secrets isolate that cluster only. The
stand-ins: `HelmStandin` (not helm), a stand-in sops (prints a file without its metadata, and
fails on a file marked undecryptable), `kubectl_standin` (not kubectl), `HubStandin` (not a hub).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from helpers.kubectl_standin import kubectl_records, make_kubectl_standin
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import deploy as deploy_cmd

pytestmark = pytest.mark.slow

TOKEN = "stand-in-chart-generated-token-7f3a"
SHARED_SECRET = "shared-cluster-secret-5c1d"
SOPS_META = {"mac": "ENC[stand-in]", "age": [{"recipient": "age1standin", "enc": "stand-in"}]}
SOPS_STANDIN = """#!{python}
# A STAND-IN for sops (not sops): `--decrypt FILE` prints FILE without its `sops:` metadata,
# or fails as sops does without the key when the file says so.
import sys, yaml
argv = [a for a in sys.argv[1:] if a != "--disable-version-check"]
doc = yaml.safe_load(open(argv[1]))
if doc.get("undecryptable"):
    sys.stderr.write("Failed to get the data key required to decrypt the SOPS file.\\n")
    sys.exit(128)
doc.pop("sops", None)
sys.stdout.write(yaml.safe_dump(doc))
"""


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def support_fleet(tmp_path, monkeypatch):
    """Two kubeconfig clusters with two support releases each and a staging and a prod hub."""
    from hubfleet.app.load import load_work_tree
    from hubfleet.app.renderall import render_fleet, write_rendered
    from hubfleet.testing.standins.helm import HelmStandin

    root = tmp_path / "fleet"
    write(
        root,
        "fleet.yaml",
        "charts:\n"
        "  jupyterhub: {repo: https://hub.jupyter.org/helm-chart/, version: 4.4.0}\n"
        "  cert-manager: {repo: https://charts.jetstack.io, version: v1.19.6}\n"
        "  ingress-nginx: {repo: https://kubernetes.github.io/ingress-nginx, version: 4.15.1}\n"
        "default_chart: jupyterhub\n"
        "support:\n"
        "  - {name: cert-manager, chart: cert-manager, namespace: cert-manager}\n"
        "  - {name: ingress-nginx, chart: ingress-nginx, namespace: ingress-nginx}\n"
        "rollout:\n  timeout: 60\n  health: {timeout: 20, retries: 1}\n",
    )
    write(root, "support/cert-manager.values.yaml", "crds: {enabled: true}\n")
    write(root, "support/ingress-nginx.values.yaml", "controller: {replicaCount: 2}\n")
    write(
        root,
        "clusters/common.values.yaml",
        "hub:\n  services:\n    hubfleet-health: {admin: false}\n"
        "ingress: {enabled: true, ingressClassName: nginx, hosts: ['${hub:domain}']}\n",
    )
    for cluster in ("west", "east"):
        write(
            root,
            f"clusters/{cluster}/cluster.yaml",
            f"name: {cluster}\nprovider: kubeconfig\nkubeconfig: {{context: ctx-{cluster}}}\n",
        )
        write(
            root,
            f"hubs/{cluster}-staging/hub.yaml",
            f"name: {cluster}-staging\ncluster: {cluster}\ndomain: staging.{cluster}.example.org\nstage: staging\n",
        )
        write(
            root,
            f"hubs/{cluster}-prod/hub.yaml",
            f"name: {cluster}-prod\ncluster: {cluster}\ndomain: {cluster}.example.org\n",
        )
    monkeypatch.chdir(root)
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    _, fleet = load_work_tree(root)
    assert not [p for p in fleet.problems if p.severity == "error"], fleet.problems
    write_rendered(root, render_fleet(fleet))

    helm = HelmStandin(tmp_path / "helm-state")
    bindir = tmp_path / "bin"
    monkeypatch.setenv("HUBFLEET_HELM", str(helm.install(bindir)))
    sops = bindir / "sops"
    sops.write_text(SOPS_STANDIN.format(python=sys.executable))
    sops.chmod(0o755)
    monkeypatch.setenv("HUBFLEET_SOPS", str(sops))
    kubectl_log = tmp_path / "kubectl.jsonl"
    monkeypatch.setenv("HUBFLEET_KUBECTL", str(make_kubectl_standin(bindir, kubectl_log)))
    tokens = {
        f"{c}-{s}/hub/hub.services.hubfleet-health.apiToken": TOKEN
        for c in ("west", "east")
        for s in ("staging", "prod")
    }
    monkeypatch.setenv("STANDIN_KUBECTL_SECRETS", json.dumps(tokens))
    for var in ("STANDIN_REAL", "KUBECONFIG", "STANDIN_KUBECTL_FAIL"):
        monkeypatch.delenv(var, raising=False)
    return root, helm, kubectl_log


@pytest.fixture
def stand_in_hub(monkeypatch):
    """The health check of every hub goes to one stand-in hub (not JupyterHub) that knows TOKEN."""
    from hubfleet.app.health import health_for_hub
    from hubfleet.testing.standins.hub import HubStandin

    hub = HubStandin(token=TOKEN)

    def health(root, fleet):
        return lambda name: health_for_hub(root, fleet, name, transport=hub.transport, connect=hub.connect)

    monkeypatch.setattr(deploy_cmd, "_health", health)
    return hub


def _order(helm) -> dict[str, list[str]]:
    """Per cluster (kube context), the releases in the order helm upgraded them."""
    out: dict[str, list[str]] = {}
    for call in helm.calls("upgrade"):
        argv = call["argv"]
        out.setdefault(call["cluster"], []).append(argv[argv.index("--install") + 1])
    return out


def test_support_then_staging_health_checked_via_the_chart_secret_then_prod(
    support_fleet, stand_in_hub, capsys
):
    _root, helm, kubectl_log = support_fleet
    assert boundary(deploy_cmd.run, cluster="west") == 0, capsys.readouterr()
    assert _order(helm) == {"ctx-west": ["cert-manager", "ingress-nginx", "west-staging", "west-prod"]}
    # the support releases: their own release, namespace and rendered file, the contract's command
    upgrades = {c["argv"][c["argv"].index("--install") + 1]: c["argv"] for c in helm.calls("upgrade")}
    nginx = upgrades["ingress-nginx"]
    assert nginx[nginx.index("--namespace") + 1] == "ingress-nginx"
    assert "clusters/west/support/ingress-nginx.rendered.values.yaml" in nginx
    # the token: no secrets file sets one, so kubectl read the hub's Secret, that one key only
    reads = [r["argv"] for r in kubectl_records(kubectl_log)]
    assert [
        "get",
        "secret",
        "hub",
        "--namespace",
        "west-staging",
        "--output",
        "jsonpath={.data.hub\\.services\\.hubfleet-health\\.apiToken}",
        "--context",
        "ctx-west",
    ] in reads
    assert stand_in_hub.executed and stand_in_hub.users == {}
    assert TOKEN not in capsys.readouterr().out


def test_support_only(support_fleet, capsys):
    _root, helm, _ = support_fleet
    assert boundary(deploy_cmd.run, cluster="east", support_only=True) == 0, capsys.readouterr()
    assert _order(helm) == {"ctx-east": ["cert-manager", "ingress-nginx"]}
    assert boundary(deploy_cmd.run, hub="east-prod", support_only=True) == 1
    assert "--support-only" in capsys.readouterr().err


def test_a_failing_support_release_isolates_its_own_cluster(support_fleet, stand_in_hub, tmp_path, capsys):
    _root, helm, _ = support_fleet
    plan = tmp_path / "plan.json"
    sha = "a" * 40
    plan.write_text(
        json.dumps(
            {
                "base": sha,
                "head": sha,
                "hubs": [
                    {
                        "name": n,
                        "cluster": n.split("-")[0],
                        "stage": n.split("-")[1],
                        "reasons": ["x"],
                    }
                    for n in ("east-staging", "east-prod", "west-staging", "west-prod")
                ],
                "removed": [],
                "support": [
                    {"cluster": c, "name": "ingress-nginx", "reasons": ["x"]} for c in ("east", "west")
                ],
            }
        )
    )
    helm.inject("ingress-nginx", "fail", times=1)  # the first cluster to get there fails
    summary = tmp_path / "summary.md"
    assert boundary(deploy_cmd.run, plan=str(plan), summary=str(summary)) == 1
    order = _order(helm)
    failed = [c for c, releases in order.items() if releases == ["ingress-nginx"]]
    ok = [c for c, releases in order.items() if c not in failed]
    assert len(failed) == 1 and len(ok) == 1, order
    assert order[ok[0]][0] == "ingress-nginx" and len(order[ok[0]]) == 3  # support, staging, prod
    text = summary.read_text()
    cluster = {"ctx-east": "east", "ctx-west": "west"}[failed[0]]
    assert f"support release {cluster}/ingress-nginx failed on {cluster}" in text  # its hubs: skipped


def test_undecryptable_cluster_secrets_deploy_nothing_there(support_fleet, stand_in_hub, tmp_path):
    root, helm, _ = support_fleet
    write(
        root,
        "clusters/east/secrets.yaml",
        json.dumps({"undecryptable": True, "x": "ENC[...]", "sops": SOPS_META}),
    )
    write(root, "clusters/west/secrets.yaml", json.dumps({"shared": SHARED_SECRET, "sops": SOPS_META}))
    from hubfleet.app.load import load_work_tree
    from hubfleet.app.renderall import render_fleet, write_rendered

    _, fleet = load_work_tree(root)
    write_rendered(root, render_fleet(fleet))  # the headers name the new secrets files
    summary = tmp_path / "summary.md"
    assert boundary(deploy_cmd.run, cluster="east", summary=str(summary)) == 1
    assert boundary(deploy_cmd.run, cluster="west") == 0
    order = _order(helm)
    assert "ctx-east" not in order  # nothing of east: not even its support releases
    assert order["ctx-west"] == ["cert-manager", "ingress-nginx", "west-staging", "west-prod"]
    assert "nothing deployed on east: shared secrets: clusters/east/secrets.yaml: sops cannot decrypt" in (
        summary.read_text()
    )
    # west's hubs got the cluster's shared secrets merged in, as one in-memory values document
    calls = [c for c in helm.calls("upgrade") if "west-prod" in c["argv"]]
    values = calls[0]["argv"][[i for i, a in enumerate(calls[0]["argv"]) if a == "--values"][-1] + 1]
    assert values.startswith("/dev/fd/")
    leftovers = [p for p in root.rglob("*") if p.is_file() and SHARED_SECRET.encode() in p.read_bytes()]
    assert leftovers == [root / "clusters/west/secrets.yaml"]  # the (stand-in) encrypted file only


def test_a_token_in_a_secrets_level_comes_first_and_no_secret_is_read(
    support_fleet, stand_in_hub, monkeypatch
):
    root, _helm, kubectl_log = support_fleet
    token = {"hub": {"services": {"hubfleet-health": {"apiToken": TOKEN}}}, "sops": SOPS_META}
    write(root, "clusters/west/secrets.yaml", json.dumps(token))  # the cluster level: every hub there
    from hubfleet.app.load import load_work_tree
    from hubfleet.app.renderall import render_fleet, write_rendered

    _, fleet = load_work_tree(root)
    write_rendered(root, render_fleet(fleet))
    assert boundary(deploy_cmd.run, cluster="west") == 0
    # kubectl marks the namespaces (ownership), but never reads a Secret
    assert not [r for r in kubectl_records(kubectl_log) if r["argv"][:2] == ["get", "secret"]]
    assert stand_in_hub.executed == ["1+1", "1+1"]  # staging, and prod (rollout.health.prod default)


def test_no_token_anywhere_is_one_clear_health_failure(support_fleet, stand_in_hub, monkeypatch, tmp_path):
    monkeypatch.setenv("STANDIN_KUBECTL_SECRETS", "{}")  # the hub's Secret holds no token
    summary = tmp_path / "summary.md"
    assert boundary(deploy_cmd.run, cluster="west", summary=str(summary)) == 1
    text = summary.read_text()
    assert "no token for the health check" in text and "declare `hub.services.hubfleet-health`" in text
