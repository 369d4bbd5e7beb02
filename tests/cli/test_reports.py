"""Plan JSON round trip and its bad inputs; Markdown and Mermaid output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubfleet.app.plan import read_plan_json, write_json
from hubfleet.cli.reports import markdown, mermaid
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Canary, Rollout
from hubfleet.core.plan import Plan, PlannedHub, Removed

A, B = "a" * 40, "b" * 40


def sample() -> Plan:
    return Plan(
        A,
        B,
        (
            PlannedHub(
                "s", "uni", "staging", ("chart jupyterhub 4.3.0 -> jupyterhub 4.4.0",), {"x": 1}, {"x": 2}
            ),
            PlannedHub("p", "uni", "prod", ("hubs/p/secrets.yaml changed",), {"x": 1}, {"x": 1}),
            PlannedHub("w", "uni-west", "prod", ("new hub",), None, {"y": "a|b"}),
        ),
        (Removed("old", "uni"),),
    )


def test_json_round_trip(tmp_path: Path):
    path = tmp_path / "plan.json"
    write_json(sample(), path)
    back = read_plan_json(path)
    assert back.to_json() == sample().to_json() == json.loads(path.read_text())


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"base": A, "head": B, "hubs": []}, "removed: required key is missing"),
        ({"base": "HEAD", "head": B, "hubs": [], "removed": []}, "base: must be a full commit SHA"),
        ({"base": A, "head": B, "hubs": {}, "removed": []}, "hubs: must be a list"),
        (
            {
                "base": A,
                "head": B,
                "hubs": [{"name": "x", "cluster": "c", "stage": "canary", "reasons": []}],
                "removed": [],
            },
            "hubs[0].stage: must be staging or prod",
        ),
        (
            {"base": A, "head": B, "hubs": [{"name": "x", "cluster": "c", "stage": "prod"}], "removed": []},
            "hubs[0].reasons: required key is missing",
        ),
        ({"base": A, "head": B, "hubs": [], "removed": [{"name": "x"}], "extra": 1}, "extra: unknown key"),
    ],
)
def test_bad_plan_files_are_located_lines(tmp_path: Path, doc, message):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(HubfleetError) as e:
        read_plan_json(path)
    lines = [str(p) for p in e.value.problems]
    assert any(message in line and line.startswith(str(path)) for line in lines), lines


def test_not_json_and_missing_file(tmp_path: Path):
    path = tmp_path / "plan.json"
    path.write_text("{\n  nope\n")
    with pytest.raises(HubfleetError, match=r"plan.json:2: not JSON"):
        read_plan_json(path)
    with pytest.raises(HubfleetError, match="no such plan file"):
        read_plan_json(tmp_path / "absent.json")


def test_markdown_tables_diffs_and_no_secrets():
    text = markdown(sample())
    assert "### Cluster `uni`" in text and "### Cluster `uni-west`" in text
    assert "-x: 1\n+x: 2" in text  # the staging hub's values diff
    assert text.count("<details>") == 2  # p: values unchanged (secrets only): no diff block
    assert "| `old` | `uni` |" in text


def test_mermaid_order_and_canary_waves():
    plain = "\n".join(mermaid(sample(), Rollout()))
    assert 'c0s0["s"] --> c0h{"health"}' in plain and 'c0h --> c0p0["p"]' in plain
    assert "wave" not in plain
    waves = "\n".join(mermaid(sample(), Rollout(canary=Canary(("uni",), "chart"))))
    assert 'subgraph w1["wave 1: canary"]' in waves and "w1 ==> w2" in waves
    assert waves.index('"uni"') < waves.index('"uni-west"')


def test_empty_plan_says_nothing_to_deploy():
    assert "Nothing to deploy" in markdown(Plan(A, B, ()))
