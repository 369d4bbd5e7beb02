"""Editor support: `invoke setup` writes the schemas `.vscode/settings.json` maps the fleet's files to."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import jsonschema
import yaml

from hubfleet.app.editor import vscode_settings, write_schemas
from hubfleet.app.load import load_work_tree
from hubfleet.cli.commands.setup import editor_schemas

REPO = Path(__file__).resolve().parents[2]


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.yaml") if ".hubfleet" not in p.parts)


def test_the_committed_vscode_settings_are_the_generated_ones():
    committed = json.loads((REPO / ".vscode/settings.json").read_text())
    _, fleet = load_work_tree(REPO)
    assert committed["yaml.schemas"] == vscode_settings(fleet)["yaml.schemas"], "run `invoke setup`"


def test_setup_keeps_the_vscode_settings_current_and_other_settings_alone(example_fleet):
    from hubfleet.app.editor import update_vscode_settings

    _, fleet = load_work_tree(example_fleet)
    settings = example_fleet / ".vscode/settings.json"
    settings.parent.mkdir()
    settings.write_text('{"editor.tabSize": 2, "yaml.schemas": {"old.json": ["x"]}}')
    assert update_vscode_settings(example_fleet, fleet) is True
    doc = json.loads(settings.read_text())
    assert doc["editor.tabSize"] == 2 and doc["yaml.schemas"] == vscode_settings(fleet)["yaml.schemas"]
    assert update_vscode_settings(example_fleet, fleet) is False
    support = doc["yaml.schemas"]["./.hubfleet/schemas/charts/ingress-nginx.values.schema.json"]
    assert support == ["/support/ingress-nginx.values.yaml", "/clusters/*/support/ingress-nginx.values.yaml"]


def test_every_mapped_file_validates_against_the_written_schema(seeded_fleet, capsys):
    editor_schemas(seeded_fleet)  # jupyterhub's schema and the support charts' packages are seeded
    out = capsys.readouterr()
    assert "editor schemas: 8 file(s)" in out.out
    assert "charts.cert-manager: warning" not in out.err
    files = _files(seeded_fleet)
    _, fleet = load_work_tree(seeded_fleet)
    for schema_path, globs in vscode_settings(fleet)["yaml.schemas"].items():
        schema = json.loads((seeded_fleet / schema_path).read_text())  # written where VS Code looks
        validator = jsonschema.Draft7Validator(schema)
        matched = [f for f in files if any(fnmatch.fnmatch("/" + f, g) for g in globs)]
        assert matched, (schema_path, globs)
        for f in matched:
            doc = yaml.safe_load((seeded_fleet / f).read_text()) or {}
            assert not [e.message for e in validator.iter_errors(doc)], f
    hub = jsonschema.Draft7Validator(
        json.loads((seeded_fleet / ".hubfleet/schemas/hub.schema.json").read_text())
    )
    assert not hub.is_valid({"name": "x", "cluster": "c", "domain": "x.example", "stgae": "prod"})
    values = jsonschema.Draft7Validator(
        json.loads((seeded_fleet / ".hubfleet/schemas/values.schema.json").read_text())
    )
    assert not values.is_valid({"singleuser": {"memory": {"limt": "1G"}}})


def test_a_chart_not_at_hand_is_a_warning_and_another_chart_gets_its_own_file(seeded_fleet, tmp_path):
    # a chart folder, and a repository chart that cannot be had
    text = (
        (seeded_fleet / "fleet.yaml")
        .read_text()
        .replace(
            "charts:\n",
            "charts:\n  tiny: {path: charts/tiny}\n  gone: {repo: 'https://charts.invalid/x', version: 1.0.0}\n",
            1,
        )
    )
    (seeded_fleet / "fleet.yaml").write_text(text)
    chart = seeded_fleet / "charts/tiny"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("# -- what to say\ngreeting: hello\n")
    _, fleet = load_work_tree(seeded_fleet)

    def meta(c):
        if c.key == "gone":
            return None  # as when offline and not cached
        from hubfleet.adapters import charts

        return charts.chart_meta(seeded_fleet, c, offline=True)

    written, warnings = write_schemas(seeded_fleet, fleet, chart_meta=meta)
    assert ".hubfleet/schemas/charts/tiny.values.schema.json" in written
    assert (
        "fleet.yaml: charts.gone: warning: no values schema for editors (not in the chart cache): "
        "`invoke validate` or `invoke setup --seed-chart gone=DIR` caches the chart"
    ) in warnings
    assert not [w for w in warnings if "charts.tiny" in w or "charts.jupyterhub" in w]
    tiny = json.loads((seeded_fleet / ".hubfleet/schemas/charts/tiny.values.schema.json").read_text())
    assert tiny["properties"]["greeting"] == {
        "description": "what to say",
        "default": "hello",
    }  # no schema: open
