"""The synthetic fleet generator, and the fast paths the benchmark relies on.

A generated fleet must load, render and validate with zero problems against the
real jupyterhub 4.4.0 schema; the fast pre-checks and caches must agree with the
slow, obvious way on good and bad input.
"""

from __future__ import annotations

import copy
import random
import shutil
from pathlib import Path

import cerberus
import pytest
import yaml
from devtools import synth

from hubfleet.adapters import parallel
from hubfleet.adapters.source import DirSource
from hubfleet.app import render, validate
from hubfleet.app.load import load_fleet
from hubfleet.app.renderall import render_fleet, stale_files, write_rendered
from hubfleet.core import compose, model, resolve, schemas, tree
from hubfleet.core.errors import HubfleetError


@pytest.fixture
def small_fleet(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    root = tmp_path / "fleet"
    synth.generate(root, 3, 2)
    return root


def test_generated_fleet_loads_renders_and_validates_clean(small_fleet, jupyterhub_schema):
    fleet = load_fleet(DirSource(small_fleet))
    assert fleet.problems == ()
    assert sorted(c.provider for c in fleet.clusters.values()) == ["eks", "gke", "kubeconfig"]
    assert sorted(h.stage for h in fleet.hubs.values()) == ["prod"] * 3 + ["staging"] * 3

    rendered = {r.hub: r for r in render_fleet(fleet)}
    assert len(rendered) == 6 + 3 * 2  # the hubs, and each cluster's two support releases
    assert (
        rendered["gke-001/monitoring"].values["server"]["global"]["external_labels"]["cluster"] == "gke-001"
    )
    hub = fleet.hubs["gke-001-hub01"]
    values = rendered[hub.name].values
    assert values["ingress"]["hosts"] == [hub.domain]
    assert values["singleuser"]["extraEnv"]["CLUSTER_NAME"] == "gke-001"
    assert values["singleuser"]["extraEnv"]["MEM_LIMIT_TEXT"] == values["singleuser"]["memory"]["limit"]
    post_start = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"][2]
    assert '"${HOME}/.config"' in post_start and "\\${" not in post_start  # the escape became literal

    def schema(chart):  # the real jupyterhub schema; the support charts' own (folders in the fleet)
        if chart.key == "jupyterhub":
            return jupyterhub_schema
        return validate.chart_schema_for(small_fleet, chart, offline=False)

    write_rendered(small_fleet, list(rendered.values()))  # validate checks them too
    found = validate.validate_fleet(small_fleet, fleet, chart_schema=schema)
    assert found == []


def test_layers_have_the_issues_sizes(small_fleet):
    assert 130 <= synth.count_leaves(synth.fleet_layer()) <= 170
    for path in small_fleet.glob("clusters/*/common.values.yaml"):
        assert 35 <= synth.count_leaves(yaml.safe_load(path.read_text())) <= 45, path
    for path in small_fleet.glob("hubs/*/values.yaml"):
        assert 25 <= synth.count_leaves(yaml.safe_load(path.read_text())) <= 35, path


def test_generation_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    synth.generate(a, 2, 3)
    synth.generate(b, 2, 3)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_generate_refuses_a_folder_that_holds_a_fleet(small_fleet):
    with pytest.raises(HubfleetError, match="already holds a fleet"):
        synth.generate(small_fleet, 1, 1)


def test_fast_resolver_matches_omegaconf_on_generated_layers(small_fleet):
    """The naive baseline in the bench computes the same values as our fast path."""
    fleet = load_fleet(DirSource(small_fleet))
    for hub in fleet.hubs.values():
        layers = render.hub_layers(fleet, hub)
        facts = compose.facts_for(fleet, hub)
        slow = resolve._resolve_with_omegaconf(tree.merge([data for _, data in layers]), facts)
        assert compose.compose(layers, facts) == slow, hub.name


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_fleet_is_committed_with_fresh_rendered_files(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    root = tmp_path / "fleet"
    synth.generate(root, 2, 2, git=True)
    assert (root / ".git").is_dir()
    fleet = load_fleet(DirSource(root))
    assert stale_files(root, render_fleet(fleet)) == []
    assert (root / "hubs/kcfg-000-staging/rendered.values.yaml").read_text().startswith("# GENERATED")


# --- the performance changes keep behaviour -----------------------------------------------


def _mutants(base: dict, rng: random.Random, n: int):
    values = [
        None,
        "",
        "A",
        1,
        0,
        True,
        -5,
        70000,
        "x.example.org",
        "UP",
        "a" * 70,
        [],
        {},
        ["a"],
        {"k": "v"},
        "staging",
        "gke",
        "allow-all",
        "http://x",
        2.5,
    ]
    for _ in range(n):
        doc = copy.deepcopy(base)
        for _ in range(rng.randint(1, 2)):
            node = doc
            while True:
                key = rng.choice([*node, "zz"])
                if isinstance(node.get(key), dict) and rng.random() < 0.5:
                    node = node[key]
                    continue
                if rng.random() < 0.2:
                    node.pop(key, None)
                else:
                    node[key] = rng.choice(values)
                break
        yield doc


@pytest.mark.parametrize(
    ("base", "schema"),
    [
        (
            {
                "name": "a-b",
                "cluster": "c",
                "domain": "x.example.org",
                "stage": "staging",
                "chart": "jh",
                "namespace": "ns",
                "local": {"port": 8000},
                "waive": {"allow-all": "public"},
            },
            schemas.HUB,
        ),
        (
            {"name": "c1", "provider": "gke", "gke": {"project": "p", "location": "l", "cluster": "c"}},
            schemas.CLUSTER,
        ),
        (
            {
                "charts": {"jh": {"repo": "https://x/", "version": "1"}},
                "default_chart": "jh",
                "rollout": {"max_parallel": 3, "canary": {"clusters": ["a"]}, "health": {"timeout": 5}},
            },
            schemas.FLEET,
        ),
    ],
)
def test_fast_precheck_never_accepts_what_cerberus_rejects(base, schema):
    assert model._surely_valid(base, schema)
    accepted = 0
    for doc in _mutants(base, random.Random(7), 400):
        if model._surely_valid(doc, schema):
            accepted += 1
            assert cerberus.Validator(schema, allow_unknown=False).validate(copy.deepcopy(doc)), doc
    assert accepted > 20  # the fast path does take good documents


@pytest.mark.parametrize("parallel_from", [2, 10**9], ids=["fork-pool", "serial"])
def test_cached_validate_reports_the_same_problems(
    small_fleet, jupyterhub_schema, monkeypatch, parallel_from
):
    monkeypatch.setattr(parallel, "PARALLEL_FROM", parallel_from)
    hub_layer = small_fleet / "hubs/gke-001-hub01/values.yaml"
    doc = yaml.safe_load(hub_layer.read_text())  # merged in: a second `singleuser:` is an error
    doc["extra"] = {"confg": 1}
    doc.setdefault("singleuser", {}).setdefault("extraEnv", {})["GITHUB_TOKEN"] = "abc"
    hub_layer.write_text(yaml.safe_dump(doc, sort_keys=False))
    with (small_fleet / "clusters/eks-002/common.values.yaml").open("a") as f:
        f.write("custom2:\n  password: hunter2\n")

    def run() -> list[str]:
        fleet = load_fleet(DirSource(small_fleet))
        return [
            str(p)
            for p in validate.validate_fleet(small_fleet, fleet, chart_schema=lambda c: jupyterhub_schema)
        ]

    cold = run()
    warm = run()  # every hub and layer from the cache
    (small_fleet.parent / "state" / "cache" / "layers.json").unlink()
    no_layer_cache = run()
    assert cold == warm == no_layer_cache
    assert any("GITHUB_TOKEN: looks like a secret" in p for p in cold)
    assert any("custom2.password: looks like a secret" in p for p in cold)
    assert any("extra: unknown key for this chart" in p for p in cold)


@pytest.mark.parametrize("parallel_from", [2, 10**9], ids=["fork-pool", "serial"])
def test_the_walked_run_finds_what_the_plain_run_finds(
    small_fleet, jupyterhub_schema, monkeypatch, parallel_from
):
    """`validate_tree` (one walk, the parent beside its workers, whole runs reused) against
    `validate_fleet` over `DirSource`, cold, on a fleet with problems in hub and shared layers."""
    from hubfleet.app import validaterun

    monkeypatch.setattr(parallel, "PARALLEL_FROM", parallel_from)
    monkeypatch.setattr(validaterun, "chart_schema_for", lambda root, chart, offline: jupyterhub_schema)
    layer = small_fleet / "hubs/gke-001-hub01/values.yaml"
    layer.write_text(layer.read_text() + "extra: {confg: 1}\nsingleuserr: {}\n")
    with (small_fleet / "clusters/eks-002/common.values.yaml").open("a") as f:
        f.write("custom2:\n  password: hunter2\n")
    (small_fleet / "hubs/gke-001-staging/hub.yaml").write_text("name: gke-001-staging\ncluster: nope\n")
    cache = small_fleet.parent / "state" / "cache"

    shutil.rmtree(cache, ignore_errors=True)
    plain = [
        str(p)
        for p in validate.validate_fleet(
            small_fleet, load_fleet(DirSource(small_fleet)), chart_schema=lambda c: jupyterhub_schema
        )
    ]
    shutil.rmtree(cache, ignore_errors=True)
    walked = [str(p) for p in validaterun.validate_tree(small_fleet).problems]
    reused = [str(p) for p in validaterun.validate_tree(small_fleet).problems]
    assert walked == plain == reused
    assert any("singleuserr" in p for p in walked) and any("custom2.password" in p for p in walked)
    assert any("gke-001-staging/hub.yaml" in p for p in walked)


@pytest.mark.slow
def test_bench_runs_end_to_end_on_a_tiny_fleet(tmp_path, capsys):
    from devtools import bench

    assert (
        bench.main(
            [
                "--clusters",
                "2",
                "--hubs-per-cluster",
                "2",
                "--sample",
                "1",
                "--skip-plan",
                "--kube-hubs",
                "1",  # the real-control-plane rollout step, kept small (3 planes, 1 hub each)
                "--root",
                str(tmp_path / "work"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    from hubfleet.adapters import kubebin

    if kubebin.find(Path(bench.PROJECT)) is not None and "skipped (no" not in out:
        assert "hubs per minute" in out  # the rollout really ran on the control planes
    else:
        assert "rollout on real control planes: skipped" in out
    assert "validate, cold" in out and "validate, warm" in out and "naive OmegaConf" in out
    assert "x faster than cold (>= 4x)" in out and "start-up: python alone" in out
    assert "error(s)" not in out


def test_the_hub_figures_child_gets_the_projects_proxy_after_the_state_moved(tmp_path, monkeypatch):
    """bench moves HUBFLEET_STATE to its work folder; the proxy `invoke setup` put under the
    project's `.hubfleet` must still reach the test-hub child (it was 'not found' there)."""
    from devtools import bench

    pytest.importorskip("jupyterhub")
    chp = bench._find_chp()
    if chp is None:
        pytest.skip("no configurable-http-proxy here (`invoke setup`)")
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))  # as bench() sets it
    seen: dict = {}

    def run(argv, **kwargs):
        seen.update(kwargs)
        raise SystemExit  # the child itself is the end-to-end test's

    monkeypatch.setattr(bench, "run", run)
    with pytest.raises(SystemExit):
        bench.hub_startup_table(1, chp)
    assert seen["env"]["HUBFLEET_CHP"] == chp and seen["env"]["HUBFLEET_STATE"] == str(tmp_path / "state")
