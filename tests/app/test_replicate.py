"""invoke replicate: a standalone folder whose deploy.sh runs the same Helm command as invoke deploy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers.fleetbuild import SECRET
from helpers.standin import make_standin, records
from hubfleet.adapters.source import DirSource
from hubfleet.app import deploy, replicate
from hubfleet.app.load import load_fleet
from hubfleet.cli.commands import replicate as replicate_cmd
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Chart, Hub

pytestmark = pytest.mark.slow


def normalized(call: dict) -> list[str]:
    """argv with each --values path replaced by that file's content (paths differ, content must not)."""
    argv = list(call["argv"])
    for i, a in enumerate(argv[:-1]):
        if a == "--values":
            argv[i + 1] = "CONTENT:" + call["values"][argv[i + 1]]
    return argv


def strip_header(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))


def only_tools_path(tmp_path: Path, log: Path, sops: Path) -> Path:
    """A PATH folder holding just a helm stand-in and sops."""
    folder = tmp_path / "only"
    make_standin(folder, "helm", log)
    (folder / "sops").symlink_to(sops)
    return folder


def test_deploy_sh_runs_the_same_helm_command_as_deploy(deploy_env, tmp_path, age_key):
    deploy_env.add_secrets("alpha")
    assert deploy.deploy_hub(deploy_env.root, load_fleet(DirSource(deploy_env.root)), "alpha").ok
    [via_deploy] = records(deploy_env.log, "upgrade")

    out = tmp_path / "replica"
    assert replicate_cmd.run(hub="alpha", out=str(out)) == 0
    log = tmp_path / "replica-calls.jsonl"
    path = only_tools_path(tmp_path, log, deploy_env.sops)
    done = subprocess.run(
        [
            "env",
            "-i",
            f"PATH={path}",
            f"SOPS_AGE_KEY_FILE={age_key[0]}",
            "/bin/bash",
            str(out / "deploy.sh"),
            "--kube-context",
            "ctx-k1",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    calls = records(log)
    assert [c["argv"][:2] for c in calls] == [["repo", "add"], ["upgrade", "--cleanup-on-fail"]]
    assert calls[0]["argv"] == [
        "repo",
        "add",
        "tiny",
        load_fleet(DirSource(deploy_env.root)).config.charts["tiny"].repo,
        "--force-update",
    ]
    via_script = calls[1]
    # same argv; values identical except the rendered file's header comment
    ours, theirs = normalized(via_deploy), normalized(via_script)
    assert [a for a in ours if not a.startswith("CONTENT:")] == [
        a for a in theirs if not a.startswith("CONTENT:")
    ]
    contents = [strip_header(a.removeprefix("CONTENT:")) for a in ours if a.startswith("CONTENT:")]
    assert contents == [strip_header(a.removeprefix("CONTENT:")) for a in theirs if a.startswith("CONTENT:")]
    assert "greeting: hello alpha" in contents[0]
    assert any(SECRET in c for c in contents)
    assert deploy_env.leftovers() == []


def test_folder_contents_name_nothing_of_hubfleet(deploy_env, tmp_path):
    deploy_env.add_secrets("alpha")
    out = tmp_path / "replica"
    replicate_cmd.run(hub="alpha", out=str(out))
    names = sorted(p.name for p in out.iterdir())
    assert names == ["README.md", "deploy.sh", "rendered.values.yaml", "secrets.yaml"]
    for p in out.iterdir():
        assert "hubfleet" not in p.read_text().lower(), p.name
    assert SECRET not in (out / "secrets.yaml").read_text()
    assert (out / "secrets.yaml").read_bytes() == (deploy_env.root / "hubs/alpha/secrets.yaml").read_bytes()
    assert (out / "deploy.sh").stat().st_mode & 0o111
    assert subprocess.run(["bash", "-n", str(out / "deploy.sh")]).returncode == 0


def test_sops_failure_stops_the_script(deploy_env, tmp_path):
    deploy_env.add_secrets("alpha")
    out = tmp_path / "replica"
    replicate_cmd.run(hub="alpha", out=str(out))
    log = tmp_path / "calls.jsonl"
    path = only_tools_path(tmp_path, log, deploy_env.sops)
    done = subprocess.run(
        ["env", "-i", f"PATH={path}", f"HOME={tmp_path}", "/bin/bash", str(out / "deploy.sh")],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert records(log, "upgrade") == []


def test_a_leaf_in_clear_beside_encrypted_ones_is_refused_as_validate_does(deploy_env, tmp_path, capsys):
    """A bundle carries secrets only sops-encrypted: a value added by hand in clear is one located
    line (validate's check, through its one reader of sops files), and no folder is written."""
    from hubfleet.cli.boundary import boundary

    secrets = deploy_env.add_secrets("alpha")
    lines = secrets.read_text().splitlines(keepends=True)
    lines.insert(1, "extraToken: CLEARTEXT-0123456789\n")  # after secretToken, before sops:
    secrets.write_text("".join(lines))
    out = tmp_path / "replica"
    assert boundary(replicate_cmd.run, hub="alpha", out=str(out)) == 1
    err = capsys.readouterr().err
    assert "hubs/alpha/secrets.yaml:2: extraToken: is in clear text beside sops-encrypted values" in err, err
    assert "CLEARTEXT" not in err and "Traceback" not in err
    assert not out.exists()


def test_existing_non_empty_out_is_refused(deploy_env, tmp_path):
    out = tmp_path / "full"
    out.mkdir()
    (out / "x").write_text("keep me")
    with pytest.raises(HubfleetError, match="not empty"):
        replicate_cmd.run(hub="beta", out=str(out))
    assert [p.name for p in out.iterdir()] == ["x"]


def test_deploy_script_is_pure_and_plain():
    hub = Hub("h", "c", "h.example.org", namespace="ns")
    chart = Chart("jh", "jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.4.0")
    text = replicate.deploy_script(hub, chart, 600, True, has_secrets=False)
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert "helm repo add jh https://hub.jupyter.org/helm-chart/ --force-update" in text
    assert text.rstrip().endswith('--values rendered.values.yaml --timeout 600s --wait "$@"')
    assert "sops" not in text
