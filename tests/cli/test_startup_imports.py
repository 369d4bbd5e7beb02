"""Start-up cost: what a command imports before it does anything (a fresh interpreter each)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = (
    "hubfleet.core.hubconfig",
    "hubfleet.core.traits",
    "hubfleet.adapters.traitdata",
    "cerberus",
    "filelock",
    "fastjsonschema",
)


@pytest.mark.parametrize("command", ["render", "plan", "deploy", "validate", "status"])
def test_commands_import_no_checks_or_libraries_they_may_not_need(command):
    code = (
        f"import sys, hubfleet.cli.commands.{command}\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"`{command}` imports {done.stdout.strip()} at start-up"
