"""Right to Replicate, v1.1: a cluster's support bundle, and a hub's bundle never carrying shared secrets;
`invoke secrets` for each level."""

from __future__ import annotations

import subprocess

import pytest

from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import replicate as replicate_cmd
from hubfleet.cli.commands import secrets as secrets_cmd
from hubfleet.core.errors import HubfleetError

ENC = "ENC[AES256_GCM,data:{},iv:aXY=,tag:dGFn,type:str]"
SOPS = "sops:\n  mac: ENC[AES256_GCM,data:bWFj]\n  age:\n    - recipient: age1example\n      enc: x\n"


def test_replicate_cluster_writes_its_support_releases_in_order(example_fleet, tmp_path, capsys):
    out = tmp_path / "bundle"
    assert boundary(replicate_cmd.run, cluster="uni-west", out=str(out)) == 0, capsys.readouterr()
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert {"README.md", "deploy.sh", "cert-manager.values.yaml", "letsencrypt-issuer.values.yaml"} <= set(
        names
    )
    assert "charts/letsencrypt-issuer/Chart.yaml" in names  # a chart folder travels with the bundle
    script = (out / "deploy.sh").read_text()
    releases = [
        line.split(" --install ")[1].split()[0] for line in script.splitlines() if " upgrade " in line
    ]
    assert releases == ["cert-manager", "letsencrypt-issuer", "ingress-nginx", "monitoring"]
    assert (
        "helm upgrade --cleanup-on-fail --install ingress-nginx ingress-nginx/ingress-nginx --version 4.15.1"
        in script
    )
    assert subprocess.run(["bash", "-n", str(out / "deploy.sh")]).returncode == 0
    values = (out / "monitoring.values.yaml").read_text()
    assert "cluster: uni-west" in values and not values.startswith("# GENERATED")
    assert not any("hubfleet" in (out / n).read_text().lower() for n in names if not n.startswith("charts/"))


def test_replicate_cluster_of_a_local_cluster_or_with_a_hub_is_one_line(example_fleet, tmp_path, capsys):
    assert boundary(replicate_cmd.run, cluster="local", out=str(tmp_path / "a")) == 1
    assert "no support releases" in capsys.readouterr().err
    assert boundary(replicate_cmd.run, cluster="uni-west", hub="uni-staging", out=str(tmp_path / "b")) == 1


def test_a_hub_bundle_lists_the_shared_secret_keys_and_never_carries_them(example_fleet, tmp_path):
    shared = f"hub:\n  cookieSecret: {ENC.format('c2hhcmVk')}\nimagePullSecret:\n  password: {ENC.format('cA==')}\n{SOPS}"
    (example_fleet / "clusters/uni-west/secrets.yaml").write_text(shared)
    (example_fleet / "clusters/secrets.yaml").write_text(
        f"proxy:\n  secretToken: {ENC.format('dA==')}\n{SOPS}"
    )
    own = f"hub:\n  services:\n    hubfleet-health:\n      apiToken: {ENC.format('b3du')}\n{SOPS}"
    (example_fleet / "hubs/uni-staging/secrets.yaml").write_text(own)
    from hubfleet.app.load import load_work_tree
    from hubfleet.app.renderall import render_fleet, write_rendered

    _, fleet = load_work_tree(example_fleet)
    write_rendered(example_fleet, render_fleet(fleet))
    out = tmp_path / "bundle"
    assert boundary(replicate_cmd.run, hub="uni-staging", out=str(out)) == 0
    assert (out / "secrets.yaml").read_text() == own  # its own, still encrypted
    for f in out.rglob("*"):
        if f.is_file():
            assert b"c2hhcmVk" not in f.read_bytes() and b"dA==" not in f.read_bytes()
    readme = (out / "README.md").read_text()
    assert "## Secrets this folder does not carry" in readme
    assert (
        "From `clusters/uni-west/secrets.yaml`:\n- `hub.cookieSecret`\n- `imagePullSecret.password`" in readme
    )
    assert "From `clusters/secrets.yaml`:\n- `proxy.secretToken`" in readme


@pytest.mark.parametrize(
    ("kw", "file"),
    [
        ({"hub": "uni-staging"}, "hubs/uni-staging/secrets.yaml"),
        ({"cluster": "uni-west"}, "clusters/uni-west/secrets.yaml"),
        ({"fleet_wide": True}, "clusters/secrets.yaml"),
        (
            {"cluster": "uni-west", "support": "monitoring"},
            "clusters/uni-west/support/monitoring.secrets.yaml",
        ),
    ],
)
def test_secrets_edits_each_level(example_fleet, kw, file):
    assert secrets_cmd.target_file(example_fleet, **kw) == file


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "give one of"),
        ({"hub": "uni-staging", "cluster": "uni-west"}, "give one of"),
        ({"support": "monitoring", "fleet_wide": True}, "--support R names"),
        ({"cluster": "azure-uk", "support": "ingress-nginx"}, "runs no support release `ingress-nginx`"),
        ({"cluster": "uni-wst"}, "did you mean `uni-west`"),
    ],
)
def test_secrets_options_that_name_no_file(example_fleet, kw, message):
    with pytest.raises(HubfleetError, match=message.replace("`", ".").replace("(", ".")):
        secrets_cmd.target_file(example_fleet, **kw)
