"""Issue 22's input reproductions on the example fleet: each is one located line naming its key path."""

from __future__ import annotations

import pytest

from app.test_issue14_inputs import append, fails_with
from hubfleet.adapters import yamlio
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import render as render_cmd
from hubfleet.core.errors import HubfleetError


def test_an_interpolation_in_a_mapping_key_is_refused_with_its_line_and_key_path(seeded_fleet, capsys):
    """Item 16: `custom: {${hub:name}: x}` stayed literal and validate passed."""
    append(seeded_fleet, "hubs/oceans/values.yaml", "custom:\n  ${hub:name}: x\n")
    line = fails_with(
        capsys, "hubs/oceans/values.yaml:", "custom.${hub:name}: an interpolation in a key", hub="oceans"
    )
    assert "use a fixed key" in line and line.split(":")[1].isdigit()
    assert boundary(render_cmd.run, hub="oceans", check=True) == 1
    assert "custom.${hub:name}: an interpolation in a key" in capsys.readouterr().err


def test_an_interpolation_in_a_flow_mapping_key_in_a_layer_names_that_layer(seeded_fleet, capsys):
    append(seeded_fleet, "clusters/common.values.yaml", "custom: {'${hub:name}': x}\n")
    fails_with(
        capsys, "clusters/common.values.yaml:", "custom.${hub:name}: an interpolation in a key", hub="oceans"
    )


def test_nan_names_its_key_path_as_well_as_its_line(seeded_fleet, capsys):
    """Item 17: `.nan` in singleuser.memory.limit was located by line only."""
    append(seeded_fleet, "hubs/oceans/values.yaml", "singleuser:\n  memory:\n    limit: .nan\n")
    line = fails_with(capsys, "hubs/oceans/values.yaml:", "singleuser.memory.limit: `.nan`", hub="oceans")
    assert line.split(":")[1].isdigit()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a:\n  b:\n    - x\n    - {c: .inf}\n", "4: a.b[1].c: "),
        ("a:\n  k: 1\n  k: 2\n", "3: a.k: key `k` is repeated"),
        ("a:\n  1: x\n  '1': y\n", "3: a.1: keys"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n  z: !!float .nan\n", "4: other.z: "),
        ("a:\n  b:\n    ~: x\n", "3: a.b.~: "),
    ],
)
def test_every_loader_problem_names_its_key_path(text, where):
    with pytest.raises(HubfleetError) as e:
        yamlio.parse(text, "f.yaml")
    assert str(e.value).startswith(f"f.yaml:{where}"), str(e.value)
