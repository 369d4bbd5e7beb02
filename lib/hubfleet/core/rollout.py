"""The rollout engine: which release runs when, whatever runs it.

Generic over two callables, `deploy(hub) -> Result` and `health(hub) -> Result`,
so `invoke deploy` passes its Helm adapter and tests pass stand-ins.

Order (the contract): per cluster, staging hubs deploy and pass their health
check before that cluster's prod hubs start. Clusters run in parallel and never
wait for each other, so the makespan is the slowest cluster's own critical path
(staging + health, then ceil(prod / max_parallel_per_cluster) waves of release +
health), within the global `max_parallel` bound. Canary clusters, when asked for,
go first as a wave.

Canary, always: a cluster whose prod hubs are targeted but none of its staging
hubs gets those staging hubs as `check` targets (`canary_checks`): health-checked,
not redeployed, before prod. Prod hubs are health-checked after their release too
(`rollout.health.prod`); an unhealthy one is a failed hub, so it fails the run
and counts for the breaker like any failed release.

Timeouts: the deploy callable gets `settings.timeout` and its runner stops the
helm process group on expiry (SIGTERM, a grace period, then SIGKILL). A thread
cannot be killed, so the engine only stops *waiting* for a call that overruns
twice the timeout (a stuck-release rollback, then the upgrade) + GRACE, reports it
`timed out` and frees its slot; the stray thread is a daemon.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table

from hubfleet.core.model import Rollout

__all__ = [
    "CHECK_ONLY",
    "GRACE",
    "HubOutcome",
    "Result",
    "RolloutReport",
    "Target",
    "canary_checks",
    "describe",
    "in_order",
    "result_rows",
    "result_table",
    "run_rollout",
]

GRACE = 120.0  # seconds past twice the release timeout before the engine stops waiting
CHECK_ONLY = "health checked only (not in the plan)"
SUPPORT = "support"  # the stage of a cluster support release (v1.1): before the cluster's hubs


@dataclass(frozen=True)
class Target:
    hub: str
    cluster: str
    stage: str  # "support" | "staging" | "prod"
    action: str = "deploy"  # "deploy" | "check": a staging hub health-checked, not redeployed


@dataclass(frozen=True)
class Result:
    hub: str
    ok: bool
    message: str = ""
    duration: float = 0.0
    unchanged: bool = False  # the deploy changed nothing and saw the hub answer: no health check


@dataclass(frozen=True)
class HubOutcome:
    hub: str
    cluster: str
    stage: str
    status: str  # "ok" | "failed" | "skipped"
    message: str = ""
    duration: float = 0.0
    health: str = ""  # "healthy" | "unhealthy" | "" (not checked)


@dataclass(frozen=True)
class RolloutReport:
    outcomes: tuple[HubOutcome, ...]
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return all(o.status == "ok" for o in self.outcomes)

    def by_status(self, status: str) -> list[HubOutcome]:
        return [o for o in self.outcomes if o.status == status]


Call = Callable[[str], Result]


def canary_checks(targets: Sequence[Target], staging_of: Mapping[str, Sequence[str]]) -> list[Target]:
    """Pure: `targets` plus, for each cluster whose prod hubs are targeted and none of its
    staging hubs, those staging hubs as `check` targets (health only), ahead of that cluster."""
    has_staging = {t.cluster for t in targets if t.stage == "staging"}
    out: list[Target] = []
    added: set[str] = set()
    for t in targets:
        if t.stage != "staging" and t.cluster not in has_staging and t.cluster not in added:
            added.add(t.cluster)
            out += [Target(name, t.cluster, "staging", "check") for name in staging_of.get(t.cluster, ())]
        out.append(t)
    return out


# --- one guarded call ---------------------------------------------------------------


def _one_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def guarded(fn: Call, hub: str, limit: float | None) -> Result:
    """`fn(hub)` as a Result: an exception is a failure, an overrun is `timed out`."""
    box: list[Result] = []
    start = time.monotonic()

    def work() -> None:
        try:
            r = fn(hub)
            if not isinstance(r, Result):
                r = Result(hub, False, f"returned {type(r).__name__}, not a Result")
        except Exception as e:  # a failing callable is a failed release, never a crash
            r = Result(hub, False, _one_line(e))
        box.append(r)

    t = threading.Thread(target=work, name=f"release-{hub}", daemon=True)
    t.start()
    t.join(limit)
    took = time.monotonic() - start
    if not box:
        return Result(hub, False, f"timed out after {took:.0f}s (gave up waiting)", took)
    r = box[0]
    return Result(r.hub, r.ok, r.message, r.duration or took, r.unchanged)


# --- the engine ------------------------------------------------------------------------


@dataclass
class _Run:
    """Shared state of one rollout (guarded by `lock`)."""

    deploy: Call
    health: Call | None
    settings: Rollout
    slots: threading.BoundedSemaphore
    interrupted: threading.Event  # set on Ctrl-C: the shell's runner stops running commands
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: dict[str, HubOutcome] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    failed_clusters: set[str] = field(default_factory=set)
    unchanged: set[str] = field(default_factory=set)  # hubs whose deploy changed nothing
    cancelled: threading.Event = field(default_factory=threading.Event)
    # Run once per cluster before anything of it (its shared secrets decrypt); a failure deploys
    # nothing of that cluster.
    prepare: Call | None = None

    def record(
        self, t: Target, status: str, message: str = "", duration: float = 0.0, health: str = ""
    ) -> None:
        with self.lock:
            self.outcomes[t.hub] = HubOutcome(t.hub, t.cluster, t.stage, status, message, duration, health)
            if status == "failed":
                self.failed_clusters.add(t.cluster)

    def say(self, cluster: str, text: str) -> None:
        with self.lock:
            self.status[cluster] = text

    def breaker_open(self) -> bool:
        n = self.settings.breaker
        with self.lock:
            return n > 0 and len(self.failed_clusters) >= n

    def release(self, t: Target) -> bool:
        """Deploy one hub within the global bound; record failures. True if it deployed."""
        with self.slots:
            if self.cancelled.is_set():
                self.record(t, "skipped", "interrupted")
                return False
            r = guarded(self.deploy, t.hub, 2 * self.settings.timeout + GRACE)
        if not r.ok:
            self.record(t, "failed", r.message, r.duration)
        else:
            self.record(t, "ok", r.message, r.duration)
            if r.unchanged:
                with self.lock:
                    self.unchanged.add(t.hub)
        return r.ok

    def checked(self, t: Target) -> bool:
        """A staging hub: deploy it (unless a `check` target), then its health check (unless --no-health)."""
        if t.action == "check":
            if self.health is None:
                self.record(t, "skipped", "no health check (--no-health)")
                return True
            return self.health_check(t, CHECK_ONLY, 0.0, "health check failed (not redeployed)")
        if not self.release(t):
            return False
        if self.health is None or t.hub in self.unchanged:
            return True
        done = self.outcomes[t.hub]
        return self.health_check(t, done.message, done.duration, "deployed, health check failed")

    def prod(self, t: Target) -> bool:
        """A prod hub: deploy it, then its health check when `rollout.health.prod` says so."""
        if not self.release(t):
            return False
        if self.health is None or not self.settings.health_prod or t.hub in self.unchanged:
            return True
        done = self.outcomes[t.hub]
        return self.health_check(t, done.message, done.duration, "deployed, health check failed")

    def health_check(self, t: Target, message: str, took: float, failed: str) -> bool:
        assert self.health is not None
        limit = self.settings.health_timeout * (self.settings.health_retries + 1) + GRACE
        h = guarded(self.health, t.hub, limit)
        if h.ok:
            self.record(t, "ok", message, took + h.duration, "healthy")
            return True
        self.record(t, "failed", f"{failed}: {h.message}", took + h.duration, "unhealthy")
        return False


def _stages(targets: Sequence[Target]) -> tuple[list[Target], list[Target], list[Target]]:
    """One cluster's targets as the rollout takes them: support releases, staging hubs, prod hubs."""
    support = [t for t in targets if t.stage == SUPPORT]
    staging = [t for t in targets if t.stage == "staging"]
    prod = [t for t in targets if t.stage not in ("staging", SUPPORT)]
    return support, staging, prod


def _run_cluster(run: _Run, cluster: str, hubs: Sequence[Target]) -> None:
    support, staging, prod = _stages(hubs)
    width = max(1, min(run.settings.max_parallel_per_cluster, len(hubs)))
    if run.breaker_open():
        for t in hubs:
            run.record(t, "skipped", "breaker open")
        run.say(cluster, "skipped: breaker open")
        return
    if not _prepared(run, cluster, hubs) or not _support_first(run, cluster, support, [*staging, *prod]):
        return
    with ThreadPoolExecutor(width, thread_name_prefix=f"cluster-{cluster}") as pool:
        if staging:
            run.say(cluster, f"staging ({len(staging)})")
            healthy = all(list(pool.map(run.checked, staging)))
            if not healthy:
                for t in prod:
                    run.record(t, "skipped", f"staging failed on {cluster}")
                run.say(cluster, "failed in staging")
                return
        run.say(cluster, f"prod ({len(prod)})")
        list(pool.map(run.prod, prod))
    run.say(cluster, "failed" if cluster in run.failed_clusters else "done")


def _prepared(run: _Run, cluster: str, hubs: Sequence[Target]) -> bool:
    """The cluster's first step (`prepare`): if it fails, nothing of the cluster deploys."""
    if run.prepare is None:
        return True
    r = guarded(run.prepare, cluster, 600)
    if r.ok:
        return True
    for t in hubs:
        run.record(t, "skipped", f"nothing deployed on {cluster}: {r.message}")
    with run.lock:
        run.failed_clusters.add(cluster)
    run.say(cluster, "failed before its first release")
    return False


def _support_first(run: _Run, cluster: str, support: Sequence[Target], hubs: Sequence[Target]) -> bool:
    """Support releases one by one in their order; one that fails skips the rest of the cluster."""
    for i, t in enumerate(support):
        run.say(cluster, f"support {i + 1}/{len(support)}")
        if not run.release(t):
            for later in [*support[i + 1 :], *hubs]:
                run.record(later, "skipped", f"support release {t.hub} failed on {cluster}")
            run.say(cluster, "failed in support")
            return False
    return True


def _by_cluster(targets: Iterable[Target]) -> dict[str, list[Target]]:
    out: dict[str, list[Target]] = {}
    for t in targets:
        out.setdefault(t.cluster, []).append(t)  # exact names: no prefix matching anywhere
    return dict(sorted(out.items()))


def waves(targets: Sequence[Target], settings: Rollout, canary_first: bool) -> list[list[str]]:
    """Cluster names per wave: the canary clusters (if asked and targeted), then the rest."""
    clusters = list(_by_cluster(targets))
    canary = set(settings.canary.clusters)
    first = [c for c in clusters if c in canary] if canary_first else []
    if not first:
        return [clusters] if clusters else []
    rest = [c for c in clusters if c not in canary]
    return [first, rest] if rest else [first]


def in_order(targets: Sequence[Target], settings: Rollout, canary_first: bool) -> list[Target]:
    """Pure: the targets in the order a rollout takes them (wave by wave, each cluster's stages in
    turn; within a stage they run side by side)."""
    groups = _by_cluster(targets)
    return [
        t
        for wave in waves(targets, settings, canary_first)
        for c in wave
        for stage in _stages(groups[c])
        for t in stage
    ]


def describe(targets: Sequence[Target], settings: Rollout, canary_first: bool, health: bool) -> list[str]:
    """Pure: the rollout's steps as lines, in the order `run_rollout` takes them: per cluster its
    support releases, its staging hubs, the health gate, its prod hubs."""
    groups = _by_cluster(targets)
    plan = waves(targets, settings, canary_first)
    lines: list[str] = []
    for i, wave in enumerate(plan):
        if len(plan) > 1:
            lines.append(f"wave {i + 1} ({'canary clusters' if i == 0 else 'the other clusters'}):")
        for cluster in wave:
            support, staging, prod = _stages(groups[cluster])
            lines.append(f"cluster {cluster}:")
            lines += [f"  support release {t.hub.rpartition('/')[2]}" for t in support]
            lines += [
                f"  staging {t.hub}" + (" (health check only)" if t.action == "check" else "")
                for t in staging
            ]
            if staging and health:
                names = ", ".join(t.hub for t in staging)
                lines.append(f"  health gate: {names} healthy, else {cluster}'s prod hubs are skipped")
            after = " (then its health check)" if health and settings.health_prod else ""
            lines += [f"  prod {t.hub}{after}" for t in prod]
    return lines


def run_rollout(
    targets: Sequence[Target],
    deploy: Call,
    health: Call | None,
    settings: Rollout,
    *,
    canary_first: bool = False,
    console: Console | None = None,
    interrupted: threading.Event | None = None,
    prepare: Call | None = None,
) -> RolloutReport:
    """Deploy `targets` in the contract's order; every hub ends ok, failed or skipped.

    Per cluster: `prepare(cluster)` if given (a failure deploys nothing there), its support
    releases (stage `support`) one by one in their order, its staging hubs, then its prod hubs.

    `interrupted`: set on Ctrl-C so that running releases stop (the shell passes the
    runner's event, `hubfleet.adapters.runner.interrupted`); cleared at the start.
    """
    interrupted = interrupted if interrupted is not None else threading.Event()
    console = console or Console(highlight=False)
    names = [t.hub for t in targets]
    if len(set(names)) != len(names):
        raise ValueError("a hub is targeted twice")
    groups = _by_cluster(targets)
    interrupted.clear()
    run = _Run(deploy, health, settings, threading.BoundedSemaphore(settings.max_parallel), interrupted)
    run.prepare = prepare
    run.status = {c: "waiting" for c in groups}
    run.totals = {c: len(hubs) for c, hubs in groups.items()}
    start = time.monotonic()
    plan = waves(targets, settings, canary_first)
    live = Live(_status_table(run), console=console, refresh_per_second=4, transient=True)
    try:
        if console.is_terminal:
            live.start()
        _run_waves(run, groups, plan, live if console.is_terminal else None)
    finally:
        if console.is_terminal:
            live.stop()
    report = RolloutReport(tuple(run.outcomes[t.hub] for t in targets), time.monotonic() - start)
    console.print(result_table(report))
    return report


def _run_waves(run: _Run, groups: dict[str, list[Target]], plan: list[list[str]], live: Live | None) -> None:
    for i, wave in enumerate(plan):
        if i > 0 and any(c in run.failed_clusters for c in plan[0]):
            for c in wave:
                for t in groups[c]:
                    run.record(t, "skipped", "canary failed")
                run.say(c, "skipped: canary failed")
            continue
        # An active cluster holds at least one global slot, so more than max_parallel
        # clusters at once would only queue; a queued cluster has not "started" (breaker).
        width = max(1, min(len(wave), run.settings.max_parallel))
        with ThreadPoolExecutor(width, thread_name_prefix="rollout") as pool:
            futures = [pool.submit(_run_cluster, run, c, groups[c]) for c in wave]
            try:
                while wait(futures, timeout=0.25).not_done:  # returns the moment all are done
                    if live is not None:
                        live.update(_status_table(run))
            except KeyboardInterrupt:
                run.cancelled.set()  # start nothing new
                run.interrupted.set()  # running releases stop: helm killed, a starting local hub stopped
                raise
            for f in futures:
                f.result()  # a bug in the engine itself surfaces here, not silently


# --- display ------------------------------------------------------------------------------


def _status_table(run: _Run) -> Table:
    """One line per cluster: phase, releases done, failures."""
    table = Table(box=None, show_header=False, pad_edge=False)
    with run.lock:
        done: dict[str, list[str]] = {}
        for o in run.outcomes.values():
            done.setdefault(o.cluster, []).append(o.status)
        for cluster, text in run.status.items():
            states = done.get(cluster, [])
            failed = states.count("failed")
            tail = f"[red]{failed} failed[/]" if failed else ""
            table.add_row(cluster, text, f"{states.count('ok')}/{run.totals[cluster]} ok", tail)
    return table


_STYLE = {"ok": "green", "failed": "red", "skipped": "yellow"}
QUIET = ("", "deployed")  # ok messages not worth a column's width


def result_rows(report: RolloutReport) -> list[tuple[str, str, str, str, str, str]]:
    """Pure: (hub, cluster, stage, result, health, duration) per hub, for the console and Markdown."""
    rows = []
    for o in report.outcomes:
        text = o.status + (f": {o.message}" if o.message not in QUIET else "")
        rows.append((o.hub, o.cluster, o.stage, text, o.health or "-", f"{o.duration:.1f}s"))
    return rows


def result_table(report: RolloutReport) -> Table:
    table = Table(title="rollout", title_justify="left")
    for col in ("hub", "cluster", "stage", "result", "health", "duration"):
        table.add_column(col, justify="right" if col == "duration" else "left")
    for o, row in zip(report.outcomes, result_rows(report), strict=True):
        hub, cluster, stage, text, health, took = row
        colour = "green" if health == "healthy" else "red" if health == "unhealthy" else "default"
        table.add_row(
            hub, cluster, stage, f"[{_STYLE[o.status]}]{_escape(text)}", f"[{colour}]{health}", took
        )
    return table


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
