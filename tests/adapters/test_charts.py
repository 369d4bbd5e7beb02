"""hubfleet.charts: schema and defaults from real charts, pulled once, cached, seeded."""

from __future__ import annotations

import hashlib
import json

import pytest

from helpers.chartrepo import SCHEMA, free_port_url, write_chart
from hubfleet.adapters import charts, helm
from hubfleet.adapters.charts import cache_key, chart_dir, chart_meta, folder_digest, seed_cache
from hubfleet.adapters.runner import run
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Chart

pytestmark = pytest.mark.slow


def test_cache_key_names_repo_name_and_version():
    a = Chart("k", "jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.4.0")
    keys = {
        cache_key(a),
        cache_key(Chart("k", "jupyterhub", "https://other.example/charts/", "4.4.0")),
        cache_key(Chart("k", "binderhub", "https://hub.jupyter.org/helm-chart/", "4.4.0")),
        cache_key(Chart("k", "jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.3.0")),
    }
    assert len(keys) == 4
    assert cache_key(a) == cache_key(
        Chart("other-key", "jupyterhub", "https://hub.jupyter.org/helm-chart", "4.4.0")
    )


def test_folder_digest_follows_content(tmp_path):
    chart = write_chart(tmp_path)
    before = folder_digest(chart)
    assert folder_digest(chart) == before
    (chart / "values.yaml").write_text("greeting: bye\n")
    assert folder_digest(chart) != before


@pytest.fixture
def state(tmp_path, monkeypatch, helm_bin):
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("HUBFLEET_HELM", str(helm_bin))
    return tmp_path


def counting():
    calls = []

    def runner(argv, **kw):
        calls.append(list(argv))
        return run(argv, **kw)

    return runner, calls


def test_repository_chart_is_pulled_once_and_reused(state, chart_repo):
    chart = Chart("tiny", "tinyhub", chart_repo.url, "0.1.0")
    runner, calls = counting()
    meta = chart_meta(state, chart, runner=runner)
    assert meta is not None and meta.schema == SCHEMA and meta.defaults["greeting"] == "hello"
    archive = chart_repo.folder / "tinyhub-0.1.0.tgz"
    assert meta.digest == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert [c[1:3] for c in calls] == [["pull", "--repo"]]
    again = chart_meta(state, chart, runner=runner, offline=True)
    assert again == meta and len(calls) == 1
    assert (chart_dir(state, chart, runner=runner) / "templates" / "secret.yaml").is_file()
    assert len(calls) == 1


def test_versions_are_cached_apart(state, chart_repo):
    one = chart_meta(state, Chart("tiny", "tinyhub", chart_repo.url, "0.1.0"))
    two = chart_meta(state, Chart("tiny", "tinyhub", chart_repo.url, "0.2.0"))
    assert one and two and one.digest != two.digest


def test_offline_and_not_cached_is_none(state, chart_repo):
    assert chart_meta(state, Chart("tiny", "tinyhub", chart_repo.url, "0.1.0"), offline=True) is None


def test_unreachable_repository_is_a_clear_error(state):
    url = free_port_url()
    with pytest.raises(HubfleetError) as e:
        chart_meta(state, Chart("tiny", "tinyhub", url, "0.1.0"))
    text = str(e.value)
    assert "charts.tiny" in text and url in text and "--offline" in text and "seed" in text
    assert not list((state / "state" / "charts").rglob("meta.json"))


def test_seeded_chart_serves_metadata_but_not_templates(state, tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "values.schema.json").write_text(json.dumps(SCHEMA))
    (folder / "values.yaml").write_text("greeting: hi\n")
    chart = Chart("jupyterhub", "jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.4.0")
    seed_cache(state, chart, folder)

    def no_network(argv, **kw):
        raise AssertionError(f"ran {argv}")

    meta = chart_meta(state, chart, runner=no_network)
    assert meta and meta.schema == SCHEMA and meta.defaults == {"greeting": "hi"}
    assert meta.source.startswith("seeded from")
    with pytest.raises(HubfleetError, match="only the schema and defaults"):
        chart_dir(state, chart, runner=no_network)


def test_a_schema_only_seed_says_how_to_seed_the_whole_chart(state, tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "values.schema.json").write_text(json.dumps(SCHEMA))
    chart = Chart("jupyterhub", "jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.4.0")
    seed_cache(state, chart, folder)
    with pytest.raises(HubfleetError) as e:
        chart_dir(state, chart, runner=run)
    text = str(e.value)
    assert f"seeded from {folder}, which has no Chart.yaml and templates/" in text
    assert "`invoke setup --seed-chart jupyterhub=CHART.tgz` (a packaged chart) or a chart folder" in text


def test_a_chart_folder_seed_is_the_whole_chart_templates_included(state, tmp_path):
    folder = write_chart(tmp_path, name="jupyterhub", version="4.4.0")
    chart = Chart("jupyterhub", "jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.4.0")
    seed_cache(state, chart, folder)

    def no_network(argv, **kw):
        raise AssertionError(f"ran {argv}")

    meta = chart_meta(state, chart, runner=no_network)
    assert meta and meta.schema == SCHEMA
    assert (chart_dir(state, chart, runner=no_network) / "templates" / "secret.yaml").is_file()
    wrong = write_chart(tmp_path / "other", name="jupyterhub", version="4.3.0")
    with pytest.raises(HubfleetError, match=r"pins jupyterhub 4\.4\.0"):
        seed_cache(state, chart, wrong)


def test_seed_needs_chart_files(state, tmp_path):
    with pytest.raises(HubfleetError, match="neither"):
        seed_cache(state, Chart("j", "j", "https://x.example/", "1"), tmp_path)


def test_chart_folder_is_read_in_place_and_its_dependencies_built(state):
    root = state / "fleet"
    parent = write_chart(root / "charts", name="basehub")
    write_chart(root / "charts", name="sub")
    with (parent / "Chart.yaml").open("a") as f:
        f.write("dependencies:\n- name: sub\n  version: 0.1.0\n  repository: file://../sub\n")
    chart = Chart("base", "basehub", path="charts/basehub")
    assert charts.needs_dependency_build(parent)
    assert chart_meta(state / "fleet", chart, offline=True).subcharts == ()  # offline: nothing built
    meta = chart_meta(state / "fleet", chart)  # builds the dependency: its schema is the subchart's
    assert list((parent / "charts").glob("sub-0.1.0.tgz"))
    assert not charts.needs_dependency_build(parent)
    assert meta and meta.schema == SCHEMA and meta.digest == folder_digest(parent)
    assert [(s.key, s.schema) for s in meta.subcharts] == [("sub", SCHEMA)]
    assert chart_dir(root, chart) == parent


def test_not_a_chart_folder(state):
    with pytest.raises(HubfleetError, match=r"charts.x.path: nowhere is not a chart folder"):
        chart_meta(state, Chart("x", "x", path="nowhere"))


def test_pull_argv_for_oci():
    argv = helm.pull_argv(Chart("z", "jupyterhub", "oci://ghcr.io/org/charts", "1.2.3"), "/d")
    assert argv == [
        "helm",
        "pull",
        "oci://ghcr.io/org/charts/jupyterhub",
        "--version",
        "1.2.3",
        "--destination",
        "/d",
    ]
