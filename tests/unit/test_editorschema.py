"""Editor JSON Schemas: the example fleet passes them, and on bad input they agree with Cerberus."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from hubfleet.core import editorschema, model, schemas

REPO = Path(__file__).resolve().parents[2]

KINDS = {"fleet": schemas.FLEET, "cluster": schemas.CLUSTER, "hub": schemas.HUB}


def _json_schema(kind: str) -> dict:
    return editorschema.from_cerberus(KINDS[kind], kind, f"{kind}.yaml")


def _json_verdict(kind: str, doc) -> bool:
    return jsonschema.Draft7Validator(_json_schema(kind)).is_valid(doc)


def _cerberus_verdict(kind: str, doc) -> bool:
    """The model's per-file checks: Cerberus, plus the rules the model adds for one file.

    Rules across files or against the folder (name = folder, default_chart names a chart) are
    no editor's business and left out here.
    """
    if not isinstance(doc, dict):
        return False
    problems = model.check(doc, KINDS[kind], f"{kind}.yaml")
    if problems:
        return False
    if kind == "cluster":
        return not model.cluster_problems(doc, "cluster.yaml", str(doc.get("name")))
    if kind == "fleet":
        return not [p for p in model.chart_problems(doc, "fleet.yaml") if p.keypath[:1] == ("charts",)]
    return True


def _example_docs() -> list[tuple[str, dict]]:
    docs = [("fleet", yaml.safe_load((REPO / "fleet.yaml").read_text()))]
    docs += [("cluster", yaml.safe_load(p.read_text())) for p in sorted(REPO.glob("clusters/*/cluster.yaml"))]
    docs += [("hub", yaml.safe_load(p.read_text())) for p in sorted(REPO.glob("hubs/*/hub.yaml"))]
    return docs


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_schemas_are_valid_draft7(kind):
    jsonschema.Draft7Validator.check_schema(_json_schema(kind))


def test_every_key_has_a_description():
    def walk(node, path):
        if path:
            assert node.get("description"), f"{path}: no description: add one to editorschema.DESCRIPTIONS"
        for key, child in node.get("properties", {}).items():
            walk(child, f"{path}.{key}" if path else key)

    for kind in KINDS:
        walk(_json_schema(kind), "")


def test_the_example_fleet_passes_its_json_schemas():
    for kind, doc in _example_docs():
        errors = list(jsonschema.Draft7Validator(_json_schema(kind)).iter_errors(doc))
        assert not errors, (kind, doc.get("name"), [e.message for e in errors])


BAD = [
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "stgae": "staging"}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "stage": "canary"}),
    ("hub", {"name": "Oceans", "cluster": "aws-us", "domain": "o.example"}),
    ("hub", {"name": "o" * 54, "cluster": "aws-us", "domain": "o.example"}),
    ("hub", {"name": "oceans", "cluster": "aws-us"}),
    ("hub", {"name": "oceans", "cluster": "", "domain": "o.example"}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "O_cean.example"}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "local": {"port": 80}}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "local": {"prot": 8000}}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "namespace": "-x"}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "waive": {"everything": "x"}}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "waive": {"allow-all": ""}}),
    ("hub", {"name": "oceans", "cluster": "aws-us", "domain": "o.example", "chart": 3}),
    (
        "cluster",
        {
            "name": "gcp-eu",
            "provider": "gke",
            "gke": {"project": "p", "location": "l", "cluster": "c"},
            "regoin": "x",
        },
    ),
    ("cluster", {"name": "aws-us", "provider": "eks"}),
    (
        "cluster",
        {"name": "aws-us", "provider": "eks", "gke": {"project": "p", "location": "l", "cluster": "c"}},
    ),
    ("cluster", {"name": "aws-us", "provider": "ecs"}),
    ("cluster", {"name": "k", "provider": "kubeconfig", "kubeconfig": {"file": "k.yaml"}}),
    ("cluster", {"name": "k", "provider": "aks", "aks": {"resource_group": "g"}}),
    ("fleet", {"charts": {}, "default_chart": "x"}),
    ("fleet", {"charts": {"j": {"repo": "https://x.example", "version": "1"}}}),
    ("fleet", {"charts": {"j": {"repo": "https://x.example"}}, "default_chart": "j"}),
    ("fleet", {"charts": {"j": {"repo": "ftp://x.example", "version": "1"}}, "default_chart": "j"}),
    ("fleet", {"charts": {"j": {"path": "charts/j", "version": "1"}}, "default_chart": "j"}),
    ("fleet", {"charts": {"j": {}}, "default_chart": "j"}),
    ("fleet", {"charts": {"J!": {"path": "c"}}, "default_chart": "J!"}),
    ("fleet", {"charts": {"j": {"path": "c"}}, "default_chart": "j", "rollout": {"timeout": 1}}),
    (
        "fleet",
        {
            "charts": {"j": {"path": "c"}},
            "default_chart": "j",
            "rollout": {"canary": {"when": "never", "clusters": []}},
        },
    ),
    ("fleet", {"charts": {"j": {"path": "c"}}, "default_chart": "j", "rollout": {"wait": "yes"}}),
    ("fleet", {"charts": {"j": {"path": "c"}}, "default_chart": "j", "rolout": {}}),
]


@pytest.mark.parametrize(("kind", "doc"), BAD, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BAD)])
def test_bad_input_same_verdict_as_cerberus(kind, doc):
    assert _cerberus_verdict(kind, doc) is False, "the case must be bad for Cerberus"
    assert _json_verdict(kind, doc) is False


@pytest.mark.parametrize(("kind", "doc"), _example_docs(), ids=lambda v: v if isinstance(v, str) else "")
def test_good_input_same_verdict_as_cerberus(kind, doc):
    assert _cerberus_verdict(kind, doc) is True
    assert _json_verdict(kind, doc) is True


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70_000),
    st.sampled_from(
        ["", "x", "staging", "prod", "Bad_Name", "a" * 60, "https://r.example", "gke", "kubeconfig"]
    ),
    st.dictionaries(
        st.sampled_from(["port", "context", "file", "project", "x"]),
        st.integers(0, 9000) | st.text(max_size=3),
        max_size=2,
    ),
    st.lists(st.text(max_size=3), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    which=st.integers(0, 10_000),
    key=st.sampled_from(
        [
            "name",
            "cluster",
            "domain",
            "stage",
            "chart",
            "namespace",
            "local",
            "waive",
            "provider",
            "kubeconfig",
            "gke",
            "eks",
            "default_chart",
            "charts",
            "rollout",
            "typo",
        ]
    ),
    value=_values,
    drop=st.booleans(),
)
def test_mutated_example_docs_get_the_same_verdict(which, key, value, drop):
    """One key of an example document replaced, removed or added: both schemas agree."""
    examples = _example_docs()
    kind, doc = examples[which % len(examples)]
    doc = json.loads(json.dumps(doc))
    if drop:
        doc.pop(key, None)
    else:
        doc[key] = value
    verdict = _cerberus_verdict(kind, doc)
    event(f"{kind} {'valid' if verdict else 'invalid'}")
    assert _json_verdict(kind, doc) is verdict, (kind, doc)


# --- values layers ---------------------------------------------------------------------------

CHART_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["singleuser"],
    "properties": {
        "singleuser": {
            "type": "object",
            "additionalProperties": False,
            "required": ["memory"],
            "properties": {
                "memory": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "limit": {"type": ["string", "null"]},
                        "guarantee": {"type": ["string", "null"]},
                    },
                },
                "startTimeout": {"type": "integer", "description": "Seconds a server may take to start."},
            },
        },
        "debug": {"type": "object", "properties": {"enabled": {"type": "boolean"}}},
    },
}
CHART_VALUES = """\
singleuser:
  # Memory of each user's server.
  # @default -- none
  memory:
    # -- the hard limit
    limit: 1G
    guarantee:
  startTimeout: 300   # not a description: after the key
debug:

  # separated by a blank line: still right above
  enabled: false
"""


def _layer_schema():
    comments = editorschema.comment_descriptions(CHART_VALUES)
    return editorschema.values_layer(CHART_SCHEMA, yaml.safe_load(CHART_VALUES), comments, "values")


def test_comment_descriptions_by_key_path():
    found = editorschema.comment_descriptions(CHART_VALUES)
    assert found[("singleuser", "memory")] == "Memory of each user's server."
    assert found[("singleuser", "memory", "limit")] == "the hard limit"
    assert ("singleuser", "startTimeout") not in found
    assert ("debug", "enabled") in found
    assert editorschema.comment_descriptions("a: [\n") == {}


def test_a_layer_needs_no_required_keys_and_catches_typos():
    v = jsonschema.Draft7Validator(_layer_schema())
    assert v.is_valid({})
    assert v.is_valid({"singleuser": {"memory": {"limit": "2G"}}})
    errors = list(v.iter_errors({"singleuser": {"memory": {"limt": "2G"}}}))
    assert [list(e.absolute_path) for e in errors] == [["singleuser", "memory"]]
    assert "limt" in errors[0].message


def test_a_layer_accepts_interpolations_where_numbers_go():
    v = jsonschema.Draft7Validator(_layer_schema())
    assert v.is_valid({"singleuser": {"startTimeout": "${custom.timeout}"}})
    assert not v.is_valid({"singleuser": {"startTimeout": "five minutes"}})
    assert not v.is_valid({"debug": {"enabled": "yes"}})


def test_a_layer_carries_descriptions_and_defaults():
    schema = _layer_schema()
    single = schema["properties"]["singleuser"]["properties"]
    assert single["memory"]["description"] == "Memory of each user's server."
    assert single["memory"]["properties"]["limit"]["description"] == "the hard limit"
    assert single["memory"]["properties"]["limit"]["default"] == "1G"
    assert single["startTimeout"]["description"] == "Seconds a server may take to start."  # the chart's own
    assert single["startTimeout"]["default"] == 300
    jsonschema.Draft7Validator.check_schema(schema)


def test_a_chart_without_a_schema_gets_an_open_one_from_its_defaults():
    defaults = yaml.safe_load(CHART_VALUES)
    schema = editorschema.values_layer(None, defaults, editorschema.comment_descriptions(CHART_VALUES), "x")
    v = jsonschema.Draft7Validator(schema)
    assert v.is_valid({"anything": {"goes": 1}})
    assert schema["properties"]["singleuser"]["properties"]["memory"]["description"]


def test_the_real_jupyterhub_schema_makes_a_layer_schema(jupyterhub_chart_dir):
    chart = json.loads((jupyterhub_chart_dir / "values.schema.json").read_text())
    text = (jupyterhub_chart_dir / "values.yaml").read_text()
    schema = editorschema.values_layer(
        chart, yaml.safe_load(text), editorschema.comment_descriptions(text), "z2jh"
    )
    jsonschema.Draft7Validator.check_schema(schema)
    v = jsonschema.Draft7Validator(schema)
    for layer in [
        REPO / "clusters/common.values.yaml",
        *sorted(REPO.glob("clusters/*/common.values.yaml")),
        *sorted(REPO.glob("hubs/*/values.yaml")),
    ]:
        doc = yaml.safe_load(layer.read_text()) or {}
        assert not [e.message for e in v.iter_errors(doc)], layer
    assert not v.is_valid({"singleuser": {"memory": {"limt": "1G"}}})


def test_an_unknown_cerberus_rule_is_a_loud_bug():
    with pytest.raises(ValueError, match="coerce"):
        editorschema.from_cerberus({"x": {"type": "string", "coerce": int}}, "hub", "t")


@pytest.mark.parametrize(
    ("python", "ecma"),
    [
        (r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z", r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"),
        (r"^(?s:.*\S.*)\Z", r"^(?:[\s\S]*\S[\s\S]*)$"),
        (r"\A[.\Z](?s:(a).)\.x.\\Z", r"^[.\Z](?:(a)[\s\S])\.x.\\Z"),  # in a class or escaped: kept
    ],
)
def test_patterns_are_written_in_the_editors_regex_dialect(python, ecma):
    assert editorschema.ecma_pattern(python) == ecma


def test_no_python_only_regex_syntax_reaches_an_editor():
    def patterns(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                yield node["pattern"]
            for value in node.values():
                yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    found = [p for kind in KINDS for p in patterns(_json_schema(kind))]
    assert found
    for p in found:
        assert not any(bad in p for bad in (r"\Z", r"\A", "(?s", "(?i", "(?P<")), p
