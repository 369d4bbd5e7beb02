"""Chart bumps on the real jupyterhub charts 4.3.5 and 4.4.0, served from ../shared on 127.0.0.1."""

from __future__ import annotations

import pytest

from helpers.git import git
from hubfleet.adapters.source import DirSource
from hubfleet.app.chartdiff import chart_diff
from hubfleet.app.load import load_fleet
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import chart_diff as chart_diff_cmd
from hubfleet.core.chartdiff import ABSENT

UPSTREAM = "https://hub.jupyter.org/helm-chart/"


@pytest.fixture
def served_fleet(example_fleet, shared_chart_repo, helm_bin, monkeypatch):
    """The example fleet with its charts (jupyterhub, the support set) from the served real chart repository."""
    from helpers.chartrepo import point_at

    monkeypatch.setenv("HUBFLEET_HELM", str(helm_bin))
    point_at(example_fleet / "fleet.yaml", shared_chart_repo.url)
    return example_fleet


def _diff(root, before, after):
    (diff,) = chart_diff(root, load_fleet(DirSource(root)), before, after)
    return diff


def test_a_downgrade_lists_the_defaults_that_reach_hubs(served_fleet):
    diff = _diff(served_fleet, "4.4.0", "4.3.5")
    assert diff.downgrade and diff.key == "jupyterhub"
    changes = {c.keypath: (c.before, c.after, hubs) for c, hubs in diff.defaults}
    # the hub image's tag: no hub sets it, so the change reaches every hub of the chart
    assert changes[("hub", "image", "tag")] == ("4.4.0", "4.3.5", diff.hubs)
    # the user image's tag: climate sets its own singleuser.image, so the chart's default misses it
    before, after, hubs = changes[("singleuser", "image", "tag")]
    assert (before, after) == ("4.4.0", "4.3.5") and "climate" not in hubs and len(hubs) == len(diff.hubs) - 1
    assert all(c.before is not ABSENT for c, _ in diff.defaults)
    assert diff.schema == [] and diff.rejected == []  # the two releases ship the same values schema


def test_an_upgrade_is_not_a_downgrade(served_fleet):
    fleet_yaml = served_fleet / "fleet.yaml"
    fleet_yaml.write_text(fleet_yaml.read_text().replace("version: 4.4.0", "version: 4.3.5"))
    diff = _diff(served_fleet, "4.3.5", "4.4.0")
    assert not diff.downgrade
    assert ("hub", "image", "tag") in {c.keypath for c, _ in diff.defaults}


def test_the_command_prints_the_changes_and_warns_on_a_downgrade(served_fleet, capsys):
    assert boundary(chart_diff_cmd.run, from_version="4.4.0", to_version="4.3.5") == 0
    out = capsys.readouterr()
    assert "chart jupyterhub: jupyterhub 4.4.0 -> 4.3.5, 11 hub(s) (a downgrade)" in out.out
    assert '    hub.image.tag: "4.4.0" -> "4.3.5"  (all 11 hubs)' in out.out
    assert "singleuser.image.tag" in out.out and "10 of 11 hubs" in out.out
    assert "schema changes: 0" in out.out
    assert "warning: charts.jupyterhub: 4.4.0 -> 4.3.5 is a downgrade" in out.err


def test_an_unknown_from_version_is_one_located_line(served_fleet, capsys):
    assert boundary(chart_diff_cmd.run, from_version="4.4.1", to_version="4.3.5") == 1
    err = capsys.readouterr().err
    assert err.startswith("fleet.yaml:") and "no chart of a repository is at version 4.4.1" in err
    assert "did you mean `4.4.0`?" in err


def test_validate_warns_of_a_downgrade_against_the_plans_base(served_fleet, capsys):
    from hubfleet.cli.commands import render as render_cmd
    from hubfleet.cli.commands import validate as validate_cmd

    git(served_fleet, "init", "-q", "-b", "main")
    git(served_fleet, "add", "-A")
    git(served_fleet, "commit", "-q", "-m", "base")
    fleet_yaml = served_fleet / "fleet.yaml"
    fleet_yaml.write_text(fleet_yaml.read_text().replace("version: 4.4.0", "version: 4.3.5"))
    git(served_fleet, "commit", "-q", "-am", "go back")  # the base is HEAD~1 (no origin/main)
    assert boundary(render_cmd.run) == 0  # the headers name the version

    for _ in range(2):  # cold, then warm from the cache of the base's charts
        assert boundary(validate_cmd.run) == 0
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if "downgrade" in line]
        assert len(lines) == 1, err
        assert lines[0].startswith(
            "fleet.yaml:6: charts.jupyterhub.version: warning: jupyterhub 4.4.0 -> 4.3.5 is a chart downgrade against "
        )
        assert "`invoke chart-diff --from 4.4.0 --to 4.3.5`" in lines[0]

    fleet_yaml.write_text(fleet_yaml.read_text().replace("version: 4.3.5", "version: 4.4.0"))
    assert boundary(render_cmd.run) == 0
    assert boundary(validate_cmd.run) == 0
    assert "downgrade" not in capsys.readouterr().err
