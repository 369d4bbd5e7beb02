"""Bad input around support releases and layered secrets: one clear located line, exit 1, nothing deployed.

The example fleet (a copy) with one mistake each; `invoke deploy` runs against a recording
stand-in for helm (not helm), which must record no upgrade.
"""

from __future__ import annotations

import pytest

from helpers.standin import make_standin, records
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.cli.commands import validate as validate_cmd


def _edit(root, rel, old, new):
    path = root / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new))


CASES = {
    "a support release naming an unknown chart": (
        lambda r: _edit(r, "fleet.yaml", "chart: prometheus,", "chart: prometheuss,"),
        "fleet.yaml:28: support[3].chart: support release monitoring: `prometheuss` is not a chart in "
        "fleet.yaml `charts:` (did you mean `prometheus`?)",
        "uni-west",
    ),
    "a duplicate support release name": (
        lambda r: _edit(r, "fleet.yaml", "{name: monitoring,", "{name: ingress-nginx,"),
        "fleet.yaml:28: support[3].name: support release name `ingress-nginx` is used twice (also support[2]): "
        "each is one Helm release per cluster",
        "uni-west",
    ),
    "support.skip naming a release that does not exist": (
        lambda r: _edit(
            r, "clusters/azure-uk/cluster.yaml", "skip: [ingress-nginx]", "skip: [ingress-ngnix]"
        ),
        "clusters/azure-uk/cluster.yaml:8: support.skip[0]: support.skip: no support release `ingress-ngnix` "
        "in fleet.yaml `support:` (did you mean `ingress-nginx`?)",
        "azure-uk",
    ),
    "a support layer on a local cluster": (
        lambda r: (
            (r / "clusters/local/support").mkdir()
            or (r / "clusters/local/support/monitoring.values.yaml").write_text("x: 1\n")
        ),
        "clusters/local/support/monitoring.values.yaml: cluster local is `provider: local`: it has no support "
        "releases, so this layer is never used; remove it",
        "local",
    ),
    "a plaintext clusters/<c>/secrets.yaml": (
        lambda r: (r / "clusters/uni-west/secrets.yaml").write_text("hub:\n  cookieSecret: not-encrypted\n"),
        "clusters/uni-west/secrets.yaml: is not sops-encrypted (a leaked secret?): encrypt it with "
        "`sops --encrypt --in-place clusters/uni-west/secrets.yaml` and rotate what it holds",
        "uni-west",
    ),
}


@pytest.fixture
def helm_log(example_fleet, tmp_path, monkeypatch):
    log = tmp_path / "helm.jsonl"
    monkeypatch.setenv("HUBFLEET_HELM", str(make_standin(tmp_path / "bin", "helm", log)))
    for var in ("STANDIN_REAL", "STANDIN_FAIL", "KUBECONFIG"):
        monkeypatch.delenv(var, raising=False)
    return log


@pytest.mark.parametrize("case", list(CASES))
def test_one_clear_line_exit_1_nothing_deployed(case, example_fleet, helm_log, capsys):
    mistake, line, cluster = CASES[case]
    mistake(example_fleet)
    assert boundary(validate_cmd.run, offline=True) == 1
    # (a mistake may also leave a rendered file stale or missing: that is its own line)
    errors = [e for e in capsys.readouterr().err.splitlines() if "warning:" not in e and "rendered" not in e]
    assert errors == [line]
    code = boundary(deploy_cmd.run, cluster=cluster, no_health=True)
    err = capsys.readouterr()
    assert code == 1, err
    assert records(helm_log, "upgrade") == []
    assert "Traceback" not in err.out + err.err
