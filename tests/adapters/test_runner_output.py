"""Tool output (issue 22 items 13-15): decoded leniently, parsed by type, bounded in time."""

from __future__ import annotations

import sys

import pytest

from hubfleet.adapters.runner import CommandError, run


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_successful_command_with_a_non_utf8_byte_is_a_success_and_keeps_its_text():
    done = run(_py("import sys; sys.stdout.buffer.write(b'Release \\xff upgraded\\n')"))
    assert done.returncode == 0 and done.stdout == "Release \ufffd upgraded\n"


def test_a_failing_command_with_a_non_utf8_byte_keeps_its_own_message():
    code = "import sys; sys.stderr.buffer.write(b'Error: UPGRADE FAILED: bad \\xe4 byte\\n'); sys.exit(1)"
    with pytest.raises(CommandError) as e:
        run(_py(code))
    assert "Error: UPGRADE FAILED: bad \ufffd byte" in str(e.value) and "(exit 1)" in str(e.value)


def test_text_input_reaches_the_command_as_utf8():
    done = run(_py("import sys; sys.stdout.write(sys.stdin.buffer.read().hex())"), input="ä")
    assert done.stdout == "c3a4"
