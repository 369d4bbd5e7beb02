"""validate with layered secrets, against the real jupyterhub 4.4.0 schema (seeded): required keys
satisfied by typed placeholders of encrypted leaves, keys checked, plaintext refused, the health
check's token route."""

from __future__ import annotations

import pytest

from hubfleet.app.load import load_work_tree
from hubfleet.app.validate import validate_fleet

ENC = "ENC[AES256_GCM,data:{},iv:aXY=,tag:dGFn,type:{}]"
SOPS = "sops:\n  mac: ENC[AES256_GCM,data:bWFj]\n  age:\n    - recipient: age1example\n      enc: x\n"
PULL = "imagePullSecret:\n  create: true\n  registry: registry.uni.example\n  username: hubs\n"


def _errors(root):
    _, fleet = load_work_tree(root)
    # (a new secrets level also changes the rendered files' headers: not what these tests are about)
    found = validate_fleet(root, fleet, offline=True, rendered=False)
    return [str(p) for p in found if p.severity == "error"]


@pytest.fixture
def uni(seeded_fleet):
    layer = seeded_fleet / "clusters/uni-west/common.values.yaml"
    layer.write_text(layer.read_text() + PULL)
    return seeded_fleet


def test_a_required_key_only_a_secrets_file_sets_is_satisfied_by_its_typed_placeholder(uni):
    (uni / "clusters/uni-west/secrets.yaml").write_text(
        f"imagePullSecret:\n  password: {ENC.format('cGFzcw==', 'str')}\n{SOPS}"
    )
    assert _errors(uni) == []


def test_without_it_the_message_says_null_once(uni):
    errors = _errors(uni)
    assert errors, "imagePullSecret.create: true without a password must be an error"
    assert all("null null" not in e for e in errors)
    assert any("imagePullSecret.password: must be string (got null)" in e for e in errors), errors


def test_a_leaf_of_the_wrong_type_and_an_unknown_key_in_a_secrets_file_are_errors(uni):
    (uni / "clusters/secrets.yaml").write_text(
        f"imagePullSecret:\n  password: {ENC.format('MTI=', 'int')}\nhub:\n  cookieSecrt: {ENC.format('eA==', 'str')}\n{SOPS}"
    )
    errors = _errors(uni)
    assert any(
        e.startswith("clusters/secrets.yaml") and "imagePullSecret.password: must be string" in e
        for e in errors
    )
    assert any(e.startswith("clusters/secrets.yaml") and "hub.cookieSecrt: unknown key" in e for e in errors)


def test_a_plaintext_shared_secrets_file_is_an_error_once(uni):
    (uni / "clusters/secrets.yaml").write_text("hub:\n  cookieSecret: plain\n")
    errors = [e for e in _errors(uni) if "not sops-encrypted" in e]
    assert errors == [
        "clusters/secrets.yaml: is not sops-encrypted (a leaked secret?): encrypt it with "
        "`sops --encrypt --in-place clusters/secrets.yaml` and rotate what it holds"
    ]


def test_a_remote_hub_with_no_token_route_is_a_warning(seeded_fleet):
    root = seeded_fleet
    (root / "hubs/probe").mkdir()
    (root / "hubs/probe/hub.yaml").write_text("name: probe\ncluster: gcp-eu\ndomain: probe.example.org\n")
    (root / "hubs/probe/values.yaml").write_text("hub:\n  services:\n    hubfleet-health: null\n")
    _, fleet = load_work_tree(root)
    warnings = [str(p) for p in validate_fleet(root, fleet, offline=True) if "no route gives" in p.message]
    assert len(warnings) == 1 and warnings[0].startswith("hubs/probe/hub.yaml: warning: no route gives")
    (root / "hubs/probe/secrets.yaml").write_text(
        f"hub:\n  services:\n    hubfleet-health:\n      apiToken: {ENC.format('dA==', 'str')}\n{SOPS}"
    )
    _, fleet = load_work_tree(root)
    assert not [p for p in validate_fleet(root, fleet, offline=True) if "no route gives" in p.message]


def test_a_leaf_added_in_clear_beside_encrypted_ones_is_one_located_error(uni, capsys):
    """Issue 22 item 8: `apiToken: CLEARTEXT-...` beside sops-encrypted leaves passed validate and
    render --check; only deploy failed, on the MAC."""
    from hubfleet.cli.boundary import boundary
    from hubfleet.cli.commands import render as render_cmd

    secrets = uni / "clusters/uni-west/secrets.yaml"
    secrets.write_text(f"imagePullSecret:\n  password: {ENC.format('cGFzcw==', 'str')}\n{SOPS}")
    assert boundary(render_cmd.run) == 0 and boundary(render_cmd.run, check=True) == 0
    secrets.write_text(
        f"imagePullSecret:\n  password: {ENC.format('cGFzcw==', 'str')}\n"
        "hub:\n  services:\n    hubfleet-health:\n      apiToken: CLEARTEXT-0123456789\n"
        f"  note_unencrypted: fine, sops leaves it\n{SOPS}"
    )
    want = (
        "clusters/uni-west/secrets.yaml:6: hub.services.hubfleet-health.apiToken: is in clear text beside "
        "sops-encrypted values"
    )
    errors = _errors(uni)
    assert [e for e in errors if "in clear text" in e and e.startswith(want)] and len(
        [e for e in errors if "in clear text" in e]
    ) == 1, errors
    assert boundary(render_cmd.run, check=True) == 1
    err = capsys.readouterr().err
    assert want in err and "CLEARTEXT" not in err


@pytest.mark.parametrize(
    ("meta", "clear_ok"),
    [
        ("  encrypted_regex: ^(password|apiToken)$\n", "hub:\n  name: in-clear\n"),
        ("  unencrypted_suffix: _plain\n", "hub:\n  name_plain: in-clear\n"),
        ("  encrypted_suffix: _secret\n", "hub:\n  name: in-clear\n"),
        ("  unencrypted_regex: ^public\n", "public:\n  name: in-clear\n"),
    ],
)
def test_sops_own_settings_say_which_leaves_stay_in_clear(uni, meta, clear_ok):
    (uni / "clusters/uni-west/secrets.yaml").write_text(
        f"imagePullSecret:\n  password: {ENC.format('cGFzcw==', 'str')}\n{clear_ok}{SOPS}{meta}"
    )
    assert [e for e in _errors(uni) if "in clear text" in e] == []
