"""`invoke validate --hub H` runs every check that concerns H, rules between files included."""

from __future__ import annotations

import shutil

from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import validate as validate_cmd


def _copy_hub(root, src: str, dst: str) -> None:
    shutil.copytree(root / "hubs" / src, root / "hubs" / dst)
    hub_yaml = root / "hubs" / dst / "hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text().replace(f"name: {src}", f"name: {dst}"))


def test_a_copied_hub_with_an_existing_domain_fails_its_own_validation(seeded_fleet, capsys):
    # `chem-101` sorts before `uni-teaching`: a whole-fleet check blames the later one, uni-teaching
    _copy_hub(seeded_fleet, "uni-teaching", "chem-101")
    code = boundary(validate_cmd.run, hub="chem-101")
    err = capsys.readouterr().err
    assert code == 1, err
    assert (
        "hubs/chem-101/hub.yaml:3: domain: teaching.hub.uni.example is already used by hub `uni-teaching`"
        in err
    )


def test_the_other_hub_of_the_conflict_fails_too(seeded_fleet, capsys):
    _copy_hub(seeded_fleet, "uni-teaching", "chem-101")
    assert boundary(validate_cmd.run, hub="uni-teaching") == 1
    assert (
        "hubs/uni-teaching/hub.yaml:3: domain: teaching.hub.uni.example is already used by hub `chem-101`"
        in capsys.readouterr().err
    )


def test_an_unrelated_hub_is_not_blamed(seeded_fleet, capsys):
    _copy_hub(seeded_fleet, "uni-teaching", "chem-101")
    assert boundary(validate_cmd.run, hub="oceans") == 0, capsys.readouterr().err


def test_a_hub_in_a_support_releases_namespace_is_refused(seeded_fleet, capsys):
    """Issue 22 item 1: a hub with `namespace: cert-manager` (where the cert-manager support release
    runs) would hand that namespace to prune when the hub is removed; validate refuses it."""
    hub_yaml = seeded_fleet / "hubs" / "uni-teaching" / "hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text() + "namespace: cert-manager\n")
    assert boundary(validate_cmd.run, hub="uni-teaching") == 1
    err = capsys.readouterr().err
    assert (
        "namespace: namespace cert-manager on cluster uni-west is support release `cert-manager`'s: "
        "give the hub its own `namespace:`" in err
    ), err
