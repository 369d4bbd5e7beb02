"""Shared fixtures. Reusable pieces live in tests/helpers/; keep this file small."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
FLEET_FILES = ("fleet.yaml", "clusters", "hubs", "support", "charts")
# The example fleet's support charts, packaged in ../shared/charts/repo (fleet.yaml key -> archive).
SUPPORT_ARCHIVES = {
    "ingress-nginx": "ingress-nginx-4.15.1.tgz",
    "cert-manager": "cert-manager-v1.19.6.tgz",
    "prometheus": "prometheus-29.27.0.tgz",
}


from helpers.shared import shared_dir  # noqa: E402


@pytest.fixture(autouse=True)
def _no_leaked_runner_state():
    """The runner's process-wide state starts clean in every test: `interrupted` (Ctrl-C; a test
    that set it, or ended before its timer did, failed every later test's commands with
    `Interrupted`) and the remembered secret values (masked in every message: a value one test
    decrypted turned `kind: ConfigMap` into `*****Map` in later tests' output)."""
    from hubfleet.adapters import runner

    runner.interrupted.clear()
    runner._known = None
    yield
    runner.interrupted.clear()
    runner._known = None


@pytest.fixture(scope="session")
def jupyterhub_chart_dir() -> Path:
    shared = shared_dir()
    if shared is None or not (shared / "charts" / "jupyterhub-4.4.0").is_dir():
        pytest.skip("../shared/charts/jupyterhub-4.4.0 is absent (set HUBFLEET_SHARED to its parent)")
    return shared / "charts" / "jupyterhub-4.4.0"


@pytest.fixture(scope="session")
def jupyterhub_schema(jupyterhub_chart_dir, tmp_path_factory):
    """The real jupyterhub 4.4.0 values schema with its defaults, as Helm validates them."""
    from hubfleet.core.chartschema import ChartSchema

    schema = json.loads((jupyterhub_chart_dir / "values.schema.json").read_text())
    defaults = yaml.safe_load((jupyterhub_chart_dir / "values.yaml").read_text())
    return ChartSchema(schema, defaults, tmp_path_factory.mktemp("schema-cache"))


@pytest.fixture
def example_fleet(tmp_path, monkeypatch) -> Path:
    """A copy of this repository's example fleet, as the working directory, with its own state."""
    root = tmp_path / "fleet"
    root.mkdir()
    for name in FLEET_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        else:
            shutil.copy(src, root / name)
    monkeypatch.chdir(root)
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    return root


@pytest.fixture
def seeded_fleet(example_fleet, jupyterhub_chart_dir) -> Path:
    """The example fleet with its charts seeded in its cache (no network): the jupyterhub chart's
    schema and defaults, and the support releases' real packaged charts."""
    from hubfleet.adapters.charts import seed_cache
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet

    fleet = load_fleet(DirSource(example_fleet))
    seed_cache(example_fleet, fleet.config.charts["jupyterhub"], jupyterhub_chart_dir)
    repo = jupyterhub_chart_dir.parent / "repo"
    for key, archive in SUPPORT_ARCHIVES.items():
        if key in fleet.config.charts and (repo / archive).is_file():
            seed_cache(example_fleet, fleet.config.charts[key], repo / archive)
    return example_fleet


# Real helm/sops, a served chart repository and a deployable fleet (tests/helpers/).
from helpers.chartrepo import chart_repo, shared_chart_repo  # noqa: E402, F401
from helpers.fleetbuild import deploy_env  # noqa: E402, F401
from helpers.realtools import age_key, helm_bin, sops_bin  # noqa: E402, F401
from helpers.standinfleet import standin_fleet  # noqa: E402, F401
