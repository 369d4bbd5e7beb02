"""Wrapper charts (2i2c's basehub style): Helm checks a subchart's values with the subchart's schema.

A real chart folder with a `file://` dependency, vendored by real `helm dependency build`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubfleet.adapters.source import DirSource
from hubfleet.app.load import load_fleet
from hubfleet.app.validate import validate_fleet
from hubfleet.core.chartschema import ChartSchema

INNER_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["image", "global"],
    "properties": {
        "image": {"type": "string"},
        "memory": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"limit": {"type": "string"}},
        },
        "global": {"type": "object"},
    },
}


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def wrapper_fleet(tmp_path, monkeypatch, helm_bin) -> Path:
    monkeypatch.setenv("HUBFLEET_HELM", str(helm_bin))
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    root = tmp_path / "fleet"
    _write(root, "charts/inner/Chart.yaml", "apiVersion: v2\nname: inner\nversion: 0.1.0\n")
    _write(root, "charts/inner/values.yaml", "image: quay.io/x/y\nmemory: {limit: 1G}\n")
    _write(root, "charts/inner/values.schema.json", json.dumps(INNER_SCHEMA))
    _write(
        root,
        "charts/wrapper/Chart.yaml",
        "apiVersion: v2\nname: wrapper\nversion: 0.1.0\ndependencies:\n"
        "  - {name: inner, version: 0.1.0, repository: 'file://../inner', alias: jupyterhub}\n"
        "  - {name: inner, version: 0.1.0, repository: 'file://../inner', alias: dask, condition: dask.enabled}\n",
    )
    _write(
        root, "charts/wrapper/values.yaml", "jupyterhub:\n  memory: {limit: 2G}\ndask:\n  enabled: false\n"
    )
    _write(root, "fleet.yaml", "charts:\n  wrapper: {path: charts/wrapper}\ndefault_chart: wrapper\n")
    _write(root, "clusters/c/cluster.yaml", "name: c\nprovider: kubeconfig\nkubeconfig: {context: c}\n")
    _write(root, "hubs/h/hub.yaml", "name: h\ncluster: c\ndomain: h.example\n")
    _write(root, "hubs/h/values.yaml", "jupyterhub:\n  memory:\n    limt: 3G\ndask:\n  anything: goes\n")
    return root


def test_subchart_values_are_checked_with_the_subcharts_schema(wrapper_fleet):
    fleet = load_fleet(DirSource(wrapper_fleet))
    found = validate_fleet(wrapper_fleet, fleet, rendered=False)  # (nothing is rendered here)
    problems = [str(p) for p in found if p.severity == "error"]
    # `helm dependency build` vendored the subchart; its schema caught the typo under the alias,
    # its defaults supplied the required `image`, and the disabled `dask` alias was not checked.
    assert (wrapper_fleet / "charts/wrapper/charts/inner-0.1.0.tgz").is_file()
    assert problems == [
        "hubs/h/values.yaml:3: jupyterhub.memory.limt: unknown key for this chart (did you mean `limit`?)"
    ]


def test_a_subchart_s_defaults_sit_under_its_key_and_the_parent_wins():
    inner = ChartSchema(INNER_SCHEMA, {"image": "a", "memory": {"limit": "1G"}})
    wrapper = ChartSchema(
        None, {"jupyterhub": {"memory": {"limit": "2G"}}}, subcharts=[("jupyterhub", None, inner)]
    )
    assert wrapper.defaults == {"jupyterhub": {"image": "a", "memory": {"limit": "2G"}}}
    assert wrapper.errors({"jupyterhub": {"memory": {"limit": "3G"}}}) == []
    [error] = wrapper.errors({"jupyterhub": {"image": 5}})
    assert error.keypath == ("jupyterhub", "image") and error.message.startswith("must be string")
    # a null deletes the subchart default, and the subchart's `required` says so
    [error] = wrapper.errors({"jupyterhub": {"image": None}})
    assert error.keypath == ("jupyterhub", "image") and "required" in error.message
