"""Layering and interpolation: the contract's semantics, checked against OmegaConf itself."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from hubfleet.core.compose import compose
from hubfleet.core.errors import HubfleetError
from hubfleet.core.resolve import Facts, _resolve_with_omegaconf, resolve
from hubfleet.core.tree import merge

FACTS = Facts(
    {"name": "uni-staging", "domain": "staging.uni.example", "namespace": "uni-ns", "stage": "staging"},
    {"name": "uni-west", "provider": "kubeconfig"},
)


# --- merge ------------------------------------------------------------------------


def test_mappings_merge_key_by_key_and_later_scalars_win():
    out = merge([{"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3, "z": 4}}, {"b": 2}])
    assert out == {"a": {"x": 1, "y": 3, "z": 4}, "b": 2}


def test_lists_are_replaced_not_appended():
    assert merge([{"l": [1, 2, 3]}, {"l": [9]}]) == {"l": [9]}


def test_null_replaces_and_a_mapping_replaces_a_scalar_or_list():
    assert merge([{"a": {"x": 1}}, {"a": None}]) == {"a": None}
    assert merge([{"a": 1}, {"a": {"b": 2}}]) == {"a": {"b": 2}}
    # OmegaConf raises on list<->mapping; the contract says the later layer replaces (z2jh
    # accepts both forms of e.g. extraEnv), so we replace.
    assert merge([{"e": [{"name": "A", "value": "1"}]}, {"e": {"A": "1"}}]) == {"e": {"A": "1"}}


def test_omegaconf_missing_marker_keeps_the_earlier_value():
    assert merge([{"a": 1}, {"a": "???"}]) == OmegaConf.to_container(
        OmegaConf.merge(OmegaConf.create({"a": 1}), OmegaConf.create({"a": "???"}))
    )


def test_merge_never_mutates_shared_layers():
    fleet = {"a": {"x": 1}}
    merge([fleet, {"a": {"y": 2}}])
    assert fleet == {"a": {"x": 1}}


# --- resolve -------------------------------------------------------------------------


def test_facts_and_keys_resolve_with_types_kept():
    values = {
        "host": "${hub:domain}",
        "where": "${hub:name} on ${cluster:name} (${cluster:provider})",
        "limit": 4,
        "env": {"LIMIT": "${limit}", "TEXT": "limit=${limit}"},
        "tls": [{"hosts": ["${host}"], "secretName": "${hub:name}-tls"}],
    }
    out = resolve(values, FACTS)
    assert out["host"] == "staging.uni.example"
    assert out["where"] == "uni-staging on uni-west (kubeconfig)"
    assert out["env"] == {"LIMIT": 4, "TEXT": "limit=4"}
    assert out["tls"] == [{"hosts": ["staging.uni.example"], "secretName": "uni-staging-tls"}]


def test_escaped_interpolation_stays_literal():
    out = resolve({"cmd": r"cd \${HOME} && echo ${hub:name}", "other": r"C:\dir"}, FACTS)
    assert out == {"cmd": "cd ${HOME} && echo uni-staging", "other": r"C:\dir"}


def test_a_whole_mapping_can_be_interpolated():
    out = resolve({"base": {"a": "${hub:stage}"}, "copy": "${base}"}, FACTS)
    assert out["copy"] == {"a": "staging"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"a": "${missing.key}"}, "no key `missing`"),
        ({"s": {"limit": 1}, "a": "${s.limt}"}, "did you mean `limit`?"),
        ({"a": "${hub:nmae}"}, "did you mean `${hub:name}`?".replace("`${hub:name}`", "`name`")),
        ({"a": "${cluster:region}"}, "not a fact"),
        ({"a": "${b}", "b": "${a}"}, "interpolation cycle"),
        ({"a": "${oc.env:HOME}"}, "machine-dependent"),
        ({"a": "${b"}, "cannot resolve"),
    ],
)
def test_bad_interpolations_are_located_errors(values, expected):
    with pytest.raises(HubfleetError) as info:
        compose([("hubs/x/values.yaml", values)], FACTS)
    message = str(info.value)
    assert message.startswith("hubs/x/values.yaml")
    assert expected in message


def test_error_names_the_highest_layer_setting_the_key():
    layers = [("clusters/common.values.yaml", {"a": "${nope}"}), ("hubs/x/values.yaml", {"b": 1})]
    with pytest.raises(HubfleetError, match=r"^clusters/common.values.yaml: a: "):
        compose(layers, FACTS)


def test_forms_the_fast_resolver_does_not_handle_go_to_omegaconf():
    values = {"a": {"b": 1, "c": "${.b}"}, "d": "${oc.select:missing,fallback}", "e": "x${a.b}${a.b}"}
    assert resolve(values, FACTS) == {"a": {"b": 1, "c": 1}, "d": "fallback", "e": "x11"}


# --- the fast path is OmegaConf, on generated layers ----------------------------------

KEYS = st.sampled_from(["a", "b", "c", "hub", "cfg", "x-y"])
LEAF = st.one_of(
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.sampled_from(["plain", "${hub:name}", "${cluster:name}-x", r"\${HOME}", "v ${hub:domain} w", "???"]),
)


def _tree(leaf):
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=4)
        ),
        max_leaves=12,
    )


LAYER = st.dictionaries(KEYS, _tree(LEAF), max_size=4)


def _paths(tree, prefix=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))


def _conflicts(layers) -> bool:
    """list<->mapping replacement is where we follow the contract, not OmegaConf's TypeError."""
    seen: dict = {}
    for layer in layers:
        for path in _paths(layer):
            node = layer
            for p in path:
                node = node[p]
            kind = "d" if isinstance(node, dict) else "l" if isinstance(node, list) else "s"
            if kind != "s" and seen.get(path, kind) not in (kind, "s"):
                return True
            seen[path] = kind
    return False


def _outcome(fn):
    """("ok", value) or ("error", exception type): both resolvers must agree on which."""
    try:
        return ("ok", fn())
    except Exception as e:
        return ("error", type(e).__name__)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LAYER, min_size=1, max_size=3), st.data())
def test_fast_path_equals_omegaconf(layers, data):
    assume(not _conflicts(layers))
    ours = merge(layers)
    theirs = OmegaConf.to_container(OmegaConf.merge(*[OmegaConf.create(x) for x in layers]))
    assert ours == theirs
    # Add interpolations to keys that exist in the merged values, then resolve both ways.
    paths = [p for p in _paths(ours) if all(isinstance(k, str) and "-" not in k for k in p)]
    if paths:
        target = data.draw(st.sampled_from(paths))
        ours = {**ours, "ref": "${" + ".".join(target) + "}", "txt": "at ${" + ".".join(target) + "}!"}
    expected = _outcome(lambda: _resolve_with_omegaconf(ours, FACTS))
    got = _outcome(lambda: resolve(ours, FACTS))
    if expected[0] == "error":
        assert got[0] == "error", f"OmegaConf raised {expected[1]}, the fast path gave {got[1]!r}"
    else:
        assert got == expected


# --- resolve copies only what it changes -------------------------------------------


def test_resolve_shares_what_has_no_interpolation_and_mutates_nothing():
    plain = {"b": [1, {"c": 2}]}
    values = {"a": plain, "x": {"y": "${hub:name}", "z": {"k": 1}}, "l": ["${cluster:name}", 3]}
    out = resolve(values, FACTS)
    assert out == {"a": plain, "x": {"y": "uni-staging", "z": {"k": 1}}, "l": ["uni-west", 3]}
    assert out["a"] is plain and out["x"]["z"] is values["x"]["z"]  # untouched: shared
    assert values["x"]["y"] == "${hub:name}" and values["l"][0] == "${cluster:name}"  # not mutated


def test_an_interpolation_that_makes_the_missing_marker_is_refused():
    with pytest.raises(HubfleetError, match=r"is \?\?\?"):
        compose([("hubs/h/values.yaml", {"q": "?", "a": "${q}??"})], FACTS)


def test_an_interpolation_that_selects_its_own_container_is_one_located_problem():
    """Found by `nox -s fuzz` (seed 1796171206): OmegaConf recursed without end on it."""
    layer = {"hub": {"config": {"GenericOAuthenticator": {"default": "${oc.select:hub,1}"}}}}
    with pytest.raises(HubfleetError) as e:
        compose([("hubs/oceans/values.yaml", layer)], FACTS)
    (problem,) = e.value.problems
    assert problem.file == "hubs/oceans/values.yaml"
    assert problem.keypath == ("hub", "config", "GenericOAuthenticator", "default")
    assert "`${oc.select:hub,1}` refers to a value that contains it" in problem.message


# --- an interpolation a later layer broke ----------------------------------------------


def test_a_later_layer_that_nulls_the_mapping_is_named_beside_the_interpolation():
    layers = [
        ("clusters/common.values.yaml", {"memory": {"limit": "2G"}, "env": {"MEM": "${memory.limit}"}}),
        ("hubs/oceans/values.yaml", {"memory": None, "limit": "8G"}),  # `limit:` dedented
    ]
    with pytest.raises(HubfleetError) as e:
        compose(layers, FACTS)
    first, cause = e.value.problems
    assert (first.file, first.keypath) == ("clusters/common.values.yaml", ("env", "MEM"))
    assert "no key `memory.limit`" in first.message and "hubs/oceans/values.yaml" in first.message
    assert (cause.file, cause.keypath) == ("hubs/oceans/values.yaml", ("memory",))
    assert cause.message.startswith("null here replaces the mapping clusters/common.values.yaml gave it")
    assert "`${memory.limit}` (env.MEM in clusters/common.values.yaml) finds no `limit`" in cause.message


def test_a_scalar_replacing_the_mapping_is_named_too_and_a_plain_typo_is_not_blamed_on_a_layer():
    layers = [("a.yaml", {"m": {"k": 1}, "x": "${m.k}"}), ("b.yaml", {"m": "flat"})]
    with pytest.raises(HubfleetError) as e:
        compose(layers, FACTS)
    assert [(p.file, p.keypath) for p in e.value.problems] == [("a.yaml", ("x",)), ("b.yaml", ("m",))]
    assert e.value.problems[1].message.startswith("a string here replaces the mapping a.yaml gave it")
    with pytest.raises(HubfleetError) as e:
        compose([("a.yaml", {"m": {"k": 1}, "x": "${m.kk}"})], FACTS)
    assert len(e.value.problems) == 1
