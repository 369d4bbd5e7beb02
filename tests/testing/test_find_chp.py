"""Where test hubs get configurable-http-proxy: never an npm install in the middle of a test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hubfleet.core.errors import HubfleetError
from hubfleet.testing.components import find_chp


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """No proxy anywhere: an empty PATH, cache and state."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HUBFLEET_CHP", raising=False)
    monkeypatch.delenv("HUBFLEET_STATE", raising=False)
    return tmp_path


def test_none_found_is_one_error_naming_invoke_setup(bare):
    with pytest.raises(HubfleetError, match=r"run `invoke setup`.*--hubfleet-chp / \$HUBFLEET_CHP"):
        find_chp(bare / "repo")


def test_the_option_then_the_variable_then_path_then_invoke_setups_copy(bare, monkeypatch):
    repo = bare / "repo"
    setup_copy = executable(repo / ".hubfleet/node/node_modules/.bin/configurable-http-proxy")
    assert find_chp(repo / "sub") == setup_copy
    on_path = executable(bare / "bin/configurable-http-proxy")
    assert find_chp(repo) == on_path
    env = executable(bare / "env/chp")
    monkeypatch.setenv("HUBFLEET_CHP", str(env))
    assert find_chp(repo) == env
    given = executable(bare / "given/chp")
    assert find_chp(repo, str(given)) == given


def test_a_given_path_that_is_not_an_executable_is_an_error(bare):
    with pytest.raises(HubfleetError, match="is not an executable file"):
        find_chp(bare, str(bare / "nope"))
    assert os.environ["PATH"] == str(bare / "bin")
