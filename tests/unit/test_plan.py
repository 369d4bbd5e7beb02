"""The pure planner (dict literals) and a property test over in-memory fleets."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hubfleet.adapters.source import MappingSource
from hubfleet.app.load import load_fleet
from hubfleet.app.plan import compare
from hubfleet.app.render import render_hub
from hubfleet.core.model import Canary
from hubfleet.core.plan import BROKEN, HubInput, canary_first, needs_render, plan, value_changes

CHART = ("repo", "https://x/", "jupyterhub", "4.4.0", "")


def inp(name="a", cluster="c", stage="prod", values=None, raw=("r",), secrets=None, chart=CHART, ns=None):
    levels = ((f"hubs/{name}/secrets.yaml", secrets),) if secrets else ()
    return HubInput(name, cluster, stage, name, ns or name, chart, "jupyterhub 4.4.0", levels, raw, values)


def test_equal_raw_inputs_are_unchanged_without_rendering():
    base, head = {"a": inp()}, {"a": inp()}
    assert needs_render(base, head) == []
    assert plan(base, head).hubs == ()


def test_raw_change_with_equal_values_is_not_planned():
    base = {"a": inp(raw=("r1",), values={"x": 1})}
    head = {"a": inp(raw=("r2",), values={"x": 1})}
    assert needs_render(base, head) == ["a"]
    assert plan(base, head).hubs == ()


def test_reasons_name_keys_files_charts_and_moves():
    base = {"a": inp(raw=("1",), values={"hub": {"x": 1}, "l": [1]}, secrets="s1", cluster="c1")}
    head = {
        "a": inp(
            raw=("2",),
            values={"hub": {"x": 2}, "l": [2], "new": 1},
            secrets="s2",
            cluster="c2",
            chart=("repo", "https://x/", "jupyterhub", "4.5.0", ""),
            ns="other",
        )
    }
    head["a"] = dataclasses.replace(head["a"], chart_label="jupyterhub 4.5.0")
    (h,) = plan(base, head).hubs
    assert h.reasons == (
        "moved cluster c1 -> c2",
        "namespace a -> other",
        "chart jupyterhub 4.4.0 -> jupyterhub 4.5.0",
        "hubs/a/secrets.yaml changed",
        "values changed: hub.x, l, new",
    )


def test_new_removed_broken_and_order():
    base = {"gone": inp("gone", cluster="z"), "b": inp("b", raw=("1",), values=BROKEN)}
    head = {
        "p": inp("p", cluster="uni"),
        "s": inp("s", cluster="uni", stage="staging"),
        "w": inp("w", cluster="uni-west", stage="staging"),
        "b": inp("b", raw=("2",), values={}),
        "x": inp("x", cluster="a"),
    }
    result = plan(base, head, "B", "H", base_broken={"x"})
    assert [(h.cluster, h.name) for h in result.hubs] == [
        ("a", "x"),
        ("c", "b"),
        ("uni", "s"),
        ("uni", "p"),
        ("uni-west", "w"),
    ]
    assert result.hubs[0].reasons == ("hub did not load at base",)
    assert result.hubs[1].reasons == ("values did not render at base",)
    assert result.to_json()["removed"] == [{"name": "gone", "cluster": "z"}]


def test_value_changes_dotted_paths():
    assert value_changes({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3, "d.e": 0}}) == ["a.c", 'a."d.e"']
    assert value_changes({"a": 1}, {}) == ["a"]


def test_canary_first_rules():
    hubs = plan({}, {"a": inp(cluster="canary")}).hubs
    assert not canary_first(hubs, Canary(("canary",), "chart"))  # new hub: no chart change
    assert canary_first(hubs, Canary(("canary",), "always"))
    assert not canary_first(hubs, Canary(("can",), "always"))  # exact names only


# --- property: planned iff the rendered output (or another Helm input) changed ----------------

FLEET = b"charts:\n  jupyterhub: {repo: https://x.org/charts/, version: 1.0.0}\ndefault_chart: jupyterhub\n"
CLUSTERS = ("uni", "uni-west")
HUBS = {"h1": "uni", "h2": "uni", "h3": "uni-west", "h4": "uni-west"}
LAYERS = ["clusters/common.values.yaml"]
LAYERS += [f"clusters/{c}/common.values.yaml" for c in CLUSTERS]
LAYERS += [f"hubs/{h}/values.yaml" for h in HUBS]

leaf = st.one_of(st.integers(0, 2), st.sampled_from(["${hub:name}", "${cluster:name}", "v", "${a.x}"]))
layer = st.dictionaries(
    st.sampled_from(["a", "b"]), st.dictionaries(st.sampled_from(["x", "y"]), leaf, max_size=2), max_size=2
)


def files(layers: dict[str, dict]) -> dict[str, bytes]:
    import yaml

    out = {"fleet.yaml": FLEET}
    for c in CLUSTERS:
        out[f"clusters/{c}/cluster.yaml"] = (
            f"name: {c}\nprovider: kubeconfig\nkubeconfig: {{context: {c}}}\n".encode()
        )
    for h, c in HUBS.items():
        out[f"hubs/{h}/hub.yaml"] = f"name: {h}\ncluster: {c}\ndomain: {h}.example.org\n".encode()
    for path, data in layers.items():
        out[path] = yaml.safe_dump(data).encode()
    return out


def rendered(fleet) -> dict[str, object]:
    out = {}
    for name, hub in fleet.hubs.items():
        try:
            out[name] = render_hub(fleet, hub).values
        except Exception:
            out[name] = BROKEN
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.fixed_dictionaries({p: layer for p in LAYERS}),
    edits=st.dictionaries(st.sampled_from(LAYERS), layer, min_size=1, max_size=3),
)
def test_planned_iff_rendered_values_changed(before, edits):
    after = {**before, **edits}
    base = load_fleet(MappingSource(files(before)))
    head = load_fleet(MappingSource(files(after)))
    want_before, want_after = rendered(base), rendered(head)
    assume(BROKEN not in want_after.values())  # head must render (the error case is tested with git)
    result = compare(base, head)
    planned = {h.name for h in result.hubs}
    assert planned == {h for h in HUBS if want_before[h] != want_after[h]}


def _chart_change(before: tuple, after: tuple, label_before: str, label_after: str) -> tuple[str, ...]:
    base = {"a": dataclasses.replace(inp(raw=("1",), values={}), chart=before, chart_label=label_before)}
    head = {"a": dataclasses.replace(inp(raw=("2",), values={}), chart=after, chart_label=label_after)}
    (h,) = plan(base, head).hubs
    return h.reasons


def test_a_changed_chart_repository_says_so():
    moved = ("repo", "https://mirror.example/charts/", "jupyterhub", "4.4.0", "")
    assert _chart_change(CHART, moved, "jupyterhub 4.4.0", "jupyterhub 4.4.0") == (
        "chart jupyterhub 4.4.0: repository https://x/ -> https://mirror.example/charts/",
    )
    both = ("repo", "https://mirror.example/charts/", "jupyterhub", "4.5.0", "")
    assert _chart_change(CHART, both, "jupyterhub 4.4.0", "jupyterhub 4.5.0") == (
        "chart jupyterhub 4.4.0 -> jupyterhub 4.5.0, repository https://x/ -> https://mirror.example/charts/",
    )


def test_a_chart_downgrade_is_named_and_listed():
    from hubfleet.core.plan import downgrades

    older = ("repo", "https://x/", "jupyterhub", "4.3.5", "")
    reasons = _chart_change(CHART, older, "jupyterhub 4.4.0", "jupyterhub 4.3.5")
    assert reasons == ("chart jupyterhub 4.4.0 -> jupyterhub 4.3.5: a downgrade",)
    newer = ("repo", "https://x/", "jupyterhub", "4.10.0", "")
    assert _chart_change(CHART, newer, "jupyterhub 4.4.0", "jupyterhub 4.10.0") == (
        "chart jupyterhub 4.4.0 -> jupyterhub 4.10.0",
    )
    base = {"a": dataclasses.replace(inp(raw=("1",), values={}))}
    head = {"a": dataclasses.replace(inp(raw=("2",), values={}), chart=older, chart_label="jupyterhub 4.3.5")}
    assert [h.name for h in downgrades(plan(base, head))] == ["a"]


def test_versions_order_as_semver():
    from hubfleet.core.versions import is_downgrade, version_key

    ordered = ["4.0.0-beta.2", "4.0.0-beta.10", "4.0.0", "4.3.5", "4.4.0", "4.10.0", "5.0.0-0.dev.git.1.habc"]
    assert sorted(ordered, key=version_key) == ordered
    assert is_downgrade("4.4.0", "4.3.5") and not is_downgrade("4.3.5", "4.4.0")
    assert not is_downgrade("4.4.0", "4.4.0") and not is_downgrade(None, "4.4.0")
