"""The README's description of the `local_hub` fixture matches the class it returns."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from hubfleet.testing.plugin import FleetHub as LocalHub  # what `local_hub()` returns

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_names_methods_as_calls_and_properties_as_attributes():
    row = next(line for line in README.read_text().splitlines() if line.startswith("| `local_hub("))
    calls = re.findall(r"`(\w+)\([^`]*\)", row.split("|")[2])
    attributes = re.findall(r"`\.(\w+)`", row)
    assert "log" in attributes and "create_user" in calls
    for name in calls:
        assert inspect.isfunction(getattr(LocalHub, name, None)), f"README calls `{name}()`: not a method"
    for name in attributes:
        member = inspect.getattr_static(LocalHub, name, None)
        assert not inspect.isfunction(member), f"README reads `.{name}`, but it is a method: `{name}()`"
