"""deploy_hub: the exact Helm command (recorded by a stand-in for `helm upgrade`), secrets, failures."""

from __future__ import annotations

import pytest
import yaml

from helpers.fleetbuild import SECRET, render_all
from helpers.standin import records
from hubfleet.adapters.runner import run
from hubfleet.adapters.source import DirSource
from hubfleet.app import deep as k8s_validate
from hubfleet.app import deploy
from hubfleet.app.load import load_fleet
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.core.errors import HubfleetError

pytestmark = pytest.mark.slow


def _quiet():
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), width=200)


def fleet_of(env):
    return load_fleet(DirSource(env.root))


def test_exact_upgrade_argv_with_secrets(deploy_env):
    deploy_env.add_secrets("alpha")
    r = deploy.deploy_hub(deploy_env.root, fleet_of(deploy_env), "alpha")
    assert r.ok, r.message
    [call] = records(deploy_env.log, "upgrade")
    secrets_file = call["argv"][call["argv"].index("--values", 11) + 1]
    assert call["argv"] == [
        "upgrade",
        "--cleanup-on-fail",
        "--install",
        "alpha",
        "tiny/tinyhub",
        "--version",
        "0.1.0",
        "--namespace",
        "alpha",
        "--create-namespace",
        "--values",
        "hubs/alpha/rendered.values.yaml",
        "--values",
        secrets_file,
        "--timeout",
        "30s",
        "--kube-context",
        "ctx-k1",
    ]
    assert call["values"][secrets_file] == f"secretToken: {SECRET}\n"
    # an anonymous in-memory file, and the secret on no disk while helm ran (nor after)
    assert secrets_file.startswith("/dev/fd/") and call["links"][secrets_file].startswith("/memfd:")
    assert call["scan_hits"] == []
    # real helm ran `repo add`, in hubfleet's own Helm home only
    repos = yaml.safe_load((deploy_env.root.parent / "state/helm/config/repositories.yaml").read_text())
    assert [(r["name"], r["url"]) for r in repos["repositories"]] == [
        ("tiny", fleet_of(deploy_env).config.charts["tiny"].repo)
    ]
    assert deploy_env.leftovers() == []


def test_a_redeploy_with_nothing_changed_upgrades_nothing(standin_fleet, capsys):
    """The stateful Helm stand-in: `helm get values` returns what the upgrade was given."""
    sf = standin_fleet
    sf.add_secrets("beta")
    assert deploy.deploy_hub(sf.root, sf.fleet(), "beta").message == "deployed"
    again = deploy.deploy_hub(sf.root, sf.fleet(), "beta")
    assert (again.ok, again.message) == (True, "unchanged: nothing to upgrade")
    assert sf.statuses("beta") == ["deployed"]
    assert SECRET not in capsys.readouterr().out  # compared in memory, never shown
    forced = deploy.deploy_hub(sf.root, sf.fleet(), "beta", force=True)
    assert (forced.ok, forced.message) == (True, "deployed")
    assert sf.statuses("beta") == ["superseded", "deployed"]
    sf.add_secrets("beta", "secretToken: another-secret-value\n")  # only a secret changed
    changed = deploy.deploy_hub(sf.root, sf.fleet(), "beta")
    assert (changed.ok, changed.message) == (True, "deployed")
    assert sf.statuses("beta") == ["superseded", "superseded", "deployed"]


def test_wait_and_no_secrets(deploy_env):
    (deploy_env.root / "fleet.yaml").write_text(
        (deploy_env.root / "fleet.yaml").read_text().replace("wait: false", "wait: true")
    )
    r = deploy.deploy_hub(deploy_env.root, fleet_of(deploy_env), "beta")
    assert r.ok, r.message
    [call] = records(deploy_env.log, "upgrade")
    assert call["argv"][-6:] == [
        "hubs/beta/rendered.values.yaml",
        "--timeout",
        "30s",
        "--wait",
        "--kube-context",
        "ctx-k1",
    ]
    assert call["argv"].count("--values") == 1 and "b-ns" in call["argv"]


def test_helm_failure_is_a_failed_result_with_secrets_masked(deploy_env, monkeypatch):
    deploy_env.add_secrets("alpha")
    monkeypatch.setenv("STANDIN_FAIL", "1")
    monkeypatch.setenv("STANDIN_STDERR", f"Error: bad token {SECRET} rejected")
    r = deploy.deploy_hub(deploy_env.root, fleet_of(deploy_env), "alpha")
    assert not r.ok and "helm exit 1" in r.message and "*****" in r.message
    assert SECRET not in r.message
    assert deploy_env.leftovers() == []


def test_timeout_kills_helm_and_removes_secrets(deploy_env, monkeypatch):
    deploy_env.add_secrets("alpha")
    monkeypatch.setattr(deploy, "GRACE", 0)
    fleet = fleet_of(deploy_env)
    monkeypatch.setenv("STANDIN_SLEEP", "30")

    def short(argv, **kw):  # the deployer's timeout, shortened for the test
        if "upgrade" in argv:
            kw["timeout"] = 1
        return run(argv, **kw)

    r = deploy.deploy_hub(deploy_env.root, fleet, "alpha", runner=short)
    assert not r.ok and "timed out" in r.message and r.duration < 10
    assert deploy_env.leftovers() == []


def test_interrupt_during_helm_leaves_no_secret_anywhere(deploy_env):
    deploy_env.add_secrets("alpha")
    seen = []

    def interrupted(argv, **kw):
        if "upgrade" in argv:
            values = [argv[i + 1] for i, a in enumerate(argv) if a == "--values"]
            seen.append((values[-1], kw.get("pass_fds")))
            assert deploy_env.leftovers() == []  # on no disk during the call...
            raise KeyboardInterrupt
        return run(argv, **kw)

    with pytest.raises(KeyboardInterrupt):
        deploy.deploy_hub(deploy_env.root, fleet_of(deploy_env), "alpha", runner=interrupted)
    [(path, fds)] = seen
    assert path.startswith("/dev/fd/") and int(path.rsplit("/", 1)[1]) in fds
    assert deploy_env.leftovers() == []  # ...nor after Ctrl-C


def test_missing_age_key_deploys_nothing(deploy_env, monkeypatch, tmp_path):
    deploy_env.add_secrets("alpha")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(tmp_path / "absent.txt"))
    monkeypatch.setenv("HOME", str(tmp_path))
    r = deploy.deploy_hub(deploy_env.root, fleet_of(deploy_env), "alpha")
    assert not r.ok and "hubs/alpha/secrets.yaml" in r.message and "SOPS_AGE_KEY_FILE" in r.message
    assert records(deploy_env.log, "upgrade") == []


def test_unreachable_repository(deploy_env):
    from helpers.chartrepo import free_port_url

    text = (deploy_env.root / "fleet.yaml").read_text()
    import re

    (deploy_env.root / "fleet.yaml").write_text(re.sub(r"repo: \S+", f"repo: {free_port_url()}", text))
    render_all(deploy_env.root)
    r = deploy.deploy_hub(deploy_env.root, fleet_of(deploy_env), "beta")
    assert not r.ok and "charts.tiny" in r.message and "cannot reach chart repository" in r.message
    assert records(deploy_env.log, "upgrade") == []


def test_stale_rendered_file_is_refused(deploy_env):
    (deploy_env.root / "hubs/beta/values.yaml").write_text("greeting: changed\n")
    r = deploy.deploy_hub(deploy_env.root, fleet_of(deploy_env), "beta")
    assert not r.ok and "stale" in r.message and "invoke render" in r.message
    assert records(deploy_env.log, "upgrade") == []


def test_dry_run_prints_commands_and_real_manifests(deploy_env, capsys):
    deploy_env.add_secrets("alpha")
    assert deploy_cmd.run(hub="alpha", dry_run=True) == 0
    out = capsys.readouterr().out
    assert "helm upgrade --cleanup-on-fail --install alpha tiny/tinyhub --version 0.1.0" in out
    assert "'<in-memory: decrypted hubs/alpha/secrets.yaml>'" in out and "--kube-context ctx-k1" in out
    docs = [d for d in yaml.safe_load_all(out.split("manifests follow", 1)[1]) if d]
    kinds = {d["kind"]: d for d in docs}
    assert kinds["ConfigMap"]["data"] == {"greeting": "hello alpha", "color": "blue"}
    assert kinds["Secret"]["stringData"] == {"token": "<redacted>"}
    assert SECRET not in out
    assert records(deploy_env.log, "upgrade") == []


def test_redact_manifests_is_pure():
    text = (
        "---\n# Source: x/secret.yaml\napiVersion: v1\nkind: Secret\ndata:\n  a: c2VjcmV0\n"
        "---\nkind: ConfigMap\ndata:\n  b: topsecretvalue\n"
    )
    out = deploy.redact_manifests(text, ["topsecretvalue"])
    assert "c2VjcmV0" not in out and "<redacted>" in out and "# Source: x/secret.yaml" in out
    assert "topsecretvalue" not in out and "kind: ConfigMap" in out


def test_deploy_command_runs_the_rollout(deploy_env, capsys):
    assert deploy_cmd.run(cluster="k1", no_health=True) == 0
    assert [c["argv"][3] for c in records(deploy_env.log, "upgrade")] == ["alpha", "beta"]


def test_deploy_command_fails_when_a_release_fails(deploy_env, monkeypatch):
    monkeypatch.setenv("STANDIN_FAIL", "1")
    assert deploy_cmd.run(hub="beta", no_health=True) == 1


def test_select_is_checked(deploy_env):
    fleet = fleet_of(deploy_env)
    assert deploy_cmd.select(fleet, cluster="k1") == ["alpha", "beta"]
    plan = [{"name": "beta", "cluster": "k1"}, {"name": "alpha", "cluster": "k1"}]
    assert deploy_cmd.select(fleet, plan_hubs=plan) == ["beta", "alpha"]
    assert deploy_cmd.select(fleet, plan_hubs=plan, cluster="k1") == ["beta", "alpha"]
    with pytest.raises(HubfleetError, match="did you mean `k1`"):
        deploy_cmd.select(fleet, cluster="k1x")
    with pytest.raises(HubfleetError, match="give one of"):
        deploy_cmd.select(fleet)
    with pytest.raises(HubfleetError, match="the plan names hub `gamma`, which is not in hubs"):
        deploy_cmd.select(fleet, plan_hubs=[{"name": "gamma", "cluster": "k1"}])


def test_deep_check_templates_and_validates(deploy_env):
    fleet = fleet_of(deploy_env)
    assert k8s_validate.deep_check(deploy_env.root, fleet, "beta") == []
    (deploy_env.root / "hubs/beta/rendered.values.yaml").write_text("config:\n  count: 3\n")
    problems = k8s_validate.deep_check(deploy_env.root, fleet, "beta")
    assert len(problems) == 1 and "ConfigMap/beta-config at data.count" in problems[0].message


def test_check_manifests_unknown_kind_is_a_warning():
    [p] = k8s_validate.check_manifests(
        [{"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "a"}}], "f"
    )
    assert p.severity == "warning" and "Thing/a" in p.message


def test_through_deploy_hub_with_a_recording_helm_stand_in(deploy_env, monkeypatch, tmp_path):
    """The real deploy adapter, `helm upgrade` replaced by the recording stand-in: a failing
    staging release stops that cluster's prod hub; a plan file drives `invoke deploy --plan`."""
    from helpers.standin import records
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.deploy import deploy_hub
    from hubfleet.app.load import load_fleet
    from hubfleet.app.plan import write_json
    from hubfleet.cli.commands import deploy as deploy_cmd
    from hubfleet.core.model import Rollout
    from hubfleet.core.plan import Plan, PlannedHub
    from hubfleet.core.rollout import Target, run_rollout

    fleet = load_fleet(DirSource(deploy_env.root))
    targets = [Target("alpha", "k1", "staging"), Target("beta", "k1", "prod")]
    monkeypatch.setenv("STANDIN_FAIL", "1")
    report = run_rollout(
        targets, lambda h: deploy_hub(deploy_env.root, fleet, h), None, Rollout(), console=_quiet()
    )
    s = {o.hub: o.status + (f": {o.message}" if o.status == "skipped" else "") for o in report.outcomes}
    assert s == {"alpha": "failed", "beta": "skipped: staging failed on k1"}
    assert [r["argv"][3] for r in records(deploy_env.log, "upgrade")] == ["alpha"]

    monkeypatch.delenv("STANDIN_FAIL")
    plan_file = tmp_path / "plan.json"
    hubs = (
        PlannedHub("alpha", "k1", "staging", ("new hub",)),
        PlannedHub("beta", "k1", "prod", ("new hub",)),
    )
    write_json(Plan("a" * 40, "b" * 40, hubs), plan_file)
    assert deploy_cmd.run(plan=str(plan_file), cluster="k1", no_health=True) == 0
    assert [r["argv"][3] for r in records(deploy_env.log, "upgrade")] == ["alpha", "alpha", "beta"]
