"""A hub's Helm release on its cluster, around an upgrade: read its state, recover a stuck one.

The decisions are pure (`hubfleet.core.release`); this module only asks Helm (`helm history`,
`helm rollback`) through the Helm adapter, with the cluster's credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hubfleet.adapters import helm
from hubfleet.adapters.providers import CredentialArgs
from hubfleet.adapters.runner import CommandError, Runner
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Hub, Rollout
from hubfleet.core.release import Revision, last_good, plan_recovery, state_line

__all__ = ["ReleaseOnCluster"]

NOT_FOUND = "release: not found"


@dataclass(frozen=True)
class ReleaseOnCluster:
    """One hub's release, reached with one cluster's credentials."""

    root: Path
    hub: Hub
    rollout: Rollout
    creds: CredentialArgs
    runner: Runner

    def _reach(self) -> dict:
        return {"credentials": self.creds.flags, "env": self.creds.env, "pass_fds": self.creds.fds}

    def history(self, *, cleanup: bool = False) -> tuple[Revision, ...]:
        """Its revisions (empty: not installed); a HubfleetError if Helm cannot say."""
        try:
            done = helm.history(
                self.root,
                self.hub.release,
                self.hub.namespace,
                **self._reach(),
                runner=self.runner,
                cleanup=cleanup,
                timeout=self.rollout.tool_timeout,
            )
        except CommandError as e:
            if NOT_FOUND in (e.completed.stderr or ""):
                return ()
            raise HubfleetError(f"cannot read the state of release {self.hub.release}: {e}") from None
        return helm.revisions(done)

    def recover_stuck(self) -> str:
        """Before an upgrade: roll a `pending-*` release back (rollout.stuck: rollback) and say so,
        or raise saying how to recover it by hand (rollout.stuck: fail). '' when not stuck."""
        step = plan_recovery(self.history(), self.rollout.stuck, self.hub.release, self.hub.namespace)
        if step.action == "proceed":
            return ""
        if step.action == "fail":
            raise HubfleetError(step.message)
        self.rollback(step.target)
        return step.message

    def rollback(self, revision: int | None, *, cleanup: bool = False) -> None:
        try:
            helm.rollback(
                self.root,
                self.hub.release,
                self.hub.namespace,
                revision,
                timeout=self.rollout.timeout,
                wait=self.rollout.wait,
                **self._reach(),
                runner=self.runner,
                cleanup=cleanup,
            )
        except CommandError as e:
            raise HubfleetError(
                f"release {self.hub.release}: rollback to revision {revision} failed: {e}"
            ) from None

    def state_left(self) -> str:
        """`release left at revision 5 pending-upgrade: ...` after a failed, timed-out or stopped upgrade."""
        try:
            revs = self.history(cleanup=True)
        except HubfleetError as e:
            return f"release state unknown ({e})"
        text = f"release left at {state_line(revs)}"
        if revs and revs[-1].pending:
            good = last_good(revs[:-1])
            if self.rollout.stuck == "rollback" and good is not None:
                text += f": the next deploy rolls it back to revision {good.number} (rollout.stuck: rollback)"
            elif good is not None:
                text += (
                    f": recover it with `helm rollback {self.hub.release} {good.number} "
                    f"--namespace {self.hub.namespace}`"
                )
        return text

    def after_interrupt(self) -> str:
        """After Ctrl-C stopped an upgrade hubfleet started: leave no release pending (policy allowing)."""
        try:
            revs = self.history(cleanup=True)
            if not revs or not revs[-1].pending:
                return f"release left at {state_line(revs)}"
            good = last_good(revs[:-1])
            if self.rollout.stuck != "rollback" or good is None:
                return self.state_left()
            self.rollback(good.number, cleanup=True)
            return f"release was left {revs[-1].status}: rolled back to revision {good.number}"
        except HubfleetError as e:
            return f"release state unknown ({e})"
