"""pytest fixtures for a fleet repository (entry point `hubfleet`, loaded by pytest itself).

- `fleet`: the fleet of the repository under test (rootdir upward to fleet.yaml);
- `rendered_values(hub)`: a hub's values as its layers render them;
- `local_hub(hub=None, overrides=None, fresh=False)`: a real JupyterHub started from
  a hub's values (plus `overrides`, merged) on a free loopback port in a temp state
  folder; hubs with the same values are shared by the session, each test starting clean.
  In `hubs/<hub>/tests/` the hub defaults to `<hub>`. It is the blocking form of a
  `make_hub(process=True)` hub (`hubfleet.testing.hub.SyncHub`), so `.aio` works too;
- `hub_app`, `configured_mockhub_instance`, `make_hub`, `db`: for component tests, no fleet
  needed (`hubfleet.testing.components`).

Teardown kills every process of every hub started (verified), and the session fails
if any survived. Heavy imports stay inside fixtures: pytest loads this in every run.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from hubfleet.testing.components import (  # noqa: F401  (fixtures of the same entry point)
    HUB_FIXTURES,
    _hubfleet_hub_pool,
    check_leftovers,
    configured_mockhub_instance,
    db,
    hub_app,
    make_hub,
    warm_imports,
)
from hubfleet.testing.hub import SyncHub
from hubfleet.testing.kube import kube_cluster  # noqa: F401  (a fixture of the same entry point)
from hubfleet.testing.launcher import Running

_started: list[Path] = []  # state folders of hubs this session started


class FleetHub(SyncHub):
    """A fleet hub on this machine: a test hub in its own process from the hub's values.

    Everything a `make_hub(process=True)` hub has (`.aio`, `token()`, `login()`, ...), plus
    `name`, `state` (its folder), `health_token` (the hubfleet-health service's) and `password`.
    """

    def __init__(self, name: str, running: Running, health_token: str) -> None:
        super().__init__(running)
        self.name = name
        self.state = running.state
        self.health_token = health_token

    @property
    def password(self) -> str | None:
        """The local hub's own DummyAuthenticator password (`<state>/password`), if it has one."""
        own = self.state / "password"
        return own.read_text().strip() if own.exists() else None

    def login(self, name: str, password: str | None = None) -> Any:
        """Logged in like a browser; the password defaults to the local hub's own."""
        return super().login(name, self.password if password is None else password)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("hubfleet").addoption(
        "--hubfleet-chp",
        dest="hubfleet_chp",
        metavar="PATH",
        help="configurable-http-proxy for test hubs (default: $HUBFLEET_CHP, PATH, `invoke setup`'s copy)",
    )


@pytest.fixture(scope="session")
def fleet_root(pytestconfig: pytest.Config) -> Path:
    from hubfleet.adapters.source import find_root

    return find_root(Path(pytestconfig.rootpath))


@pytest.fixture(scope="session")
def fleet(fleet_root: Path) -> Any:
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet

    return load_fleet(DirSource(fleet_root))


@pytest.fixture(scope="session")
def rendered_values(fleet: Any) -> Callable[[str], dict[str, Any]]:
    from hubfleet.app.render import render_hub

    def values(hub: str) -> dict[str, Any]:
        return render_hub(fleet, fleet.hub(hub)).values

    return values


@pytest.fixture(scope="session")
def _local_hub_pool(
    fleet_root: Path,
    fleet: Any,
    rendered_values: Callable[[str], dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., tuple[Running, str]]]:
    from hubfleet.core.tree import merge
    from hubfleet.local import launch, process
    from hubfleet.local.install import ensure_chp
    from hubfleet.local.provider import chart_defaults
    from hubfleet.testing import client

    pool: dict[str, tuple[Running, str]] = {}
    chp = ensure_chp(fleet_root)

    def start(
        hub: str, overrides: Mapping[str, Any] | None = None, fresh: bool = False
    ) -> tuple[Running, str]:
        key = json.dumps([hub, overrides or {}], sort_keys=True, default=repr)
        if key in pool and not fresh and launch.is_running(pool[key][0].state):
            return pool[key]
        harness_token = secrets.token_hex(32)
        values = merge([rendered_values(hub), dict(overrides or {}), harness_values(harness_token)])
        state = tmp_path_factory.mktemp(f"hub-{hub}")
        _started.append(state)
        defaults = chart_defaults(fleet_root, fleet, fleet.hub(hub))  # as `invoke deploy` does
        up = launch.up(state, hub, values, process.free_port(), chp=chp, chart_defaults=defaults)
        log = state / "hub.log"
        running = Running(
            client.Endpoint(up.url, harness_token),
            state,
            pid=up.pid,
            read_log=lambda: log.read_text(errors="replace") if log.exists() else "",
            stopper=lambda: launch.down(state),
            db_url=f"sqlite:///{state}/jupyterhub.sqlite",
        )
        admin = client.HubClient(running.endpoint)
        try:
            running.baseline = admin.snapshot()
        finally:
            admin.close()
        pool[key if not fresh else f"{key}#{len(pool)}"] = (running, up.token)
        return running, up.token

    try:
        yield start
    finally:
        for running, _ in pool.values():
            running.stop()
        left = [p.pid for s in _started for p in process.processes_of(s)]
        assert not left, f"local hub processes survived teardown: {left}"


def harness_values(token: str) -> dict[str, Any]:
    """The test harness's service and role, as chart values (merged over the hub's own)."""
    from hubfleet.testing.hubconfig import ADMIN_ROLE, HARNESS_SERVICE

    return {
        "hub": {
            "services": {HARNESS_SERVICE: {"apiToken": token}},
            "loadRoles": {ADMIN_ROLE: {"services": [HARNESS_SERVICE]}},
        }
    }


@pytest.fixture
def local_hub(
    request: pytest.FixtureRequest, _local_hub_pool: Callable[..., tuple[Running, str]]
) -> Iterator[Callable[..., FleetHub]]:
    """Factory: `local_hub(hub=None, overrides=None, fresh=False) -> FleetHub` (blocking members).

    Each test starts clean: what it made on the hub is removed after it, and the hub is reused.
    """
    default = _hub_of_test(Path(request.path))
    handles: list[FleetHub] = []

    def make(
        hub: str | None = None, overrides: Mapping[str, Any] | None = None, fresh: bool = False
    ) -> FleetHub:
        name = hub or default
        if name is None:
            raise ValueError("local_hub(): name the hub (only tests under hubs/<hub>/tests/ have a default)")
        running, health_token = _local_hub_pool(name, overrides, fresh)
        handle = FleetHub(name, running, health_token)
        handles.append(handle)
        return handle

    try:
        yield make
    finally:
        for handle in handles:
            handle.close()


def _hub_of_test(path: Path) -> str | None:
    parts = path.parts
    for i in range(len(parts) - 2):
        if parts[i] == "hubs" and parts[i + 2] == "tests":
            return parts[i + 1]
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """JupyterHub is imported now if a collected test makes an in-process hub (not in every
    pytest run of every project: the plugin is loaded by all of them)."""
    if any(HUB_FIXTURES.intersection(getattr(item, "fixturenames", ())) for item in session.items):
        warm_imports()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session-end orphan check: no process of a hub started here may outlive the run."""
    check_leftovers(session)  # test hubs of make_hub / hub_app
    if not _started:
        return
    from hubfleet.local import process

    left = {str(s): [p.pid for p in process.processes_of(s)] for s in _started}
    left = {s: pids for s, pids in left.items() if pids}
    if left:
        for s in left:
            process.stop(Path(s), None, grace=1)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write("\n")
            reporter.write_line(
                f"hubfleet: orphan local hub processes killed at session end: {left}", red=True
            )
