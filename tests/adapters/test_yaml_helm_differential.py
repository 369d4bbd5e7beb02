"""Differential test: hubfleet reads every edge-case scalar exactly as real `helm template` does.

A tiny chart whose only template dumps `.Values` with `toJson` (base64, so nothing is re-read as
YAML) is templated by real Helm with each corpus document as a values file (`--values FILE`),
batched under distinct keys where hubfleet accepts them. Each case must agree: same value, or
both refuse. Then the round trip: what hubfleet writes (`rendered.values.yaml`) Helm reads back
as the same values. The few documents hubfleet refuses on purpose although Helm takes them are
listed in STRICTER, each with the reason.
"""

from __future__ import annotations

import base64
import json
import math
import subprocess

import pytest
import yaml

from helpers.yamlcorpus import cases
from hubfleet.adapters import helmyaml

pytestmark = pytest.mark.slow

# Documents Helm takes but resolves arbitrarily or by accident; hubfleet refuses them with one
# located line (our own files use the strict loader).
STRICTER = {
    "doc duplicate-key": "YAML keeps the last of two equal keys: a block is silently lost",
    "doc duplicate-int-and-string-key": "Helm keeps one of `1` and `'1'` at random",
    "doc duplicate-bool-keys": "Helm keeps one of `on` and `true` at random",
    "doc tag-custom": "Helm ignores a custom tag; hubfleet says so",
}

TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: dump
data:
  values: {{ toJson .Values | b64enc | quote }}
"""


@pytest.fixture(scope="module")
def dump_chart(tmp_path_factory):
    chart = tmp_path_factory.mktemp("dumpchart") / "dump"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: dump\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("")
    (chart / "templates" / "dump.yaml").write_text(TEMPLATE)
    return chart


def helm_reads(helm_bin, chart, text: str, tmp_path) -> tuple[bool, object]:
    """(ok, .Values as JSON data) from real `helm template` with `text` as a values file."""
    values = tmp_path / "values.yaml"
    values.write_text(text)
    done = subprocess.run(
        [str(helm_bin), "template", "x", str(chart), "--values", str(values)],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "HELM_CACHE_HOME": str(tmp_path / "c"),
            "HELM_CONFIG_HOME": str(tmp_path / "cfg"),
            "HELM_DATA_HOME": str(tmp_path / "d"),
        },
        timeout=60,
    )
    if done.returncode != 0:
        return False, done.stderr.strip()
    manifest = yaml.safe_load(done.stdout)
    data = json.loads(base64.b64decode(manifest["data"]["values"]), parse_int=float)
    data.pop("global", None) if data.get("global") == {} and "global:" not in text else None
    return True, data


def hubfleet_reads(text: str, *, strict: bool = True) -> tuple[bool, object]:
    loader = helmyaml.StrictLoader if strict else helmyaml.Loader
    try:
        value = yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        return False, str(e).splitlines()[0]
    return True, {} if value is None else value


def as_json(value: object) -> object:
    """What Helm's JSON step makes of hubfleet's value: every number a float64."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return float(value)


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def helm_many(helm_bin, chart, docs: dict[str, str], tmp_path) -> dict[str, tuple[bool, object]]:
    """Helm's reading of each document, batched: one values file holds them under c0, c1, ...
    (each document indented under its key); a batch Helm refuses is retried case by case."""
    names = list(docs)
    out: dict[str, tuple[bool, object]] = {}
    for start in range(0, len(names), 60):
        batch = names[start : start + 60]
        text = "".join(
            f"c{i}:\n" + "".join(f"  {line}\n" for line in docs[n].splitlines()) for i, n in enumerate(batch)
        )
        ok, data = helm_reads(helm_bin, chart, text, tmp_path)
        if ok:
            for i, n in enumerate(batch):
                out[n] = (True, data.get(f"c{i}") or {})
            continue
        for n in batch:
            out[n] = helm_reads(helm_bin, chart, docs[n], tmp_path)
    return out


def test_hubfleet_reads_every_case_as_helm_does(helm_bin, dump_chart, tmp_path):
    corpus = cases()
    ours = {name: hubfleet_reads(text) for name, text in corpus.items()}
    nested = {n: t for n, t in corpus.items() if ours[n][0] and t.strip() and not t.lstrip().startswith("~")}
    alone = {n: t for n, t in corpus.items() if n not in nested}
    helm = helm_many(helm_bin, dump_chart, nested, tmp_path)
    helm.update({n: helm_reads(helm_bin, dump_chart, t, tmp_path) for n, t in alone.items()})

    disagreements = []
    for name in corpus:
        (h_ok, h_val), (o_ok, o_val) = helm[name], ours[name]
        if name in STRICTER:
            if o_ok:
                disagreements.append(f"{name}: hubfleet accepts what it should refuse")
            continue
        if h_ok != o_ok:
            disagreements.append(
                f"{name}: helm {'reads ' + repr(h_val) if h_ok else 'refuses: ' + str(h_val)}"
                f"; hubfleet {'reads ' + repr(o_val) if o_ok else 'refuses: ' + str(o_val)}"
            )
        elif h_ok and not same(h_val, as_json(o_val)):
            disagreements.append(f"{name}: helm {h_val!r}, hubfleet {o_val!r}")
    assert disagreements == [], f"{len(disagreements)} of {len(corpus)}:\n" + "\n".join(disagreements)


def test_what_hubfleet_writes_helm_reads_back(helm_bin, dump_chart, tmp_path):
    """Round trip: hubfleet's reading, dumped as rendered.values.yaml, read by Helm = the same values."""
    ours = {n: v for n, (ok, v) in ((n, hubfleet_reads(t)) for n, t in cases().items()) if ok}
    values = {f"c{i}": v for i, v in enumerate(ours.values())}
    text = yaml.dump(
        values,
        Dumper=helmyaml.Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=10_000,
    )
    ok, back = helm_reads(helm_bin, dump_chart, text, tmp_path)
    assert ok, back
    wrong = [
        f"{name}: wrote {v!r}, helm read {back[f'c{i}']!r}"
        for i, (name, v) in enumerate(ours.items())
        if not same(back[f"c{i}"], as_json(v))
    ]
    assert wrong == []
    assert hubfleet_reads(text)[1] == values  # and hubfleet reads its own output back unchanged


def test_the_reproductions_of_issue_14(tmp_path):
    """`PORTS: 2222:22` stays text, `tag: 1e3` is a number, `.nan` is refused, `1`/`'1'` refused."""
    assert hubfleet_reads("PORTS: 2222:22\n") == (True, {"PORTS": "2222:22"})
    assert hubfleet_reads("tag: 1e3\n") == (True, {"tag": 1000.0})
    assert not hubfleet_reads("x: .nan\n")[0]
    ok, why = hubfleet_reads("1: a\n'1': b\n")
    assert not ok and "same key" in why
