"""Every bad input: one located line, exit 1, no traceback, nothing written."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import validate as validate_cmd


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".hubfleet" not in p.parts:
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def _edit(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


CASES = {
    "yaml-syntax": (
        "hubs/climate/values.yaml",
        "singleuser:\n  memory: {limit: 2G\n",
        "hubs/climate/values.yaml:",
        "YAML syntax error",
    ),
    "unknown-key-cluster": (
        "clusters/gcp-eu/cluster.yaml",
        "name: gcp-eu\nprovider: gke\ngke: {project: p, location: l, cluster: c}\nregoin: x\n",
        "clusters/gcp-eu/cluster.yaml:4: regoin:",
        "unknown key",
    ),
    "unknown-key-hub": (
        "hubs/oceans/hub.yaml",
        "name: oceans\ncluster: aws-us\ndomain: o.example\nstgae: staging\n",
        "hubs/oceans/hub.yaml:4: stgae:",
        "did you mean `stage`?",
    ),
    "name-not-folder": (
        "hubs/oceans/hub.yaml",
        "name: ocean\ncluster: aws-us\ndomain: o.example\n",
        "hubs/oceans/hub.yaml:1: name:",
        "must equal its folder",
    ),
    "missing-cluster": (
        "hubs/oceans/hub.yaml",
        "name: oceans\ncluster: aws-usa\ndomain: o.example\n",
        "hubs/oceans/hub.yaml:2: cluster:",
        "did you mean `aws-us`?",
    ),
    "unknown-chart": (
        "hubs/oceans/hub.yaml",
        "name: oceans\ncluster: aws-us\ndomain: o.example\nchart: jupyterhb\n",
        "hubs/oceans/hub.yaml:4: chart:",
        "did you mean `jupyterhub`?",
    ),
    "duplicate-domain": (
        "hubs/oceans/hub.yaml",
        "name: oceans\ncluster: aws-us\ndomain: genomics.us.hubfleet.example\n",
        "hubs/",
        "already used by hub",
    ),
    "missing-key": (
        "hubs/oceans/values.yaml",
        "singleuser:\n  extraEnv:\n    X: ${singleuser.memory.limt}\n",
        "hubs/oceans/values.yaml:3: singleuser.extraEnv.X:",
        "did you mean `limit`?",
    ),
    "unknown-fact": (
        "hubs/oceans/values.yaml",
        "singleuser:\n  extraEnv:\n    X: ${hub:domian}\n",
        "hubs/oceans/values.yaml:3: singleuser.extraEnv.X:",
        "did you mean `domain`?",
    ),
    "cycle": (
        "hubs/oceans/values.yaml",
        "custom:\n  a: ${custom.b}\n  b: ${custom.a}\n",
        "hubs/oceans/values.yaml:",
        "interpolation cycle",
    ),
    "oc-env": (
        "hubs/oceans/values.yaml",
        "custom:\n  home: ${oc.env:HOME}\n",
        "hubs/oceans/values.yaml:2: custom.home:",
        "machine-dependent",
    ),
    "misspelled-chart-value": (
        "hubs/oceans/values.yaml",
        "singleuser:\n  memory:\n    limt: 1G\n",
        "hubs/oceans/values.yaml:3: singleuser.memory.limt:",
        "did you mean `limit`?",
    ),
    "wrong-type": (
        "hubs/oceans/values.yaml",
        "singleuser:\n  memory:\n    limit: [1]\n",
        "hubs/oceans/values.yaml:3: singleuser.memory.limit:",
        "must be",
    ),
    "plaintext-secrets": (
        "hubs/oceans/secrets.yaml",
        "hub:\n  cookieSecret: 0123456789abcdef\n",
        "hubs/oceans/secrets.yaml:",
        "not sops-encrypted",
    ),
    "secret-in-values": (
        "hubs/oceans/values.yaml",
        "hub:\n  config:\n    GenericOAuthenticator:\n      client_secret: s3cr3t\n",
        "hubs/oceans/values.yaml:4: hub.config.GenericOAuthenticator.client_secret:",
        "secrets.yaml",
    ),
    "empty-hub-yaml": ("hubs/oceans/hub.yaml", "# nothing yet\n", "hubs/oceans/hub.yaml:", "is empty"),
    "empty-fleet-yaml": ("fleet.yaml", "", "fleet.yaml:", "is empty"),
    "list-not-mapping": (
        "clusters/aws-us/cluster.yaml",
        "- name: aws-us\n",
        "clusters/aws-us/cluster.yaml:1:",
        "not a mapping",
    ),
    "not-utf8": (
        "hubs/oceans/values.yaml",
        b"singleuser:\n  defaultUrl: /caf\xe9\n",
        "hubs/oceans/values.yaml:2:",
        "not UTF-8",
    ),
    "double-quoted-escape": (
        "hubs/oceans/values.yaml",
        'custom:\n  cmd: "cd \\${HOME}"\n',
        "hubs/oceans/values.yaml:2:",
        "backslash needs doubling",
    ),
    "provider-block-missing": (
        "clusters/aws-us/cluster.yaml",
        "name: aws-us\nprovider: eks\n",
        "clusters/aws-us/cluster.yaml:",
        "needs a `eks:` block",
    ),
    "duplicate-key": (
        "hubs/oceans/values.yaml",
        "singleuser:\n  memory: {limit: 2G}\nhub:\n  db: {type: sqlite-memory}\nsingleuser:\n  cpu: {limit: 2}\n",
        "hubs/oceans/values.yaml:5:",
        "key `singleuser` is repeated (first on line 1)",
    ),
    "alias-loop": ("hubs/oceans/values.yaml", "custom: &a {x: *a}\n", "hubs/oceans/values.yaml:", "loop"),
    "alias-bomb": (
        "hubs/oceans/values.yaml",
        "custom:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"  {c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True)
        ),
        "hubs/oceans/values.yaml:",
        "expand to over",
    ),
    "flow-interpolation": (
        "hubs/oceans/values.yaml",
        "ingress:\n  hosts: [${hub:domain}]\n",
        "hubs/oceans/values.yaml:2:",
        "an interpolation needs quotes",
    ),
    "dummy-auth-remote": (
        "hubs/oceans/values.yaml",
        "hub:\n  config:\n    JupyterHub:\n      authenticator_class: dummy\n",
        "hubs/oceans/values.yaml:4: hub.config.JupyterHub.authenticator_class:",
        "waive",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_located_line(case, seeded_fleet, capsys):
    rel, content, where, what = CASES[case]
    _edit(seeded_fleet, rel, content)
    before = _tree_digest(seeded_fleet)

    code = boundary(validate_cmd.run)
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert code == 1
    assert "Traceback" not in out.err + out.out
    matching = [line for line in lines if line.startswith(where) and what in line]
    assert matching, f"no line starting {where!r} containing {what!r} in:\n{out.err}"
    assert len(matching[0]) < 400

    render_code = boundary(render_cmd.run)
    capsys.readouterr()
    if case not in {
        "plaintext-secrets",
        "misspelled-chart-value",
        "wrong-type",
        "dummy-auth-remote",
    }:
        assert render_code == 1  # render fails too, and writes nothing
    assert _tree_digest(seeded_fleet) == before or render_code == 0


def test_validate_of_the_example_fleet_is_clean(seeded_fleet, capsys):
    assert boundary(validate_cmd.run) == 0
    err = capsys.readouterr().err
    assert "error" not in err.lower()


def test_policy_is_precise(seeded_fleet, capsys):
    """Not secrets: token_url, secretName, client_id; per-IdP allow_all is normal."""
    _edit(
        seeded_fleet,
        "hubs/oceans/values.yaml",
        (seeded_fleet / "hubs/oceans/values.yaml").read_text()
        + "singleuser:\n  extraEnv:\n    PASSWORD_RESET_URL: https://x.example\n",
    )
    assert boundary(render_cmd.run) == 0  # the rendered file follows its layers
    assert boundary(validate_cmd.run) == 0
    err = capsys.readouterr().err
    assert "secret" not in err and "allow_all" not in err


def test_allow_all_is_a_warning_that_keeps_exit_zero(seeded_fleet, capsys):
    _edit(
        seeded_fleet,
        "hubs/oceans/values.yaml",
        "hub:\n  config:\n    JupyterHub:\n      authenticator_class: generic-oauth\n"
        "    GenericOAuthenticator:\n      allow_all: true\n",
    )
    assert boundary(render_cmd.run) == 0  # the rendered file follows its layers
    assert boundary(validate_cmd.run) == 0
    err = capsys.readouterr().err
    assert "hubs/oceans/values.yaml:6: hub.config.GenericOAuthenticator.allow_all: warning:" in err


def test_waived_dummy_authenticator_is_accepted(seeded_fleet, capsys):
    _edit(
        seeded_fleet,
        "hubs/oceans/values.yaml",
        "hub:\n  config:\n    JupyterHub:\n      authenticator_class: dummy\n",
    )
    hub_yaml = seeded_fleet / "hubs/oceans/hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text() + "waive:\n  dummy-authenticator: internal load-test hub\n")
    assert boundary(render_cmd.run) == 0  # the rendered file follows its layers
    assert boundary(validate_cmd.run) == 0, capsys.readouterr().err


def test_unknown_hub_gets_a_hint(seeded_fleet, capsys):
    assert boundary(validate_cmd.run, hub="ocean") == 1
    assert "did you mean `oceans`?" in capsys.readouterr().err


def test_the_real_cli_prints_no_traceback(seeded_fleet):
    (seeded_fleet / "hubs/oceans/hub.yaml").write_text("- not a mapping\n")
    invoke = Path(sys.executable).with_name("invoke")
    tasks = Path(__file__).resolve().parents[2] / "tasks.py"
    proc = subprocess.run(
        [str(invoke), "--search-root", str(tasks.parent), "validate"],
        cwd=seeded_fleet,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "hubs/oceans/hub.yaml:1: holds a list, not a mapping" in proc.stderr


def test_one_broken_layer_does_not_hide_other_hubs_problems(seeded_fleet, capsys):
    _edit(seeded_fleet, "hubs/oceans/values.yaml", "singleuser: [\n")
    _edit(seeded_fleet, "hubs/genomics/values.yaml", "singleuser:\n  memory:\n    limt: 1G\n")
    assert boundary(validate_cmd.run) == 1
    err = capsys.readouterr().err
    assert "hubs/oceans/values.yaml:2: YAML syntax error" in err
    assert "hubs/genomics/values.yaml:3: singleuser.memory.limt: unknown key" in err


def test_a_remote_hub_without_an_authenticator_gets_the_charts_dummy(seeded_fleet, capsys):
    """z2jh's default authenticator is `dummy`: a hub that sets none must not pass silently."""
    _edit(seeded_fleet, "hubs/us-staging/values.yaml", "singleuser:\n  defaultUrl: /tree\n")
    assert boundary(validate_cmd.run, hub="us-staging") == 1
    err = capsys.readouterr().err
    assert "hub.config.JupyterHub.authenticator_class: DummyAuthenticator" in err
    assert "the chart's default: no layer sets hub.config.JupyterHub.authenticator_class" in err


def test_render_refuses_a_secret_in_a_plain_layer_with_validates_located_error(seeded_fleet, capsys):
    """A rendered file is committed: it must never hold a value the secret policy rejects."""
    _edit(
        seeded_fleet,
        "clusters/aws-us/common.values.yaml",
        (seeded_fleet / "clusters/aws-us/common.values.yaml").read_text()
        + "hub:\n  cookieSecret: 0123456789abcdef0123\n",
    )
    before = _tree_digest(seeded_fleet)
    assert boundary(validate_cmd.run) == 1
    validate_lines = {line for line in capsys.readouterr().err.splitlines() if "cookieSecret" in line}
    assert boundary(render_cmd.run, hub="oceans") == 1
    render_lines = {line for line in capsys.readouterr().err.splitlines() if "cookieSecret" in line}
    assert render_lines == validate_lines and len(render_lines) == 1
    assert next(iter(render_lines)).startswith("clusters/aws-us/common.values.yaml:")
    assert _tree_digest(seeded_fleet) == before


def test_a_dedented_key_names_the_layer_that_removed_what_an_interpolation_reads(seeded_fleet, capsys):
    """`limit:` dedented under `memory:` in a hub's layer: `memory: null` and a stray key. The fleet
    layer's `${singleuser.memory.limit}` fails there, and the hub's layer is named as the cause."""
    values = seeded_fleet / "hubs/oceans/values.yaml"
    lines = values.read_text().count("\n")
    values.write_text(values.read_text() + "singleuser:\n  memory:\n  limit: 8G\n")
    assert boundary(validate_cmd.run, hub="oceans") == 1
    err = capsys.readouterr().err.splitlines()
    interp = [
        e for e in err if e.startswith("clusters/common.values.yaml:34: singleuser.extraEnv.MEM_LIMIT:")
    ]
    assert interp and "no key `singleuser.memory.limit`" in interp[0], err
    assert "hubs/oceans/values.yaml" in interp[0]
    cause = f"hubs/oceans/values.yaml:{lines + 2}: singleuser.memory: null here replaces the mapping"
    assert any(e.startswith(cause) for e in err), err
