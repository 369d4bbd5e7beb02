"""Issue 14's reproductions on the example fleet: each bad input is one located line and exit 1.

Trailing newlines in names, values Helm reads differently, hubs reaching into other hubs,
resource exhaustion, files outside the fleet, an unknown canary cluster, and the smaller items.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import validate as validate_cmd


def edit(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)


def append(root: Path, rel: str, text: str) -> None:
    edit(root, rel, (root / rel).read_text() + text)


def validate(capsys, **kw) -> tuple[int, list[str]]:
    code = boundary(validate_cmd.run, **kw)
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, [line for line in out.err.splitlines() if line.strip()]


def fails_with(capsys, where: str, what: str, **kw) -> str:
    code, lines = validate(capsys, **kw)
    found = [line for line in lines if line.startswith(where) and what in line]
    assert code == 1 and found, "\n".join(lines)
    return found[0]


OCEANS = "name: oceans\ncluster: aws-us\ndomain: oceans.us.hubfleet.example\n"


# --- 5: whole-string names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "text", "where"),
    [
        ("hubs/oceans/hub.yaml", OCEANS + 'namespace: "oceans\\n"\n', "hubs/oceans/hub.yaml:4: namespace:"),
        ("hubs/oceans/hub.yaml", OCEANS.replace("name: oceans", 'name: "oceans\\n"'), "hubs/oceans/hub.yaml"),
        (
            "hubs/oceans/hub.yaml",
            OCEANS.replace("oceans.us.hubfleet.example", '"oceans.us.hubfleet.example\\n"'),
            "hubs/oceans/hub.yaml:3: domain:",
        ),
        (
            "clusters/aws-us/cluster.yaml",
            'name: "aws-us\\n"\nprovider: eks\neks: {region: r, cluster: c}\n',
            "clusters/aws-us/cluster.yaml:1: name:",
        ),
    ],
)
def test_a_trailing_newline_is_not_a_name(seeded_fleet, capsys, rel, text, where):
    edit(seeded_fleet, rel, text)
    fails_with(capsys, where, "not valid here")


# --- 6: values as Helm reads them -------------------------------------------------------


def test_rendered_values_are_what_helm_reads(seeded_fleet, capsys):
    append(seeded_fleet, "hubs/oceans/values.yaml", "singleuser:\n  extraEnv:\n    PORTS: 2222:22\n")
    assert boundary(render_cmd.run, hub="oceans") == 0
    assert "PORTS: '2222:22'" in (seeded_fleet / "hubs/oceans/rendered.values.yaml").read_text()


def test_nan_and_helm_number_tags_are_refused(seeded_fleet, capsys):
    append(seeded_fleet, "hubs/oceans/values.yaml", "singleuser:\n  image:\n    tag: 1e3\n")
    fails_with(capsys, "hubs/oceans/values.yaml", "singleuser.image.tag: must be string", hub="oceans")
    edit(seeded_fleet, "hubs/oceans/values.yaml", "singleuser:\n  cpu:\n    limit: .nan\n")
    fails_with(capsys, "hubs/oceans/values.yaml:3:", "not a number Helm accepts", hub="oceans")


# --- 7: one hub cannot reach into another ------------------------------------------------


def test_ingress_hosts_are_the_hubs_own_and_unique_on_a_cluster(seeded_fleet, capsys):
    oceans = (seeded_fleet / "hubs/oceans/hub.yaml").read_text()
    domain = oceans.split("domain:")[1].split()[0]
    ingress = "ingress:\n  enabled: true\n  hosts: [{host}]\n  tls:\n    - hosts: [{host}]\n      secretName: {secret}\n"
    append(seeded_fleet, "hubs/oceans/values.yaml", ingress.format(host=domain, secret="oceans-tls"))
    assert validate(capsys, hub="oceans")[0] == 0
    hub_yaml = (seeded_fleet / "hubs/genomics/hub.yaml").read_text()
    assert "aws-us" in hub_yaml  # climate shares the cluster
    append(seeded_fleet, "hubs/genomics/values.yaml", ingress.format(host=domain, secret="oceans-tls"))
    line = fails_with(capsys, "hubs/genomics/values.yaml", "is not this hub's domain")
    assert "ingress.hosts[0]" in line
    fails_with(capsys, "hubs/genomics/values.yaml", f"ingress host {domain} is already claimed by hub `")
    append(seeded_fleet, "hubs/genomics/hub.yaml", "waive:\n  foreign-host: serves the oceans alias\n")
    _, lines = validate(capsys)
    assert not any("is not this hub's domain" in ln for ln in lines)
    assert any("already claimed" in ln for ln in lines)  # a waiver never shares a host


def test_tls_secret_of_another_namespace_is_refused(seeded_fleet, capsys):
    append(
        seeded_fleet, "hubs/oceans/values.yaml", "ingress:\n  tls:\n    - secretName: genomics/genomics-tls\n"
    )
    fails_with(capsys, "hubs/oceans/values.yaml", "names another namespace", hub="oceans")


@pytest.mark.parametrize("ns", ["kube-system", "kube-public", "default"])
def test_system_namespaces_are_refused(seeded_fleet, capsys, ns):
    edit(seeded_fleet, "hubs/oceans/hub.yaml", OCEANS + f"namespace: {ns}\n")
    fails_with(capsys, "hubs/oceans/hub.yaml:4: namespace:", "Kubernetes system namespace")


# --- 8: resource limits, each checked before the work -----------------------------------


def test_exponential_interpolation_is_refused_fast(seeded_fleet, capsys):
    text = (
        "custom:\n  l0: "
        + "x" * 64
        + "\n"
        + "".join(f"  l{i}: ${{custom.l{i - 1}}}${{custom.l{i - 1}}}\n" for i in range(1, 40))
    )
    edit(seeded_fleet, "hubs/oceans/values.yaml", text)
    start = time.monotonic()
    fails_with(capsys, "hubs/oceans/values.yaml", "expands to over", hub="oceans")
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("kind", ["dev-zero", "loop", "fifo", "huge", "outside-file", "outside-folder"])
def test_files_that_are_not_fleet_files_are_refused(seeded_fleet, capsys, tmp_path, kind):
    target = seeded_fleet / "hubs/oceans/values.yaml"
    target.unlink()
    if kind == "dev-zero":
        target.symlink_to("/dev/zero")
        what = "outside the fleet"
    elif kind == "loop":
        target.symlink_to(target)
        what = "symlink loop"
    elif kind == "fifo":
        os.mkfifo(target)
        what = "not a regular file"
    elif kind == "huge":
        target.write_bytes(b"a: " + b"x" * (9 * 1024 * 1024) + b"\n")
        what = "over the"
    elif kind == "outside-file":
        outside = tmp_path / "outside.yaml"
        outside.write_text("singleuser: {}\n")
        target.symlink_to(outside)
        what = "outside the fleet"
    else:
        outside = tmp_path / "elsewhere"
        (outside).mkdir()
        (outside / "values.yaml").write_text("singleuser: {}\n")
        target.symlink_to(outside / "values.yaml")
        what = "outside the fleet"
    start = time.monotonic()
    fails_with(capsys, "hubs/oceans/values.yaml", what, hub="oceans")
    assert time.monotonic() - start < 10


def test_a_hub_folder_linked_from_outside_is_refused(seeded_fleet, capsys, tmp_path):
    outside = tmp_path / "evil"
    (outside).mkdir()
    (outside / "hub.yaml").write_text("name: evil\ncluster: aws-us\ndomain: evil.example.org\n")
    (seeded_fleet / "hubs/evil").symlink_to(outside)
    fails_with(capsys, "hubs/evil", "outside the fleet")
    assert boundary(render_cmd.run) == 1
    assert not (outside / "rendered.values.yaml").exists()


# --- 9: paths in fleet files stay inside --------------------------------------------------


@pytest.mark.parametrize("path", ["../../outside", "/etc", "charts/../../x"])
def test_chart_paths_stay_inside(seeded_fleet, capsys, path):
    append(seeded_fleet, "fleet.yaml", f"  local-chart:\n    path: {path}\n".replace("  local", "  local", 1))
    text = (seeded_fleet / "fleet.yaml").read_text()
    text = text.replace("charts:\n", f"charts:\n  outside:\n    path: {path}\n", 1)
    edit(seeded_fleet, "fleet.yaml", text.replace(f"  local-chart:\n    path: {path}\n", ""))
    fails_with(capsys, "fleet.yaml", "charts.outside.path")


def test_kubeconfig_file_stays_in_its_cluster_folder(seeded_fleet, capsys):
    edit(
        seeded_fleet,
        "clusters/uni-west/cluster.yaml",
        "name: uni-west\nprovider: kubeconfig\nkubeconfig: {context: x, file: ../../../../root/.kube/config}\n",
    )
    fails_with(capsys, "clusters/uni-west/cluster.yaml", "kubeconfig.file")


# --- 10: an unknown canary cluster ------------------------------------------------------


def test_canary_cluster_must_exist(seeded_fleet, capsys):
    text = (seeded_fleet / "fleet.yaml").read_text()
    edit(seeded_fleet, "fleet.yaml", text.replace("clusters: [uni-west]", "clusters: [gcp-ue]"))
    fails_with(capsys, "fleet.yaml", "canary cluster `gcp-ue` is not a cluster")


# --- 14: smaller --------------------------------------------------------------------------


def test_blank_waiver_reason_is_refused(seeded_fleet, capsys):
    append(seeded_fleet, "hubs/oceans/hub.yaml", "waive:\n  allow-all: '   '\n")
    fails_with(capsys, "hubs/oceans/hub.yaml:5: waive.allow-all:", "write why")


def test_missing_value_marker_reaching_helm_is_an_error(seeded_fleet, capsys):
    append(seeded_fleet, "hubs/oceans/values.yaml", "custom:\n  must_set: ???\n")
    fails_with(capsys, "hubs/oceans/values.yaml", "??? ", hub="oceans")


def test_interpolated_plaintext_secret_is_caught(seeded_fleet, capsys):
    text = (seeded_fleet / "hubs/oceans/values.yaml").read_text()
    text = text.replace("      client_id: hubfleet-oceans\n", "      client_secret: ${custom.plain}\n")
    edit(seeded_fleet, "hubs/oceans/values.yaml", text + "custom:\n  plain: hunter2-abcdef\n")
    fails_with(capsys, "hubs/oceans/values.yaml", "client_secret", hub="oceans")


def test_hidden_hub_folder_is_reported(seeded_fleet, capsys):
    edit(seeded_fleet, "hubs/.sneaky/hub.yaml", "name: sneaky\ncluster: aws-us\ndomain: s.example.org\n")
    _, lines = validate(capsys)
    assert any(line.startswith("hubs/.sneaky") and "warning" in line for line in lines), lines


@pytest.mark.parametrize("expr", ["${hub:}", "${cluster:}", "${oc.deprecated:custom.x}", "${oc.decode:1}"])
def test_odd_interpolations_are_one_line(seeded_fleet, capsys, expr):
    append(seeded_fleet, "hubs/oceans/values.yaml", f"custom:\n  x: a\n  y: '{expr}'\n")
    code, lines = validate(capsys, hub="oceans")
    text = "\n".join(lines)
    assert code == 1 and "lambda" not in text and "site-packages" not in text and "Warning" not in text
    assert any(line.startswith("hubs/oceans/values.yaml") for line in lines), text


def test_control_characters_name_their_line(seeded_fleet, capsys):
    edit(seeded_fleet, "hubs/oceans/values.yaml", b"singleuser:\n  defaultUrl: /l\x00ab\n")
    line = fails_with(capsys, "hubs/oceans/values.yaml:2:", "control character", hub="oceans")
    assert "\n" not in line


def test_empty_hub_name_is_refused(seeded_fleet, capsys):
    code, lines = validate(capsys, hub="")
    assert code == 1 and any("--hub" in line for line in lines), lines
    assert boundary(render_cmd.run, hub="") == 1
    assert "--hub" in capsys.readouterr().err


def test_an_interrupted_render_writes_nothing_and_leaves_no_temp_files(seeded_fleet, monkeypatch):
    from hubfleet.adapters import userfiles
    from hubfleet.app import renderall

    for hub in ("oceans", "genomics"):
        append(seeded_fleet, f"hubs/{hub}/values.yaml", "custom:\n  changed: yes\n")
    before = {p: p.read_text() for p in seeded_fleet.glob("hubs/*/rendered.values.yaml")}
    real_open, calls = os.open, []

    def interrupted_open(path, flags, *args):
        if str(path).endswith(".tmp"):
            calls.append(path)
            if len(calls) == 2:
                raise KeyboardInterrupt  # Ctrl-C while the second file is being written
        return real_open(path, flags, *args)

    monkeypatch.setattr(userfiles.os, "open", interrupted_open)
    with pytest.raises(KeyboardInterrupt):
        renderall.write_rendered(seeded_fleet, renderall.render_fleet(load(seeded_fleet)))
    assert len(calls) == 2
    assert {p: p.read_text() for p in seeded_fleet.glob("hubs/*/rendered.values.yaml")} == before
    assert list(seeded_fleet.rglob("*.tmp")) == []


def test_render_never_writes_through_a_symlink(seeded_fleet, capsys, tmp_path):
    outside = tmp_path / "victim.txt"
    outside.write_text("keep me\n")
    target = seeded_fleet / "hubs/oceans/rendered.values.yaml"
    target.unlink()
    target.symlink_to(outside)
    assert boundary(render_cmd.run) == 1
    assert "is a symlink" in capsys.readouterr().err
    assert outside.read_text() == "keep me\n"


def load(root: Path):
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet

    return load_fleet(DirSource(root))
