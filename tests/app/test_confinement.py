"""Issue 22 items 6, 7, 11: one confinement rule for every file read (hub folders and chart folders
alike, by validate and replicate), no plaintext secrets in a bundle, and no half-written bundle."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hubfleet.app.load import load_work_tree
from hubfleet.app.renderall import render_fleet, write_rendered
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import replicate as replicate_cmd
from hubfleet.cli.commands import validate as validate_cmd

ENC = "ENC[AES256_GCM,data:b3du,iv:aXY=,tag:dGFn,type:str]"
SOPS = "sops:\n  mac: ENC[AES256_GCM,data:bWFj]\n  age:\n    - recipient: age1example\n      enc: x\n"
CHART = "charts/letsencrypt-issuer"


def err_lines(capsys) -> list[str]:
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "internal error" not in out.err
    return [line for line in out.err.splitlines() if line.strip()]


def outside(tmp_path: Path, text: str = "stolen: yes\n") -> Path:
    path = tmp_path / "outside" / "private.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def plant(root: Path, rel: str, kind: str, tmp_path: Path) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    if kind == "link-out":
        target.symlink_to(outside(tmp_path))
    elif kind == "folder-link-out":
        target.symlink_to(outside(tmp_path).parent)
    else:
        os.mkfifo(target)


def replicate(capsys, out: Path, **kw) -> tuple[int, list[str]]:
    code = boundary(replicate_cmd.run, out=str(out), **kw)
    return code, err_lines(capsys)


# --- 6: replicate copies nothing from outside the fleet ------------------------------------


def test_a_hub_secrets_file_linked_out_of_the_fleet_is_not_bundled(example_fleet, tmp_path, capsys):
    secret = outside(tmp_path, f"hub:\n  cookieSecret: {ENC}\n{SOPS}")
    (example_fleet / "hubs/uni-staging/secrets.yaml").symlink_to(secret)
    out = tmp_path / "bundle"
    code, lines = replicate(capsys, out, hub="uni-staging")
    assert code == 1 and len(lines) == 1, lines
    assert (
        lines[0].startswith("hubs/uni-staging/secrets.yaml: is a symlink to")
        and "outside the fleet" in lines[0]
    )
    assert not out.exists() and list(tmp_path.glob(".bundle*")) == []


@pytest.mark.parametrize("kind", ["link-out", "folder-link-out", "fifo"])
def test_a_chart_folder_with_a_link_out_or_a_fifo_writes_no_bundle(example_fleet, tmp_path, capsys, kind):
    plant(example_fleet, f"{CHART}/templates/extra.yaml", kind, tmp_path)
    out = tmp_path / "bundle"
    code, lines = replicate(capsys, out, cluster="uni-west")
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"{CHART}/templates/extra.yaml: ")
    assert ("not a regular file" if kind == "fifo" else "outside the fleet") in lines[0]
    assert not out.exists() and list(tmp_path.glob(".bundle*")) == []  # 11: nothing half-written


def test_a_link_inside_the_fleet_is_copied_as_its_content(example_fleet, tmp_path, capsys):
    (example_fleet / f"{CHART}/templates/again.yaml").symlink_to("clusterissuer.yaml")
    out = tmp_path / "bundle"
    assert replicate(capsys, out, cluster="uni-west")[0] == 0
    copied = out / CHART / "templates"
    assert (copied / "again.yaml").read_text() == (copied / "clusterissuer.yaml").read_text()
    assert not (copied / "again.yaml").is_symlink()


# --- 7: no plaintext secrets in a bundle; its README names only what it holds ---------------


@pytest.mark.parametrize(
    ("kw", "rel"),
    [
        ({"hub": "uni-staging"}, "hubs/uni-staging/secrets.yaml"),
        ({"cluster": "uni-west"}, "clusters/uni-west/support/monitoring.secrets.yaml"),
    ],
)
def test_a_plaintext_secrets_file_is_refused(example_fleet, tmp_path, capsys, kw, rel):
    (example_fleet / rel).write_text("hub:\n  cookieSecret: CLEARTEXT-plain-value\n")
    out = tmp_path / "bundle"
    code, lines = replicate(capsys, out, **kw)
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"{rel}: is not sops-encrypted") and "CLEARTEXT" not in lines[0]
    assert not out.exists()


def bundle_readme(root: Path, tmp_path: Path, capsys, secrets: dict[str, str]) -> tuple[Path, str]:
    """A hub bundle of uni-staging, once `secrets` (file -> its keys, sops-encrypted) are committed."""
    for rel, body in secrets.items():
        (root / rel).write_text(body + SOPS)
    _, fleet = load_work_tree(root)
    write_rendered(root, render_fleet(fleet))
    out = tmp_path / f"bundle-{len(list(tmp_path.iterdir()))}"
    assert replicate(capsys, out, hub="uni-staging")[0] == 0
    return out, (out / "README.md").read_text()


def test_the_readme_names_secrets_yaml_only_when_the_bundle_holds_one(example_fleet, tmp_path, capsys):
    bare, readme = bundle_readme(example_fleet, tmp_path, capsys, {})
    assert not (bare / "secrets.yaml").exists() and "secrets.yaml" not in readme

    shared = {"clusters/uni-west/secrets.yaml": f"proxy:\n  secretToken: {ENC}\n"}
    _, readme = bundle_readme(example_fleet, tmp_path, capsys, shared)
    assert "- `proxy.secretToken`" in readme  # what the community must set, but no own secrets.yaml
    assert "secrets.yaml`" not in readme.replace("clusters/uni-west/secrets.yaml`", "")

    own = {"hubs/uni-staging/secrets.yaml": f"hub:\n  cookieSecret: {ENC}\n"}
    held, readme = bundle_readme(example_fleet, tmp_path, capsys, own)
    assert (held / "secrets.yaml").exists() and "`secrets.yaml`: secret values, still encrypted" in readme


# --- 11: validate confines chart folders as it does hub folders -----------------------------


@pytest.mark.parametrize("kind", ["link-out", "folder-link-out", "fifo"])
def test_validate_refuses_a_chart_folder_reaching_out_or_holding_a_fifo(
    example_fleet, tmp_path, capsys, kind
):
    plant(example_fleet, f"{CHART}/templates/extra.yaml", kind, tmp_path)
    code = boundary(validate_cmd.run, offline=True)
    lines = err_lines(capsys)
    found = [line for line in lines if line.startswith(f"{CHART}/templates/extra.yaml: ")]
    assert code == 1 and found, lines
    assert ("not a regular file" if kind == "fifo" else "outside the fleet") in found[0]


def test_plan_reads_a_committed_chart_folder_as_validate_does(tmp_path):
    """A link out of the fleet committed in a chart folder is the same error from git objects."""
    import subprocess

    from hubfleet.adapters.gitsource import GitSource, folder_digest
    from hubfleet.core.errors import HubfleetError

    root = tmp_path / "fleet"
    (root / "charts/c/templates").mkdir(parents=True)
    (root / "charts/c/Chart.yaml").write_text("name: c\n")
    (root / "charts/c/templates/x.yaml").symlink_to("/etc/passwd")
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True)
    with GitSource(root, "HEAD") as src, pytest.raises(HubfleetError) as e:
        folder_digest(src, "charts/c")
    assert str(e.value).startswith(
        "charts/c/templates/x.yaml: is a symlink to /etc/passwd, outside the fleet"
    )


@pytest.mark.parametrize("check", [False, True])
def test_a_fifo_in_place_of_a_rendered_file_is_one_line_and_never_hangs(example_fleet, capsys, check):
    import threading

    from hubfleet.cli.commands import render as render_cmd

    rendered = example_fleet / "hubs/oceans/rendered.values.yaml"
    rendered.unlink()
    os.mkfifo(rendered)
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(boundary(render_cmd.run, check=check)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # unblock the reader so the test process can end
        os.close(os.open(rendered, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("render blocked on a FIFO")
    assert codes == [1]
    assert "hubs/oceans/rendered.values.yaml: is not a regular file" in capsys.readouterr().err


def test_new_hub_interrupted_while_writing_leaves_no_folder(example_fleet, monkeypatch):
    import builtins
    import io

    from hubfleet.app.scaffold import new_hub

    real, opened = builtins.open, []

    def interrupted(file, *args, **kwargs):
        if "fresh" in str(file):
            opened.append(file)
            if len(opened) == 2:
                raise KeyboardInterrupt  # Ctrl-C while the second file is written
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", interrupted)
    monkeypatch.setattr(io, "open", interrupted)
    with pytest.raises(KeyboardInterrupt):
        new_hub("fresh", "uni-west", start=example_fleet)
    assert len(opened) == 2
    assert [p.name for p in (example_fleet / "hubs").iterdir() if "fresh" in p.name] == []
