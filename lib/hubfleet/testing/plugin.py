"""pytest fixtures for a fleet repository (entry point `hubfleet`, loaded by pytest itself).

- `fleet`: the fleet of the repository under test (rootdir upward to fleet.yaml);
- `rendered_values(hub)`: a hub's values as its layers render them;
- `local_hub(hub=None, overrides=None, fresh=False)`: a real JupyterHub started from
  a hub's values (plus `overrides`, merged) on a free loopback port in a temp state
  folder; hubs with the same values are shared by the session. In `hubs/<hub>/tests/`
  the hub defaults to `<hub>`.

Teardown kills every process of every hub started (verified), and the session fails
if any survived. Heavy imports stay inside fixtures: pytest loads this in every run.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

_started: list[Path] = []  # state folders of hubs this session started


@dataclass
class LocalHub:
    """A running local hub: `.url`, `.api` (httpx client with the service token), helpers."""

    name: str
    url: str
    state: Path
    token: str
    api: Any  # httpx.Client
    users: list[str] = field(default_factory=list)

    def create_user(self, name: str | None = None) -> str:
        from hubfleet.adapters import hubapi as health

        name = name or f"test-{secrets.token_hex(3)}"
        health.create_user(self.api, name)
        self.users.append(name)
        return name

    def start_server(self, user: str, *, timeout: float = 90) -> None:
        from hubfleet.adapters import hubapi as health

        health.start_server(self.api, user, timeout=timeout)

    def run_code(self, user: str, code: str, *, timeout: float = 60) -> str:
        from hubfleet.adapters import hubapi as health

        return health.run_code(self.url, self.token, user, code, timeout=timeout)

    def stop_server(self, user: str) -> None:
        from hubfleet.adapters import hubapi as health

        health.stop_server(self.api, user)

    def delete_user(self, user: str) -> None:
        from hubfleet.adapters import hubapi as health

        health.delete_user(self.api, user)

    @property
    def log(self) -> str:
        return (self.state / "hub.log").read_text(errors="replace")

    def stop(self) -> None:
        from hubfleet.local import launch

        self.api.close()
        launch.down(self.state)


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
) -> Iterator[Callable[..., LocalHub]]:
    import httpx

    from hubfleet.core.tree import merge
    from hubfleet.local import launch, process
    from hubfleet.local.install import ensure_chp
    from hubfleet.local.provider import chart_defaults

    pool: dict[str, LocalHub] = {}
    chp = ensure_chp(fleet_root)

    def start(hub: str, overrides: Mapping[str, Any] | None = None, fresh: bool = False) -> LocalHub:
        key = json.dumps([hub, overrides or {}], sort_keys=True, default=str)
        if key in pool and not fresh and launch.is_running(pool[key].state):
            return pool[key]
        values = merge([rendered_values(hub), dict(overrides or {})])
        state = tmp_path_factory.mktemp(f"hub-{hub}")
        _started.append(state)
        defaults = chart_defaults(fleet_root, fleet, fleet.hub(hub))  # as `invoke deploy` does
        running = launch.up(state, hub, values, process.free_port(), chp=chp, chart_defaults=defaults)
        client = httpx.Client(
            base_url=running.url, headers={"Authorization": f"token {running.token}"}, timeout=30
        )
        hub_obj = LocalHub(hub, running.url, state, running.token, client)
        pool[key if not fresh else f"{key}#{len(pool)}"] = hub_obj
        return hub_obj

    try:
        yield start
    finally:
        for hub_obj in pool.values():
            hub_obj.stop()
        left = [p.pid for s in _started for p in process.processes_of(s)]
        assert not left, f"local hub processes survived teardown: {left}"


@pytest.fixture
def local_hub(
    request: pytest.FixtureRequest, _local_hub_pool: Callable[..., LocalHub]
) -> Callable[..., LocalHub]:
    """Factory: `local_hub(hub=None, overrides=None, fresh=False) -> LocalHub`."""
    default = _hub_of_test(Path(request.path))

    def make(
        hub: str | None = None, overrides: Mapping[str, Any] | None = None, fresh: bool = False
    ) -> LocalHub:
        name = hub or default
        if name is None:
            raise ValueError("local_hub(): name the hub (only tests under hubs/<hub>/tests/ have a default)")
        return _local_hub_pool(name, overrides, fresh)

    return make


def _hub_of_test(path: Path) -> str | None:
    parts = path.parts
    for i in range(len(parts) - 2):
        if parts[i] == "hubs" and parts[i + 2] == "tests":
            return parts[i + 1]
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session-end orphan check: no process of a hub started here may outlive the run."""
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
