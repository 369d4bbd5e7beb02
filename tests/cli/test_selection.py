"""Selection: `deploy`, `validate`, `render`, `diff` and `status` take several hubs (`--hub a,b` or
`--hub a --hub b`) and `--cluster C`; a mistyped name gets a suggestion."""

from __future__ import annotations

import pytest

from helpers.cli import hubfleet

UNI_WEST = ["uni-staging", "uni-research", "uni-teaching"]


@pytest.mark.parametrize(
    "selection, hubs",
    [
        (["--hub", "oceans,climate"], 2),
        (["--hub", "oceans", "--hub", "climate"], 2),
        (["--hub", "oceans", "--hub", "oceans"], 1),
        (["--cluster", "uni-west"], 3),
    ],
)
def test_validate_and_render_check_the_hubs_selected(seeded_fleet, capsys, selection, hubs):
    code, out, err = hubfleet(["validate", "--offline", *selection], capsys)
    assert code == 0, err
    assert f"{hubs} hub(s) checked: 0 error(s)" in out and "support release" not in out
    code, out, err = hubfleet(["render", "--check", *selection], capsys)
    assert code == 0, err
    assert f"{hubs} rendered file(s) up to date" in out


@pytest.mark.parametrize("command", ["validate", "render", "deploy", "diff", "status"])
def test_a_mistyped_name_gets_a_suggestion(example_fleet, capsys, command):
    for selection, hint in (
        (["--hub", "oceans,ocean"], "no hub `ocean` in hubs/ (did you mean `oceans`?)"),
        (["--cluster", "aws"], "no cluster `aws` in clusters/ (did you mean `aws-us`?)"),
        (["--hub", "oceans,"], "--hub oceans,: an empty name (give --hub a,b or --hub a --hub b)"),
        (["--hub", "oceans", "--cluster", "aws-us"], "give --hub or --cluster, not both"),
    ):
        code, out, err = hubfleet([command, *selection], capsys)
        assert code == 1, (command, selection, out)
        assert hint in err, (command, selection)


def test_status_shows_the_hubs_selected(example_fleet, capsys):
    code, out, err = hubfleet(["status", "--hub", "uni-teaching,oceans"], capsys)
    assert code == 0, err
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["oceans", "uni-teaching"]
    code, out, err = hubfleet(["status", "--cluster", "uni-west"], capsys)
    assert [line.split()[0] for line in out.splitlines()[1:] if " support " not in line] == UNI_WEST


def test_diff_and_deploy_take_the_hubs_selected(example_fleet, capsys, monkeypatch):
    from hubfleet.app import deploy, diff
    from hubfleet.core import rollout

    seen: list[str] = []

    def record(verb):
        def fake(root, fleet, name, **kwargs):
            seen.append(f"{verb} {name}")
            return (
                rollout.Result(name, True, "shown") if verb == "deploy" else diff.HubDiff(name, "c", "same")
            )

        return fake

    monkeypatch.setattr(diff, "diff_hub", record("diff"))
    monkeypatch.setattr(deploy, "deploy_hub", record("deploy"))
    assert hubfleet(["diff", "--hub", "oceans", "--hub", "climate"], capsys)[0] == 0
    assert hubfleet(["deploy", "--hub", "oceans,climate", "--dry-run"], capsys)[0] == 0
    assert seen == ["diff oceans", "diff climate", "deploy oceans", "deploy climate"]
