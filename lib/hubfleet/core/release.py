"""A Helm release's state, and what to do about a stuck one: pure, over `helm history -o json`.

Helm keeps one record per revision; the newest one's status is the release's status. A
revision left `pending-install`/`pending-upgrade`/`pending-rollback` (Helm was killed, or lost
its connection, mid-operation) blocks every later upgrade with "another operation is in
progress". `rollout.stuck` says what hubfleet does before upgrading such a release:
`rollback` (the default) rolls back to the last revision that was deployed, `fail` stops that
hub with the command to run by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hubfleet.core.jsonshape import json_doc, json_kind

__all__ = [
    "PENDING",
    "STUCK_POLICIES",
    "UNCHANGED",
    "Recovery",
    "Revision",
    "deployed_as",
    "last_good",
    "parse_history",
    "plan_recovery",
    "same_values",
    "state_line",
]

PENDING = ("pending-install", "pending-upgrade", "pending-rollback")
STUCK_POLICIES = ("rollback", "fail")
GOOD = ("deployed", "superseded")  # statuses of revisions that were, at some point, live
UNCHANGED = "unchanged: nothing to upgrade"


@dataclass(frozen=True)
class Revision:
    number: int
    status: str
    chart: str = ""
    description: str = ""
    updated: str = ""

    @property
    def pending(self) -> bool:
        return self.status in PENDING


@dataclass(frozen=True)
class Recovery:
    """What to do before an upgrade: `proceed`, `rollback` to `target`, or `fail` saying why."""

    action: str  # "proceed" | "rollback" | "fail"
    message: str = ""
    target: int | None = None


HISTORY = "a JSON list of revisions, each an object with a whole-number `revision` and a string `status`"


def parse_history(text: str) -> tuple[Revision, ...]:
    """`helm history REL -o json` (oldest first, as Helm prints it) as Revisions.

    ValueError saying what was expected (and what came, by type only) when the text is not that:
    a revision `1e400` or `true` is not a revision number."""
    doc = json_doc(text or "[]", HISTORY)
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise ValueError(f"{HISTORY} (got {json_kind(doc)})")
    revs = []
    for r in doc:
        number, status = r.get("revision"), r.get("status")
        if type(number) is not int or number < 1 or not isinstance(status, str):
            got = f"revision {json_kind(number)}, status {json_kind(status)}"
            raise ValueError(f"{HISTORY} (got {got})")
        revs.append(
            Revision(
                number,
                status,
                str(r.get("chart", "")),
                str(r.get("description", "")),
                str(r.get("updated", "")),
            )
        )
    return tuple(sorted(revs, key=lambda r: r.number))


def last_good(history: Sequence[Revision]) -> Revision | None:
    """The revision to roll back to: the newest `deployed` one, else the newest `superseded` one."""
    for wanted in ("deployed", "superseded"):
        found = [r for r in history if r.status == wanted]
        if found:
            return found[-1]
    return None


def state_line(history: Sequence[Revision]) -> str:
    """`revision 5 pending-upgrade` / `not installed`: the release's state in a few words."""
    if not history:
        return "not installed"
    last = history[-1]
    return f"revision {last.number} {last.status}"


def plan_recovery(history: Sequence[Revision], policy: str, release: str, namespace: str) -> Recovery:
    """Before upgrading `release`: go on, roll back a stuck release first, or stop (pure)."""
    if policy not in STUCK_POLICIES:
        raise ValueError(f"rollout.stuck must be one of {', '.join(STUCK_POLICIES)}")
    if not history or not history[-1].pending:
        return Recovery("proceed")
    stuck = history[-1]
    good = last_good(history[:-1])
    what = f"release {release} is stuck in {stuck.status} (revision {stuck.number})"
    if good is None:
        return Recovery(
            "fail",
            f"{what} and has no deployed revision to roll back to: check it, then "
            f"`helm uninstall {release} --namespace {namespace}` and deploy again",
        )
    by_hand = f"`helm rollback {release} {good.number} --namespace {namespace}`"
    if policy == "fail":
        return Recovery("fail", f"{what}; rollout.stuck is `fail`: recover it with {by_hand}", good.number)
    return Recovery("rollback", f"{what}: rolled back to revision {good.number} (last deployed)", good.number)


def deployed_as(history: Sequence[Revision], chart: str | None) -> bool:
    """Whether the newest revision is `deployed` from `chart` (`name-version`, as `helm history`
    prints it): the first half of "an upgrade would change nothing"; None (no pinned version): never."""
    return bool(chart) and bool(history) and history[-1].status == "deployed" and history[-1].chart == chart


def same_values(deployed: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """The second half: `helm get values -o json` equals the values hubfleet would pass, exactly.

    Compared as canonical JSON, so `1` and `true` stay distinct (Python's == would not); `1.0` is
    `1`, as to Helm (its values are JSON numbers: float64)."""
    return _canonical(deployed) == _canonical(wanted)


def _canonical(values: Mapping[str, Any]) -> str:
    return json.dumps(_numbers(values), sort_keys=True, default=str)


def _numbers(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers(v) for v in node]
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node
