"""A hub copied with another's domain (namespace, local port): the newcomer is blamed, in its own
hub.yaml, and render refuses only it (issue 23)."""

from __future__ import annotations

import os
import shutil

import pytest

from helpers.git import git
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import validate as validate_cmd

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def committed(seeded_fleet):
    git(seeded_fleet, "init", "-q", "-b", "main")
    git(seeded_fleet, "add", "-A")
    git(seeded_fleet, "commit", "-q", "-m", "fleet")
    return seeded_fleet


def _copy_hub(root, src: str, dst: str, edit: tuple[str, str] | None = None) -> None:
    shutil.copytree(root / "hubs" / src, root / "hubs" / dst)
    hub_yaml = root / "hubs" / dst / "hub.yaml"
    text = hub_yaml.read_text().replace(f"name: {src}", f"name: {dst}")
    hub_yaml.write_text(text.replace(*edit) if edit else text)


def _validate(capsys) -> tuple[int, list[str]]:
    code = boundary(validate_cmd.run, offline=True)
    return code, capsys.readouterr().err.splitlines()


def test_the_copy_is_blamed_not_the_hub_it_copied_and_domain_is_said_once(committed, capsys):
    _copy_hub(committed, "uni-teaching", "phys-101")  # sorts before uni-teaching
    code, err = _validate(capsys)
    assert code == 1
    blamed = [line for line in err if "teaching.hub.uni.example" in line]
    assert blamed == [
        "hubs/phys-101/hub.yaml:3: domain: teaching.hub.uni.example is already used by hub `uni-teaching`"
    ], err


def test_without_git_the_later_name_is_blamed(seeded_fleet, capsys):
    _copy_hub(seeded_fleet, "uni-teaching", "zoo-101")
    _, err = _validate(capsys)
    assert [line for line in err if "already used" in line] == [
        "hubs/zoo-101/hub.yaml:3: domain: teaching.hub.uni.example is already used by hub `uni-teaching`"
    ]


def test_a_changed_hub_yaml_is_the_newcomer_whatever_its_name(committed, capsys):
    """uni-teaching is the one edited to take climate's domain: it is blamed, not climate."""
    hub_yaml = committed / "hubs/uni-teaching/hub.yaml"
    climate = (committed / "hubs/climate/hub.yaml").read_text().split("domain: ")[1].split()[0]
    hub_yaml.write_text(hub_yaml.read_text().replace("teaching.hub.uni.example", climate))
    _, err = _validate(capsys)
    assert [line for line in err if "already used" in line] == [
        f"hubs/uni-teaching/hub.yaml:3: domain: {climate} is already used by hub `climate`"
    ]


def test_namespace_and_local_port_blame_the_newcomer(committed, capsys):
    _copy_hub(committed, "uni-teaching", "phys-101", ("teaching.hub", "phys.hub"))
    hub_yaml = committed / "hubs/phys-101/hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text() + "namespace: uni-teaching\n")
    _copy_hub(committed, "demo", "bemo", ("demo.localhost", "bemo.localhost"))
    _, err = _validate(capsys)
    assert [line for line in err if "already used" in line] == [
        "hubs/bemo/hub.yaml:5: local: port 8000 is already used by hub `demo`",
        "hubs/phys-101/hub.yaml:4: namespace: uni-teaching on cluster uni-west is already used by hub "
        "`uni-teaching`: give this hub its own `namespace:`",
    ]


def test_render_refuses_only_the_hubs_concerned(committed, capsys):
    _copy_hub(committed, "uni-teaching", "phys-101")
    layer = committed / "clusters/uni-west/common.values.yaml"
    layer.write_text(layer.read_text() + "\ncustom:\n  edited: true\n")
    before = (committed / "hubs/uni-teaching/rendered.values.yaml").read_text()
    os.remove(committed / "hubs/phys-101/rendered.values.yaml")
    code = boundary(render_cmd.run)
    out = capsys.readouterr()
    assert code == 1
    assert "hubs/phys-101/hub.yaml:3: domain: teaching.hub.uni.example is already used" in out.err
    assert (committed / "hubs/uni-teaching/rendered.values.yaml").read_text() != before  # rendered
    assert not (committed / "hubs/phys-101/rendered.values.yaml").exists()  # refused
