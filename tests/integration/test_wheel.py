"""The shipped wheel holds the package only: no devtools (bench, synthetic fleet, lint), no tests."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_ships_hubfleet_and_nothing_of_devtools_or_tests(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("hubfleet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert all(t == "hubfleet" or t.endswith(".dist-info") for t in tops), tops
    assert not [n for n in names if n.startswith(("devtools/", "tests/")) or "/bench" in n or "synth" in n]
    shipped = {n for n in names if n.endswith(".py")}
    assert "hubfleet/core/compose.py" in shipped and "hubfleet/adapters/helm.py" in shipped
    assert "hubfleet/testing/plugin.py" in shipped  # the pytest plugin is shipped
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "hubfleet = hubfleet.testing.plugin" in zipfile.ZipFile(wheel).read(entry_points).decode()
