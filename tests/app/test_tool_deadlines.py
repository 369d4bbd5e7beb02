"""Issue 22 item 15: every tool call has a deadline derived from the fleet's settings.

A `helm history` that never answers cost 120 s per release whatever `rollout.timeout` said. The
helm here is a STAND-IN that never answers `history` (it sleeps) and hands every other verb to the
stateful helm STAND-IN; stand-ins are the only way to make a tool hang on purpose.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from hubfleet.app.deploy import deploy_hub

pytestmark = pytest.mark.slow

SLEEPER = """#!{python}
# A STAND-IN for helm whose `history` never answers; every other verb goes to {inner}.
import os, sys, time
if sys.argv[1:2] == ["history"]:
    time.sleep(600)
os.execv({inner!r}, [{inner!r}, *sys.argv[1:]])
"""


@pytest.fixture
def history_hangs(standin_fleet, tmp_path, monkeypatch):
    path = tmp_path / "bin-hang" / "helm"
    path.parent.mkdir()
    path.write_text(SLEEPER.format(python=sys.executable, inner=os.environ["HUBFLEET_HELM"]))
    path.chmod(0o755)
    monkeypatch.setenv("HUBFLEET_HELM", str(path))
    return standin_fleet


def test_a_helm_history_that_never_answers_costs_at_most_the_release_timeout(history_hangs):
    sf = history_hangs
    fleet = sf.fleet(timeout=3)
    assert fleet.config.rollout.tool_timeout == 3
    start = time.monotonic()
    result = deploy_hub(sf.root, fleet, "beta")
    took = time.monotonic() - start
    assert not result.ok and "helm history beta ...` failed (timed out after 3s" in result.message
    assert took < 3 + 10, took  # the deadline plus the rest of the deploy's own steps, not 120 s
    assert not sf.helm.calls("upgrade")  # nothing was upgraded blind


def test_the_tool_deadline_follows_rollout_timeout_up_to_its_cap(standin_fleet):
    assert standin_fleet.fleet(timeout=30).config.rollout.tool_timeout == 30
    assert standin_fleet.fleet(timeout=900).config.rollout.tool_timeout == 120
