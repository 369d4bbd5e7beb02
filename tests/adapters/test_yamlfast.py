"""The fast writer says what `yamlio.dump` says, or None: never a different text."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.yamlcorpus import DOCUMENTS, SCALARS
from hubfleet.adapters import yamlio
from hubfleet.adapters.yamlfast import Writer


def unshared(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: unshared(v) for k, v in node.items()}
    return [unshared(v) for v in node] if isinstance(node, list) else node


def same_or_none(writer: Writer, data: dict[str, Any]) -> str | None:
    fast = writer.dump(data)
    assert fast is None or fast == yamlio.dump(unshared(data))  # render writes no aliases
    return fast


def test_every_corpus_scalar_as_key_value_and_list_item() -> None:
    w = Writer()
    for s in SCALARS:
        assert same_or_none(w, {"k": s, s: [s, {"a": s}], "n": {"m": [[s, s], {s: s}]}}) is not None


def test_corpus_documents_parsed() -> None:
    w = Writer()
    for text in DOCUMENTS.values():
        try:
            data = yamlio.parse(text, "x.yaml", allow_empty=True, strict=False)
        except Exception:
            continue
        if data:
            same_or_none(w, data)


def test_multi_line_strings_shared_subtrees_and_empties() -> None:
    shared = {"extraConfig": {"a": "c = get_config()\n\n  indented\nlast\n", "b": " lead\nx"}, "l": [1, 2]}
    w = Writer()
    for indent_home in ({"x": shared}, {"x": {"y": shared}}, {"x": [shared, [shared["l"]]]}):
        doc = {**indent_home, "e": {}, "f": [], "g": [{}, [], None, True, 1.5, "", "a: b", "- x"]}
        assert same_or_none(w, doc) is not None
        assert same_or_none(w, doc) is not None  # the memoised texts again
    assert same_or_none(w, {"s": ["two\nlines\n", {"k": "x\ny"}]}) is not None
    assert same_or_none(w, {"k" * 200: 1}) is None  # a `? key`: left to PyYAML
    # equal but written differently: never one memo entry
    assert same_or_none(w, {"a": 0.0, "b": -0.0, "c": 1, "d": True, 1: "x"}) is not None
    assert same_or_none(w, {True: "x"}) is not None


_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_tree = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _tree, min_size=1, max_size=4))
def test_any_tree(data: dict[str, Any]) -> None:
    same_or_none(Writer(), data)
