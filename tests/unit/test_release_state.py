"""Release state from `helm history -o json` and the stuck-release policy (pure)."""

from __future__ import annotations

import json

import pytest

from hubfleet.core.release import (
    Recovery,
    Revision,
    deployed_as,
    last_good,
    parse_history,
    plan_recovery,
    same_values,
    state_line,
)


def history(*statuses: str) -> str:
    return json.dumps(
        [
            {
                "revision": i,
                "updated": "2026-12-01T20:00:00Z",
                "status": s,
                "chart": "jupyterhub-4.4.0",
                "app_version": "5.5.0",
                "description": s,
            }
            for i, s in enumerate(statuses, start=1)
        ]
    )


def test_parse_history_reads_helms_json_in_revision_order():
    text = json.dumps([{"revision": 2, "status": "deployed"}, {"revision": 1, "status": "superseded"}])
    revs = parse_history(text)
    assert [(r.number, r.status) for r in revs] == [(1, "superseded"), (2, "deployed")]
    assert state_line(revs) == "revision 2 deployed" and state_line(()) == "not installed"


@pytest.mark.parametrize(
    "text",
    ["not json", '{"revision": 1}', '[{"status": "deployed"}]', '[{"revision": 1e400, "status": "x"}]'],
)
def test_parse_history_rejects_what_helm_does_not_print(text):
    with pytest.raises(ValueError, match="a JSON list of revisions"):
        parse_history(text)


def test_healthy_release_proceeds():
    assert plan_recovery(parse_history(history("superseded", "deployed")), "rollback", "r", "ns") == Recovery(
        "proceed"
    )
    assert plan_recovery((), "fail", "r", "ns").action == "proceed"
    # a failed last upgrade does not block Helm: no recovery needed
    assert plan_recovery(parse_history(history("deployed", "failed")), "fail", "r", "ns").action == "proceed"


def test_pending_upgrade_rolls_back_to_last_deployed_revision():
    revs = parse_history(history("superseded", "deployed", "failed", "pending-upgrade"))
    r = plan_recovery(revs, "rollback", "uni", "uni-ns")
    assert r.action == "rollback" and r.target == 2
    assert "stuck in pending-upgrade (revision 4)" in r.message and "rolled back to revision 2" in r.message


def test_pending_with_policy_fail_says_the_command():
    revs = parse_history(history("deployed", "pending-rollback"))
    r = plan_recovery(revs, "fail", "uni", "uni-ns")
    assert r.action == "fail" and "`helm rollback uni 1 --namespace uni-ns`" in r.message


def test_pending_install_has_nothing_to_roll_back_to():
    r = plan_recovery(parse_history(history("pending-install")), "rollback", "uni", "uni-ns")
    assert r.action == "fail" and "no deployed revision" in r.message and "helm uninstall uni" in r.message


def test_last_good_falls_back_to_superseded():
    revs = parse_history(history("superseded", "failed"))
    assert last_good(revs).number == 1
    assert last_good(parse_history(history("failed"))) is None


def test_a_release_is_unchanged_only_when_deployed_from_the_same_chart():
    revs = (Revision(1, "superseded", "tinyhub-0.1.0"), Revision(2, "deployed", "tinyhub-0.2.0"))
    assert deployed_as(revs, "tinyhub-0.2.0")
    assert not deployed_as(revs, "tinyhub-0.1.0")  # another version: upgrade
    assert not deployed_as(revs, None)  # no pinned version: always upgrade
    assert not deployed_as((), "tinyhub-0.2.0")  # not installed
    assert not deployed_as((*revs[:1], Revision(2, "failed", "tinyhub-0.2.0")), "tinyhub-0.2.0")


def test_values_compare_exactly_not_as_python_equality():
    assert same_values({"a": {"b": 1, "c": None}}, {"a": {"c": None, "b": 1}})
    assert not same_values({"replicas": 1}, {"replicas": True})  # Python: 1 == True
    assert same_values({"limit": 1}, {"limit": 1.0})  # to Helm both are the JSON number 1
    assert not same_values({"limit": 1}, {"limit": 1.5})
    assert not same_values({"a": {}}, {})
