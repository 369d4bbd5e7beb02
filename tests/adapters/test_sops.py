"""hubfleet.secrets: real sops with age keys; clear text only in memory (/dev/fd/N), never on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from helpers.fleetbuild import SECRET
from hubfleet.adapters import sops as secrets
from hubfleet.adapters.runner import CommandError, Completed
from hubfleet.cli.commands import secrets as secrets_cmd
from hubfleet.core.errors import HubfleetError

ENCRYPTED = {
    "token": "ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]",
    "sops": {
        "age": [{"recipient": "age1xyz", "enc": "..."}],
        "mac": "ENC[AES256_GCM,data:m]",
        "version": "3",
    },
}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (ENCRYPTED, True),
        ({"token": "x", "sops": {"mac": "m", "pgp": [{"fp": "AB"}]}}, True),
        ({"token": "clear"}, False),
        ({"sops": {"age": [{"recipient": "a"}]}}, False),  # no mac
        ({"sops": {"mac": "m", "age": []}}, False),  # no recipient
        ("just text", False),
    ],
)
def test_is_encrypted(doc, expected):
    assert secrets.is_encrypted(yaml.safe_dump(doc).encode()) is expected


def test_is_encrypted_survives_bad_yaml():
    assert secrets.is_encrypted(b"a: [") is False


def test_secret_strings_are_leaves_long_enough_to_mask():
    data = {"hub": {"token": "abcdef", "n": 12345, "ok": True, "short": "ab"}, "l": ["line1\nline2-long"]}
    got = secrets.secret_strings(data)
    assert {"abcdef", "12345", "line1\nline2-long", "line2-long", "line1"} <= set(got)
    assert "ab" not in got and "True" not in got
    assert got == sorted(got, key=len, reverse=True)


@pytest.mark.slow
def test_decrypted_is_in_memory_only(deploy_env):
    deploy_env.add_secrets("alpha")
    with secrets.decrypted(deploy_env.root, "alpha") as mem:
        assert mem is not None and mem.path == f"/dev/fd/{mem.fd}"
        assert SECRET in Path(mem.path).read_text()
        assert os.readlink(f"/proc/self/fd/{mem.fd}").startswith("/memfd:")
        assert deploy_env.leftovers() == []  # no file anywhere, even while in use
    with pytest.raises(OSError):
        os.fstat(mem.fd)


@pytest.mark.slow
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_removed_when_the_body_fails(deploy_env, error):
    deploy_env.add_secrets("alpha")
    with pytest.raises(error), secrets.decrypted(deploy_env.root, "alpha") as mem:
        raise error()
    assert mem is not None and deploy_env.leftovers() == []
    with pytest.raises(OSError):
        os.fstat(mem.fd)


@pytest.mark.slow
def test_hub_without_secrets_yields_none(deploy_env):
    with secrets.decrypted(deploy_env.root, "beta") as path:
        assert path is None


@pytest.mark.slow
def test_missing_age_key_is_a_clear_error(deploy_env, monkeypatch, tmp_path):
    deploy_env.add_secrets("alpha")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(tmp_path / "no-such-keys.txt"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.config/sops/age/keys.txt either
    with pytest.raises(HubfleetError) as e, secrets.decrypted(deploy_env.root, "alpha"):
        pass
    assert "hubs/alpha/secrets.yaml" in str(e.value) and "SOPS_AGE_KEY_FILE" in str(e.value)
    assert deploy_env.leftovers() == [] and list(deploy_env.tmp.iterdir()) == []


@pytest.mark.slow
def test_clear_text_file_is_refused(deploy_env):
    (deploy_env.root / "hubs/alpha/secrets.yaml").write_text("secretToken: plain\n")
    with (
        pytest.raises(HubfleetError, match="not sops-encrypted"),
        secrets.decrypted(deploy_env.root, "alpha"),
    ):
        pass


@pytest.mark.slow
def test_timeout_while_decrypting_leaves_nothing(deploy_env):
    deploy_env.add_secrets("alpha")

    def slow_sops(argv, **kw):
        raise CommandError(Completed(tuple(argv), -9, "", ""), why="timed out after 120s, killed")

    with (
        pytest.raises(HubfleetError, match="cannot decrypt"),
        secrets.decrypted(deploy_env.root, "alpha", runner=slow_sops),
    ):
        pass
    assert list(deploy_env.tmp.iterdir()) == []


@pytest.mark.slow
def test_edit_command_opens_the_file_through_sops_interactively(deploy_env, monkeypatch):
    calls = []

    def fake(argv, **kw):
        calls.append((list(argv), kw))
        return Completed(tuple(argv), 0, "", "")

    (deploy_env.root / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: hubs/[^/]+/secrets\\.yaml$\n    age: {deploy_env.recipient}\n"
    )
    assert secrets_cmd.run("alpha", runner=fake) == 0
    argv, kw = calls[0]
    assert argv[1:] == ["--disable-version-check", "hubs/alpha/secrets.yaml"]
    assert kw["interactive"] is True and kw["cwd"] == deploy_env.root


@pytest.mark.slow
def test_edit_a_new_file_needs_creation_rules(deploy_env):
    with pytest.raises(HubfleetError, match=r"\.sops\.yaml: missing"):
        secrets_cmd.edit_argv(deploy_env.root, secrets_cmd.target_file(deploy_env.root, hub="alpha"))


@pytest.mark.slow
def test_creation_rules_encrypt_a_hub_file_for_real(deploy_env):
    """The documented .sops.yaml works with real sops: encrypt in place, then decrypt via hubfleet."""
    import subprocess

    (deploy_env.root / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: hubs/[^/]+/secrets\\.yaml$\n    age: {deploy_env.recipient}\n"
    )
    path = deploy_env.root / "hubs/alpha/secrets.yaml"
    path.write_text(f"secretToken: {SECRET}\n")
    subprocess.run(
        [
            str(deploy_env.sops),
            "--disable-version-check",
            "--encrypt",
            "--in-place",
            "hubs/alpha/secrets.yaml",
        ],
        cwd=deploy_env.root,
        check=True,
        capture_output=True,
    )
    assert secrets.is_encrypted(path.read_bytes()) and SECRET not in path.read_text()
    with secrets.decrypted(deploy_env.root, "alpha") as clear:
        assert clear is not None and f"secretToken: {SECRET}" in Path(clear.path).read_text()
