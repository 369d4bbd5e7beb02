"""The fuzzer itself (devtools/fuzz.py): it finds a planted crash, and a short run finds none."""

from __future__ import annotations

import pytest
from devtools import fuzz

pytestmark = pytest.mark.slow


def test_a_short_run_has_no_tracebacks(capsys):
    assert fuzz.main(["--seconds", "5", "--seed", "11"]) == 0
    assert " 0 traceback(s)" in capsys.readouterr().out


def test_a_crash_is_reported_with_its_case(monkeypatch, capsys):
    def crash(files, schema):
        raise ValueError("planted")

    monkeypatch.setattr(fuzz, "one_case", crash)
    assert fuzz.main(["--max-cases", "3", "--seconds", "5", "--seed", "1"]) == 1
    captured = capsys.readouterr()
    assert "ValueError: planted" in captured.err and "3 traceback(s)" in captured.out
