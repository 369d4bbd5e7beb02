"""policy.interpolated_secret_problems: a secret-bearing key whose interpolation resolves to a plain value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hubfleet.core import policy
from hubfleet.core.resolve import scan
from hubfleet.core.tree import leaves

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(["x", "${a}", "pre ${b.c} post"])
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(list("abcde")), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(trees)
def test_the_narrow_walk_finds_what_leaves_finds_in_the_same_order(tree):
    expected = [(p, v) for p, v in leaves(tree) if isinstance(v, str) and "${" in v]
    assert list(scan(tree).interpolated) == expected


def test_an_interpolated_secret_that_resolves_to_a_value_is_flagged():
    merged = {"hub": {"config": {"X": {"client_secret": "${custom.s}", "client_id": "${custom.s}"}}}}
    values = {"hub": {"config": {"X": {"client_secret": "plain", "client_id": "plain"}}}}
    found = policy.interpolated_secret_problems(merged, values, lambda _k: "clusters/common.values.yaml")
    assert [p.keypath for p in found] == [("hub", "config", "X", "client_secret")]
