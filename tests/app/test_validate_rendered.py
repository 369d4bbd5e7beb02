"""`invoke validate` is the gate: a stale or missing rendered file is an error there, with the
command that fixes it, for hubs and support releases alike (issue 23)."""

from __future__ import annotations

import shutil

import pytest

from hubfleet.adapters import yamlfast
from hubfleet.adapters.source import state_dir
from hubfleet.app.validaterun import validate_tree
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import validate as validate_cmd


def _validate(capsys) -> tuple[int, str]:
    code = boundary(validate_cmd.run, offline=True)
    out, err = capsys.readouterr()
    return code, out + err


def _render(capsys, **kw) -> tuple[int, str]:
    code = boundary(render_cmd.run, **kw)
    out, err = capsys.readouterr()
    return code, out + err


def _errors(root):
    return [p for p in validate_tree(root, offline=True).problems if p.severity == "error"]


def test_a_cluster_layer_edit_makes_validate_fail_with_the_stale_files_and_their_fix(seeded_fleet, capsys):
    assert _validate(capsys)[0] == 0
    layer = seeded_fleet / "clusters/uni-west/common.values.yaml"
    layer.write_text(layer.read_text() + "\ncustom:\n  edited: true\n")
    code, out = _render(capsys, check=True)
    stale = sorted(line.split(":")[0] for line in out.splitlines() if "stale" in line)
    assert code == 1 and stale
    code, out = _validate(capsys)
    assert code == 1, out
    said = sorted(line.split(":")[0] for line in out.splitlines() if "stale" in line)
    assert said == stale, out
    for path in stale:
        hub = path.split("/")[1]
        assert f"{path}: stale (its layers render differently): run `invoke render --hub {hub}`" in out
    assert _render(capsys)[0] == 0
    assert _validate(capsys)[0] == 0


def test_a_support_release_and_a_missing_file(seeded_fleet, capsys):
    support = sorted((seeded_fleet / "clusters/aws-us/support").glob("*.rendered.values.yaml"))[0]
    layer = support.with_name(support.name.replace(".rendered", ""))
    layer.write_text((layer.read_text() if layer.is_file() else "") + "\nextraStaleness: 1\n")
    (seeded_fleet / "hubs/oceans/rendered.values.yaml").unlink()
    found = {p.file: str(p) for p in _errors(seeded_fleet)}
    rel = str(support.relative_to(seeded_fleet))
    assert "stale (its layers render differently): run `invoke render`" in found[rel]
    assert "missing: run `invoke render --hub oceans`" in found["hubs/oceans/rendered.values.yaml"]


def test_a_hand_edited_rendered_file_is_stale_although_render_wrote_it(seeded_fleet, capsys):
    assert _render(capsys)[0] == 0
    rendered = seeded_fleet / "hubs/climate/rendered.values.yaml"
    rendered.write_text(rendered.read_text().replace("\n", "\n# a reviewer's note\n", 1))
    found = [p for p in _errors(seeded_fleet) if p.file == "hubs/climate/rendered.values.yaml"]
    assert found and "stale" in found[0].message


def test_renders_record_spares_validate_the_writing_a_fresh_clone_does_it(seeded_fleet, capsys, monkeypatch):
    """After `invoke render`, a cold validate compares digests; with no record (a fresh clone) it
    writes each file's text itself, and finds the same."""
    assert _render(capsys)[0] == 0
    shutil.rmtree(state_dir(seeded_fleet) / "cache", ignore_errors=True)
    calls = []
    real = yamlfast.Writer.dump
    monkeypatch.setattr(yamlfast.Writer, "dump", lambda self, data: calls.append(1) or real(self, data))
    assert _errors(seeded_fleet) == [] and calls == []
    shutil.rmtree(state_dir(seeded_fleet) / "cache", ignore_errors=True)
    (state_dir(seeded_fleet) / "rendered.json").unlink()
    assert _errors(seeded_fleet) == [] and calls


@pytest.mark.parametrize("hub", ["uni-teaching"])
def test_validate_hub_reports_only_that_hubs_rendered_file(seeded_fleet, hub, capsys):
    layer = seeded_fleet / "clusters/uni-west/common.values.yaml"
    layer.write_text(layer.read_text() + "\ncustom:\n  edited: true\n")
    problems = validate_tree(seeded_fleet, [hub], offline=True).problems
    stale = [p.file for p in problems if "stale" in p.message]
    assert stale == [f"hubs/{hub}/rendered.values.yaml"]


def test_a_folder_in_place_of_a_rendered_file_is_one_line(seeded_fleet, capsys):
    rendered = seeded_fleet / "hubs/climate/rendered.values.yaml"
    rendered.unlink()
    rendered.mkdir()
    code, out = _validate(capsys)
    assert code == 1 and "Traceback" not in out
    assert any(line.startswith("hubs/climate/rendered.values.yaml") for line in out.splitlines()), out


def test_a_hubs_render_key_follows_each_input_and_shares_nothing_across_clusters(seeded_fleet):
    """`HubKeys` hashes a cluster's shared part once: every input of one hub still moves its key
    (each of its six files, the hub's own fields, its chart), and two clusters never share a part."""
    from dataclasses import replace

    from hubfleet.adapters.source import DirSource
    from hubfleet.app.freshness import HubKeys, hub_key
    from hubfleet.app.load import load_fleet
    from hubfleet.core import paths

    fleet = load_fleet(DirSource(seeded_fleet))
    hub = fleet.hubs["climate"]
    files = (*paths.layers(hub.name, hub.cluster), *paths.secret_layers(hub.name, hub.cluster))
    digests = {f: b"=" + f.encode() for f in files}
    keys = HubKeys(fleet, lambda f: digests.get(f, b"-"), b"code")
    base = keys(hub)
    assert base == hub_key(fleet, hub, lambda f: digests.get(f, b"-"), b"code")
    for f in files:
        moved = HubKeys(fleet, lambda p, f=f: b"=changed" if p == f else digests.get(p, b"-"), b"code")
        assert moved(hub) != base, f
    assert HubKeys(fleet, lambda f: digests.get(f, b"-"), b"other code")(hub) != base
    assert keys(replace(hub, namespace=hub.namespace + "-x")) != base
    others = [h for h in fleet.hubs.values() if h.cluster != hub.cluster and h.chart == hub.chart]
    fresh = HubKeys(fleet, lambda f: digests.get(f, b"-"), b"code")  # nothing shared yet
    assert others and all(keys(o) == fresh(o) for o in others)
