"""A hub's (or support release's) Helm release on its cluster, around an upgrade: read its
state, recover a stuck one, tell whether an upgrade would change nothing.

The decisions are pure (`hubfleet.core.release`); this module only asks Helm (`helm history`,
`helm rollback`, `helm get values`) through the Helm adapter, with the cluster's credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubfleet.adapters import charts, helm, memfile, yamlio
from hubfleet.adapters.providers import CredentialArgs
from hubfleet.adapters.runner import CommandError, Completed, Runner
from hubfleet.core.errors import HubfleetError
from hubfleet.core.manifests import same_objects
from hubfleet.core.model import Chart, Hub, Rollout
from hubfleet.core.release import Revision, deployed_as, last_good, plan_recovery, same_values, state_line
from hubfleet.core.support import SupportRelease
from hubfleet.core.tree import merge

__all__ = ["ReleaseOnCluster", "wanted_values"]

NOT_FOUND = "release: not found"


def wanted_values(root: Path, rendered: str, secrets: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values `helm upgrade` is given (the rendered file, then the clear secrets), merged as
    Helm merges its `--values` files: what `helm get values` shows after it."""
    doc = yamlio.parse((root / rendered).read_bytes(), rendered, allow_empty=True)
    return merge([doc, secrets or {}])


@dataclass(frozen=True)
class ReleaseOnCluster:
    """One hub's (or support release's) release, reached with one cluster's credentials."""

    root: Path
    hub: Hub | SupportRelease  # what the release and its namespace are read from
    rollout: Rollout
    creds: CredentialArgs
    runner: Runner

    def _reach(self) -> dict:
        return {"credentials": self.creds.flags, "env": self.creds.env, "pass_fds": self.creds.fds}

    def _query(self, verb: Callable[..., Completed], **more: Any) -> Completed:
        """A read-only Helm verb on this release, within the fleet's query deadline."""
        return verb(
            self.root,
            self.hub.release,
            self.hub.namespace,
            **self._reach(),
            runner=self.runner,
            timeout=self.rollout.tool_timeout,
            **more,
        )

    def history(self, *, cleanup: bool = False) -> tuple[Revision, ...]:
        """Its revisions (empty: not installed); a HubfleetError if Helm cannot say."""
        try:
            done = self._query(helm.history, cleanup=cleanup)
        except CommandError as e:
            if NOT_FOUND in (e.completed.stderr or ""):
                return ()
            raise HubfleetError(f"cannot read the state of release {self.hub.release}: {e}") from None
        return helm.revisions(done)

    def recover_stuck(self, history: tuple[Revision, ...] | None = None) -> str:
        """Before an upgrade: roll a `pending-*` release back (rollout.stuck: rollback) and say so,
        or raise saying how to recover it by hand (rollout.stuck: fail). '' when not stuck.
        `history`: as `history()` just read it (else it is read here)."""
        revs = self.history() if history is None else history
        step = plan_recovery(revs, self.rollout.stuck, self.hub.release, self.hub.namespace)
        if step.action == "proceed":
            return ""
        if step.action == "fail":
            raise HubfleetError(step.message)
        self.rollback(step.target)
        return step.message

    def unchanged(
        self,
        history: tuple[Revision, ...],
        chart: str | None,
        wanted: Mapping[str, Any],
        rendered: Callable[[], str] | None = None,
    ) -> bool:
        """Whether `helm upgrade` would change nothing: the newest revision `deployed` from `chart`
        (`name-version`) with exactly the `wanted` values (secrets included: compared here, in
        memory, never shown). One `helm get values`, only when status and chart already match.
        `rendered`: for a chart folder, whose version does not pin its content, the manifests it
        makes now (`helm template`), compared with the release's (`helm get manifest`) too."""
        if not deployed_as(history, chart):
            return False
        try:
            done = self._query(helm.get_values)
        except CommandError:  # cannot tell: upgrade, as before (its own error says what is wrong)
            return False
        if not same_values(helm.user_values(done), wanted):
            return False
        return rendered is None or self._same_manifest(rendered)

    def _same_manifest(self, rendered: Callable[[], str]) -> bool:
        try:
            deployed = self._query(helm.get_manifest)
            return same_objects(deployed.stdout, rendered())
        except (CommandError, HubfleetError):  # cannot tell: upgrade
            return False

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


def folder_manifests(
    root: Path,
    release: Hub | SupportRelease,
    chart: Chart,
    rendered_file: str,
    secrets: Sequence[tuple[bytes, str]],
    *,
    runner: Runner,
    mask: Sequence[str] = (),
) -> Callable[[], str] | None:
    """For a chart folder (whose version does not pin its content): what makes its manifests now,
    as `helm template` with the release's values (secrets in memory), for `unchanged`. None for a
    repository chart. A chart whose templates draw random values compares unequal: upgraded."""
    if chart.kind != "path":
        return None

    def make() -> str:
        folder = charts.chart_dir(root, chart, runner=runner)
        with memfile.memfiles(secrets) as held:
            done = helm.template(
                root,
                release,  # type: ignore[arg-type]
                chart,
                [rendered_file, *(m.path for m in held)],
                chart_folder=folder,
                runner=runner,
                mask=mask,
                pass_fds=[m.fd for m in held],
            )
        return done.stdout

    return make
