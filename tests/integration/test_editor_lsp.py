"""An editor opening the repository: the real yaml-language-server (VS Code's YAML extension's
server), given the committed `.vscode/settings.json`, completes, describes and flags the fleet's
files from the schemas `invoke setup` wrote."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.lsp import LspClient

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def yaml_language_server(tmp_path_factory) -> list[str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed for yaml-language-server")
    folder = tmp_path_factory.mktemp("yaml-language-server")
    proc = subprocess.run(
        [
            npm,
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(folder),
            "yaml-language-server@1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    server = folder / "node_modules/yaml-language-server/bin/yaml-language-server"
    if proc.returncode != 0 or not server.is_file():
        pytest.skip(f"npm could not install yaml-language-server: {proc.stderr.strip()[-300:]}")
    return [node, str(server), "--stdio"]


@pytest.fixture
def editor(seeded_fleet, yaml_language_server):
    from hubfleet.cli.commands.setup import editor_schemas

    shutil.copytree(REPO / ".vscode", seeded_fleet / ".vscode")  # as committed
    editor_schemas(seeded_fleet)  # what `invoke setup` does after installing the tools
    settings = json.loads((seeded_fleet / ".vscode/settings.json").read_text())
    client = LspClient(yaml_language_server, seeded_fleet, {"yaml": {"schemas": settings["yaml.schemas"]}})
    client.start()
    yield client
    client.close()


def _messages(diagnostics) -> list[tuple[int, str]]:
    return [(d["range"]["start"]["line"], d["message"]) for d in diagnostics]


def test_hub_yaml_completes_describes_and_flags(editor, seeded_fleet):
    uri = editor.open(seeded_fleet / "hubs/new/hub.yaml", "name: new\ncluster: uni-west\nstgae: prod\n")
    found = _messages(editor.wait_diagnostics(uri))
    assert (2, "Property stgae is not allowed.") in found
    assert any("domain" in m for _, m in found)  # required
    labels = editor.completion(uri, 3, 0)
    assert {"domain", "stage", "chart", "namespace", "local", "waive"} <= set(labels)
    assert "A folder under clusters/." in editor.hover(uri, 1, 2)


def test_a_values_layer_completes_from_the_charts_own_schema(editor, seeded_fleet):
    uri = editor.open(seeded_fleet / "hubs/new/values.yaml", "singleuser:\n  memory:\n    limt: 1G\n  \n")
    assert (2, "Property limt is not allowed.") in _messages(editor.wait_diagnostics(uri))
    labels = editor.completion(uri, 3, 2)
    assert {"cpu", "image", "profileList", "extraEnv", "storage"} <= set(labels)
    layer = editor.open(
        seeded_fleet / "clusters/uni-west/common.values.yaml", "singleuser:\n  startTimeout: ${custom.t}\n"
    )
    assert _messages(editor.wait_diagnostics(layer)) == []  # an interpolation where a number goes


def test_the_example_files_open_clean(editor, seeded_fleet):
    for rel in (
        "fleet.yaml",
        "clusters/gcp-eu/cluster.yaml",
        "hubs/oceans/hub.yaml",
        "hubs/oceans/values.yaml",
        "clusters/common.values.yaml",
    ):
        uri = editor.open(seeded_fleet / rel, (seeded_fleet / rel).read_text())
        assert _messages(editor.wait_diagnostics(uri)) == [], rel
