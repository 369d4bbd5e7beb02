"""`invoke shell` and `invoke logs` through the credential adapters, with recording STAND-INS for
kubectl and the cloud CLIs (hubfleet.testing.standins.kube): one cluster in KUBECONFIG, nothing
else touched, nothing left behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml

from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import logs as logs_cmd
from hubfleet.cli.commands import shell as shell_cmd
from hubfleet.testing.standins.kube import KubeStandins

USER_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "current-context": "someone-elses",
    "clusters": [
        {"name": "uni-west", "cluster": {"server": "https://uni-west.invalid"}},
        {"name": "someone-elses", "cluster": {"server": "https://other.invalid"}},
    ],
    "users": [
        {"name": "me", "user": {"token": "uni-token"}},
        {"name": "them", "user": {"token": "other-token"}},
    ],
    "contexts": [
        {"name": "uni-west", "context": {"cluster": "uni-west", "user": "me"}},
        {"name": "someone-elses", "context": {"cluster": "someone-elses", "user": "them"}},
    ],
}


@pytest.fixture
def kube(example_fleet, tmp_path, monkeypatch):
    standins = KubeStandins(tmp_path / "kube-state")
    bindir = standins.install(tmp_path / "bin")
    for tool in ("kubectl", "gcloud", "aws", "az"):
        monkeypatch.setenv(f"HUBFLEET_{tool.upper()}", str(bindir / tool))
    monkeypatch.setenv("PATH", f"{bindir}:{Path('/usr/bin')}:{Path('/bin')}")
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    user_config = home / ".kube" / "config"
    user_config.write_text(yaml.safe_dump(USER_KUBECONFIG))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KUBECONFIG", str(user_config))
    monkeypatch.setenv("SHELL", "/bin/sh")
    monkeypatch.delenv("STANDIN_FAIL", raising=False)
    scan = tmp_path / "tmp"
    scan.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scan))
    standins.user_config = user_config
    standins.scan = scan
    standins.out = tmp_path / "out"
    standins.out.mkdir()
    return standins


SEE = 'cat "$KUBECONFIG" > {out}/seen.yaml; echo "$KUBECONFIG" > {out}/path; echo "$HUBFLEET_CLUSTER" > {out}/cluster; kubectl get pods -o json > /dev/null'


def _contexts(text: str) -> list[str]:
    return [c["name"] for c in yaml.safe_load(text)["contexts"]]


@pytest.mark.parametrize(
    ("cluster", "context", "cloud"),
    [
        ("uni-west", "uni-west", None),
        ("gcp-eu", "hubs-eu", "gcloud"),
        ("aws-us", "hubs-us", "aws"),
        ("azure-uk", "hubs-uk", "az"),
    ],
)
def test_a_shell_command_gets_that_one_cluster_and_nothing_is_left(kube, cluster, context, cloud, capfd):
    before = kube.user_config.read_text()
    code = boundary(
        shell_cmd.run, cluster=cluster, command=["sh", "-c", SEE.format(out=kube.out) + "; exit 3"]
    )
    assert code == 3, capfd.readouterr().err  # the command's own exit code
    seen = (kube.out / "seen.yaml").read_text()
    assert _contexts(seen) == [context]
    assert yaml.safe_load(seen)["current-context"] == context
    assert "other-token" not in seen  # nothing of the user's other clusters
    assert (kube.out / "cluster").read_text().strip() == cluster
    in_memory = (kube.out / "path").read_text().strip()
    assert in_memory.startswith("/dev/fd/")  # the one-cluster kubeconfig never touches a disk
    assert list(kube.scan.iterdir()) == []  # every temporary folder (a cloud CLI's) removed
    assert kube.user_config.read_text() == before  # your kubeconfig untouched
    shell_calls = [c for c in kube.calls("kubectl") if c["argv"][:2] == ["get", "pods"]]
    assert shell_calls and shell_calls[0]["KUBECONFIG"] == in_memory
    assert _contexts(shell_calls[0]["kubeconfig"]) == [context]  # kubectl in the shell read it
    if cloud:
        (call,) = kube.calls(cloud)
        assert call["KUBECONFIG"] != str(kube.user_config)  # the cloud CLI wrote a private file
        assert str(kube.scan) in (call["KUBECONFIG"] or "") + " ".join(call["argv"])
        assert not (kube.user_config.parent / "config.lock").exists()


def test_an_interactive_shell_says_where_it_is_and_cleans_up(kube, capfd, monkeypatch, tmp_path):
    fake = tmp_path / "fake-shell"  # a $SHELL that leaves at once (no terminal to wait on)
    fake.write_text(f'#!/bin/sh\n[ "$#" = 0 ] && cat "$KUBECONFIG" > {kube.out}/seen.yaml\n')
    fake.chmod(0o755)
    monkeypatch.setenv("SHELL", str(fake))
    code = boundary(shell_cmd.run, cluster="uni-west", command=None)
    err = capfd.readouterr().err
    assert code == 0
    assert _contexts((kube.out / "seen.yaml").read_text()) == ["uni-west"]
    assert "shell with cluster uni-west's credentials (KUBECONFIG=" in err
    assert "left cluster uni-west: its temporary credentials are removed" in err
    assert list(kube.scan.iterdir()) == []


def test_failed_credentials_are_one_line_and_leave_nothing(kube, monkeypatch, capfd):
    monkeypatch.setenv("STANDIN_FAIL", "1")
    code = boundary(shell_cmd.run, cluster="gcp-eu", command=["true"])
    err = capfd.readouterr().err
    assert code == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert (
        len(lines) == 1
        and "clusters/gcp-eu/cluster.yaml: cannot get credentials for cluster gcp-eu" in lines[0]
    )
    assert list(kube.scan.iterdir()) == []


@pytest.mark.parametrize(
    ("cluster", "line"),
    [
        ("local", "cluster local is `provider: local`"),
        ("uni-wset", "no cluster `uni-wset` in clusters/ (did you mean `uni-west`?)"),
    ],
)
def test_a_cluster_without_credentials_is_one_line(kube, cluster, line, capfd):
    assert boundary(shell_cmd.run, cluster=cluster, command=["true"]) == 1
    assert line in capfd.readouterr().err
    assert kube.calls() == []


@pytest.mark.parametrize(
    ("component", "follow", "target", "container"),
    [
        ("hub", False, "deploy/hub", "hub"),
        ("proxy", True, "deploy/proxy", "chp"),
        ("autohttps", False, "deploy/autohttps", "traefik"),
    ],
)
def test_logs_of_a_component(kube, component, follow, target, container, capfd):
    assert boundary(logs_cmd.run, hub="uni-staging", component=component, follow=follow) == 0
    assert f"log of {target}/{container} in uni-staging" in capfd.readouterr().out
    (view, logs) = kube.calls("kubectl")
    assert view["argv"][:2] == ["config", "view"] and view["KUBECONFIG"] == str(kube.user_config)
    want = ["logs", "--namespace", "uni-staging", target, "--container", container] + (
        ["--follow"] if follow else []
    )
    assert logs["argv"] == want
    assert _contexts(logs["kubeconfig"]) == ["uni-west"]
    assert list(kube.scan.iterdir()) == []


def test_logs_of_a_users_server_find_the_pod_by_the_unescaped_name(kube, capfd):
    kube.add_user_pod("uni-staging", "jupyter-ada-40uni-2eexample", "ada@uni.example")
    kube.add_user_pod("uni-staging", "jupyter-bob", "bob")
    assert boundary(logs_cmd.run, hub="uni-staging", component="user:ada@uni.example") == 0
    assert "log of pod/jupyter-ada-40uni-2eexample/notebook in uni-staging" in capfd.readouterr().out
    assert boundary(logs_cmd.run, hub="uni-staging", component="user:carol") == 1
    assert "no server pod for user `carol` in namespace uni-staging" in capfd.readouterr().err


@pytest.mark.parametrize(
    ("hub", "component", "line"),
    [
        (
            "uni-staging",
            "prxy",
            "--component prxy: use one of hub, proxy, autohttps, user:NAME (did you mean `proxy`?)",
        ),
        ("uni-staging", "user:", "--component user:"),
        ("uni-stagin", "hub", "no hub `uni-stagin` in hubs/ (did you mean `uni-staging`?)"),
    ],
)
def test_bad_log_requests_are_one_line(kube, hub, component, line, capfd):
    assert boundary(logs_cmd.run, hub=hub, component=component) == 1
    err = capfd.readouterr().err
    assert line in err and "Traceback" not in err
    assert kube.calls() == []


def test_a_local_hubs_log_is_its_log_file(kube, example_fleet, capfd, monkeypatch):
    from hubfleet.adapters.source import state_dir

    log = state_dir(example_fleet) / "local" / "demo" / "hub.log"
    log.parent.mkdir(parents=True)
    log.write_text("[I 2026-01-01 JupyterHub app:1] Running\n")
    assert boundary(logs_cmd.run, hub="demo") == 0
    assert "JupyterHub app:1] Running" in capfd.readouterr().out
    assert kube.calls() == []


def test_a_sops_encrypted_kubeconfig_reaches_the_shell_in_memory_only(
    kube, example_fleet, sops_bin, age_key, monkeypatch
):
    """`kubeconfig: {file: ...}`: decrypted by the adapter into memory; the shell's copy too."""
    from helpers.realtools import sops_encrypt

    monkeypatch.setenv("HUBFLEET_SOPS", str(sops_bin))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key[0]))
    secret = dict(USER_KUBECONFIG, users=[{"name": "me", "user": {"token": "s3cr3t-uni-token"}}])
    sops_encrypt(
        sops_bin,
        age_key[1],
        yaml.safe_dump(secret),
        example_fleet / "clusters/uni-west/kubeconfig.secret.yaml",
    )
    cluster_yaml = example_fleet / "clusters/uni-west/cluster.yaml"
    cluster_yaml.write_text(
        cluster_yaml.read_text().replace(
            "context: uni-west", "context: uni-west\n  file: kubeconfig.secret.yaml"
        )
    )
    monkeypatch.delenv("KUBECONFIG")
    code = boundary(shell_cmd.run, cluster="uni-west", command=["sh", "-c", SEE.format(out=kube.out)])
    assert code == 0
    seen = yaml.safe_load((kube.out / "seen.yaml").read_text())
    assert [c["name"] for c in seen["contexts"]] == ["uni-west"]
    assert seen["users"] == [{"name": "me", "user": {"token": "s3cr3t-uni-token"}}]
    (view,) = [c for c in kube.calls("kubectl") if c["argv"][:2] == ["config", "view"]]
    assert any(a.startswith("/dev/fd/") for a in view["argv"])  # the adapter's in-memory file
    (kube.out / "seen.yaml").unlink()
    for base in (kube.scan, example_fleet, kube.out):
        leaked = [p for p in base.rglob("*") if p.is_file() and b"s3cr3t-uni-token" in p.read_bytes()]
        assert leaked == [], leaked


def test_through_the_console_script_and_invoke(kube, example_fleet):
    """The tasks pass `-- CMD` and the options on (the same front doors a person uses)."""
    import os
    import subprocess
    import sys

    bindir = Path(sys.executable).parent
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TMPDIR": str(kube.scan)}  # their temporary files would be seen here
    line = f'echo "$HUBFLEET_CLUSTER" > {kube.out}/cluster; kubectl get pods -o json > /dev/null'
    for argv in (
        [bindir / "hubfleet", "shell", "--cluster", "uni-west", "--", "sh", "-c", line],
        [bindir / "invoke", "--search-root", repo, "shell", "--cluster", "uni-west", "--", "sh", "-c", line],
    ):
        proc = subprocess.run(
            [str(a) for a in argv], cwd=example_fleet, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert (kube.out / "cluster").read_text().strip() == "uni-west"
    proc = subprocess.run(
        [str(bindir / "hubfleet"), "logs", "--hub", "uni-staging", "--component", "proxy", "--follow"],
        cwd=example_fleet,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "log of deploy/proxy/chp in uni-staging" in proc.stdout
    assert list(kube.scan.iterdir()) == []
