"""`invoke validate --deep` shows progress on a terminal (rich), and nothing extra otherwise."""

from __future__ import annotations

import io

from rich.console import Console

from hubfleet.app import deep
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import validate as validate_cmd


def _fake_deep(monkeypatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(deep, "deep_check", lambda root, fleet, name: seen.append(name) or [])
    return seen


def test_on_a_terminal_deep_shows_progress(seeded_fleet, monkeypatch, capsys):
    seen = _fake_deep(monkeypatch)
    screen = io.StringIO()
    monkeypatch.setattr(
        validate_cmd, "err_console", Console(file=screen, force_terminal=True, color_system=None, width=100)
    )
    assert boundary(validate_cmd.run, offline=True, deep=True) == 0
    shown = screen.getvalue()
    assert seen and f"helm template {len(seen)}/{len(seen)}" in shown, shown


def test_without_a_terminal_no_progress_is_printed(seeded_fleet, monkeypatch, capsys):
    seen = _fake_deep(monkeypatch)
    assert boundary(validate_cmd.run, offline=True, deep=True) == 0
    out = capsys.readouterr()
    assert seen and "helm template" not in out.out + out.err
