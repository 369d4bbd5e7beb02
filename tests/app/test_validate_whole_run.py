"""`invoke validate` reuses a whole run only while every input is what that run saw."""

from __future__ import annotations

import os

import pytest

from hubfleet.app import validaterun
from hubfleet.app.validaterun import validate_tree


@pytest.fixture
def loads(monkeypatch):
    """How many times a run loaded the fleet (a reused run loads none)."""
    count = []
    real = validaterun.load_fleet

    def counting(source):
        count.append(1)
        return real(source)

    monkeypatch.setattr(validaterun, "load_fleet", counting)
    return count


def test_nothing_changed_reuses_the_run_without_loading_the_fleet(seeded_fleet, loads):
    first = validate_tree(seeded_fleet, offline=True)
    again = validate_tree(seeded_fleet, offline=True)
    assert len(loads) == 1 and first.fleet is not None and again.fleet is None
    assert again.problems == first.problems and (again.hubs, again.support) == (first.hubs, first.support)
    assert first.hubs == len(first.fleet.hub_names) and first.support == len(first.fleet.support_targets())


def test_a_changed_layer_is_validated_again(seeded_fleet, loads):
    assert not [p for p in validate_tree(seeded_fleet, offline=True).problems if p.severity == "error"]
    hub = sorted(p.name for p in (seeded_fleet / "hubs").iterdir() if (p / "hub.yaml").is_file())[0]
    values = seeded_fleet / "hubs" / hub / "values.yaml"
    values.write_text((values.read_text() if values.is_file() else "") + "\nsingleuserr: {}\n")
    found = validate_tree(seeded_fleet, offline=True).problems
    assert len(loads) == 2
    assert any(p.file == f"hubs/{hub}/values.yaml" and "singleuserr" in str(p) for p in found), found


def test_a_new_folder_is_noticed(seeded_fleet, loads):
    validate_tree(seeded_fleet, offline=True)
    (seeded_fleet / "hubs" / ".draft").mkdir()
    found = validate_tree(seeded_fleet, offline=True).problems
    assert len(loads) == 2 and any(p.file == "hubs/.draft" for p in found)


def test_one_hubs_run_and_the_fleets_are_kept_apart(seeded_fleet, loads):
    whole = validate_tree(seeded_fleet, offline=True)
    hub = whole.fleet.hub_names[0]
    one = validate_tree(seeded_fleet, [hub], offline=True)
    assert len(loads) == 2 and one.hubs == 1 and one.support == 0
    assert validate_tree(seeded_fleet, [hub], offline=True).problems == one.problems
    assert validate_tree(seeded_fleet, offline=True).problems == whole.problems
    assert len(loads) == 2


def test_a_changed_chart_schema_is_validated_again(seeded_fleet, loads, monkeypatch):
    validate_tree(seeded_fleet, offline=True)
    real = validaterun.chart_schema_for

    def stricter(root, chart, *, offline):
        schema = real(root, chart, offline=offline)
        if schema is not None and chart.key == "jupyterhub":
            schema.digest = "another chart"  # what a re-pulled, changed chart gives
        return schema

    monkeypatch.setattr(validaterun, "chart_schema_for", stricter)
    validate_tree(seeded_fleet, offline=True)
    assert len(loads) == 2


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: m.setattr(validaterun, "code_digest", lambda: b"other code"), id="hubfleet"),
        pytest.param(
            lambda m: m.setattr(validaterun.gitrefs, "head_and_upstream", lambda root: ("a" * 40, "")),
            id="git HEAD",
        ),
    ],
)
def test_other_code_or_another_commit_is_validated_again(seeded_fleet, loads, monkeypatch, change):
    validate_tree(seeded_fleet, offline=True)
    change(monkeypatch)
    validate_tree(seeded_fleet, offline=True)
    assert len(loads) == 2


def test_a_symlink_in_the_fleet_means_no_whole_run_reuse(seeded_fleet, loads):
    hub = sorted(p for p in (seeded_fleet / "hubs").iterdir() if (p / "hub.yaml").is_file())[0]
    os.symlink("hub.yaml", hub / "notes.yaml")  # inside the fleet: fine, but the walk cannot vouch
    first = validate_tree(seeded_fleet, offline=True)
    again = validate_tree(seeded_fleet, offline=True)
    assert len(loads) == 2 and again.problems == first.problems


def test_an_unknown_hub_is_the_usual_error_and_nothing_is_kept(seeded_fleet):
    from hubfleet.core.errors import HubfleetError

    for _ in range(2):
        with pytest.raises(HubfleetError, match="nope"):
            validate_tree(seeded_fleet, ["nope"], offline=True)


def test_an_upgraded_library_is_other_code(tmp_path, monkeypatch):
    """A cached verdict is not reused across a library upgrade (an upgrade rewrites its files)."""
    from hubfleet.app import validate

    (tmp_path / "fakelib").mkdir()
    (tmp_path / "fakelib" / "__init__.py").write_text("VERSION = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(validate, "_VERDICT_LIBRARIES", ("fakelib",))
    validate.code_digest.cache_clear()
    before = validate.code_digest()
    (tmp_path / "fakelib" / "__init__.py").write_text("VERSION = 2.0\n")
    validate.code_digest.cache_clear()
    after = validate.code_digest()
    validate.code_digest.cache_clear()
    assert before != after
