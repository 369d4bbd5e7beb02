"""`deploy --dry-run`: Helm's schema error, mapped back to the layer file and line that set the key."""

from __future__ import annotations

import pytest

from hubfleet.adapters import charts, helm
from hubfleet.adapters.runner import CommandError, Completed
from hubfleet.app.deploy import dry_run_manifests
from hubfleet.app.load import load_work_tree
from hubfleet.core.errors import HubfleetError

OLD = """Error: values don't meet the specifications of the schema(s) in the following chart(s):
jupyterhub:
- singleuser.image: Additional property tagg is not allowed
- singleuser.profileList.1.display_name: Invalid type. Expected: integer, given: string
"""
NEW = """Error: values don't meet the specifications of the schema(s) in the following chart(s):
jupyterhub:
- at '/singleuser/image': additional properties 'tagg' not allowed
- at '/singleuser/profileList/1/display_name': got string, want integer
"""


@pytest.mark.parametrize("stderr", [OLD, NEW], ids=["helm-3.18", "jsonschema-v6"])
def test_both_of_helms_forms_are_read(stderr):
    assert [kp for kp, _ in helm.schema_errors(stderr, "jupyterhub")] == [
        ("singleuser", "image", "tagg"),
        ("singleuser", "profileList", 1, "display_name"),
    ]


@pytest.mark.parametrize("stderr", [OLD, NEW], ids=["helm-3.18", "jsonschema-v6"])
def test_dry_run_names_the_layer_file_and_line(example_fleet, monkeypatch, tmp_path, stderr):
    monkeypatch.setattr(charts, "chart_dir", lambda root, chart, runner: tmp_path)
    monkeypatch.setattr(helm, "_exe", lambda root, runner: "helm")

    def refusing(argv, **kw):
        raise CommandError(Completed(tuple(argv), 1, "", stderr))

    _, fleet = load_work_tree(example_fleet)
    with pytest.raises(HubfleetError) as e:
        dry_run_manifests(example_fleet, fleet, fleet.hubs["climate"], runner=refusing)
    lines = str(e.value).splitlines()
    assert lines[0].startswith("hubs/climate: Helm refused the values")
    assert lines[1].startswith("hubs/climate/values.yaml:11: singleuser.image.tagg: helm template: ")
    assert lines[2].startswith("hubs/climate/values.yaml:17: singleuser.profileList[1].display_name: ")
