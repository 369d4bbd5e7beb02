"""The pure chart comparison (core.chartdiff) over dict literals."""

from __future__ import annotations

from hubfleet.core.chartdiff import (
    ABSENT,
    DefaultChange,
    SchemaChange,
    default_changes,
    reaches,
    schema_changes,
)


def test_default_changes_are_leaves_lists_included():
    before = {"hub": {"image": {"tag": "1"}, "args": [1]}, "gone": {"x": 1}, "same": 2}
    after = {"hub": {"image": {"tag": "2"}, "args": [1, 2]}, "new": True, "same": 2}
    assert default_changes(before, after) == [
        DefaultChange(("hub", "image", "tag"), "1", "2"),
        DefaultChange(("hub", "args"), [1], [1, 2]),
        DefaultChange(("gone", "x"), 1, ABSENT),
        DefaultChange(("new",), ABSENT, True),
    ]


def test_a_default_reaches_a_hub_that_leaves_it_alone():
    values = {"hub": {"image": {"name": "mine"}}, "singleuser": {"extraEnv": ["A"]}}
    assert reaches(values, ("hub", "image", "tag"))
    assert reaches(values, ("proxy", "https"))
    assert not reaches(values, ("hub", "image", "name"))  # the hub sets it
    assert not reaches(values, ("singleuser", "extraEnv", "B"))  # a list the hub set replaces the map


def test_schema_changes():
    before = {
        "type": "object",
        "properties": {
            "hub": {"type": "object", "properties": {"port": {"type": "integer"}, "old": {}}},
            "mode": {"enum": ["a", "b"]},
        },
    }
    after = {
        "type": "object",
        "properties": {
            "hub": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"port": {"type": "string"}, "new": {}},
                "required": ["new"],
            },
            "mode": {"enum": ["a"]},
        },
    }
    assert schema_changes(before, after) == [
        SchemaChange(("hub",), "closed to unknown keys"),
        SchemaChange(("hub", "port"), "type integer -> string"),
        SchemaChange(("hub", "old"), "removed"),
        SchemaChange(("hub", "new"), "added"),
        SchemaChange(("hub", "new"), "now required"),
        SchemaChange(("mode",), "allowed values ['a', 'b'] -> ['a']"),
    ]
    assert schema_changes(after, after) == []
