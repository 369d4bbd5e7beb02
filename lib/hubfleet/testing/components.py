"""pytest fixtures for testing JupyterHub components (authenticators, spawners, proxies, services).

- `hub_app` / `configured_mockhub_instance`: pytest-jupyterhub's two fixtures, on
  JupyterHub's public application API (`jupyterhub.app.JupyterHub`), in the test's loop;
- `db`: JupyterHub's ORM session on a fresh database, no hub running;
- `make_hub(config=None, *, process=False)`: a running hub with a real proxy, in this
  process (any Python object in config) or its own; shared by tests of the same config,
  each test starting clean. `make_hub.sync(...)` is the blocking form for plain tests.

The session fails if any process a test hub started outlives it. Heavy imports stay
inside functions: pytest loads this module in every run of every project.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

MAX_IDLE_HUBS = 4  # hubs of other configs kept running for reuse; the oldest goes first
_roots: list[Path] = []  # every session root of test hubs (the orphan check looks there)


# Fixtures whose first use imports JupyterHub in this process (`warm_imports` does it up front).
HUB_FIXTURES = frozenset({"hub_app", "configured_mockhub_instance", "make_hub", "db"})


def warm_imports() -> None:
    """Import what a first in-process hub needs, before the first test, as pytest-jupyterhub does
    when pytest loads it: `jupyterhub.app` alone takes seconds (jupyter_events' jsonschema builds
    some forty rfc3987 grammars at import), which the first test's hub would otherwise pay."""
    import importlib

    for name in (
        "jupyterhub.app",
        "hubfleet.testing.mock",
        "hubfleet.testing.launcher",
        "hubfleet.testing.hub",
    ):
        try:
            importlib.import_module(name)
        except ImportError:  # no JupyterHub here: the fixture says so when a test asks for it
            return


# --- the pool of running hubs (one per session) -----------------------------------------


class HubPool:
    """Running test hubs by configuration; the `HubLoop` and the proxy binary, made on demand."""

    def __init__(self, root: Path, rootpath: Path, chp: str | None = None) -> None:
        self.root = root
        self.rootpath = rootpath
        self._chp_given = chp
        self.hubs: OrderedDict[str, Any] = OrderedDict()
        self._loop: Any = None
        self._chp: Path | None = None
        self._n = 0

    @property
    def chp(self) -> Path:
        if self._chp is None:
            from hubfleet.core.errors import HubfleetError

            try:
                self._chp = find_chp(self.rootpath, self._chp_given)
            except HubfleetError as e:
                pytest.fail(f"hubfleet: {e}", pytrace=False)
        return self._chp

    @property
    def loop(self) -> Any:
        if self._loop is None:
            from .inprocess import HubLoop

            self._loop = HubLoop()
        return self._loop

    def state(self, kind: str) -> Path:
        self._n += 1
        return self.root / f"{kind}-{self._n}"

    def get(self, config: Any, process: bool) -> Any:
        from . import client, hubconfig, launcher

        cfg = hubconfig.to_config(config)
        key = f"{'process' if process else 'inprocess'}:{fingerprint(cfg)}"
        running = self.hubs.get(key)
        if running is not None and self._alive(running):
            self.hubs.move_to_end(key)
            return running
        if running is not None:
            self.drop(key)
        if process:
            running = launcher.start_process(cfg, self.state("process"), self.chp)
        else:
            running = launcher.start_in_process(cfg, self.state("hub"), self.chp, self.loop)
        running.keep.append(cfg)  # the objects whose ids are in the key stay alive
        admin = client.HubClient(running.endpoint)
        try:
            running.baseline = admin.snapshot()
        finally:
            admin.close()
        self.hubs[key] = running
        while len(self.hubs) > MAX_IDLE_HUBS + 1:
            self.drop(next(iter(self.hubs)))
        return running

    def _alive(self, running: Any) -> bool:
        if running.pid is not None:
            from hubfleet.local.process import alive

            return alive(running.pid)
        return True

    def drop(self, key: str) -> None:
        running = self.hubs.pop(key, None)
        if running is not None:
            running.stop()

    def close(self) -> None:
        for key in list(self.hubs):
            try:
                self.drop(key)
            except Exception as e:  # one hub failing to stop must not keep the others running
                print(f"hubfleet: stopping a test hub failed: {e}")
        if self._loop is not None:
            self._loop.close()


def fingerprint(cfg: Any) -> str:
    """Equal for equal plain data; Python objects count by identity (kept alive by the pool)."""

    def walk(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {str(k): walk(v) for k, v in sorted(node.items(), key=lambda kv: str(kv[0]))}
        if isinstance(node, list | tuple):
            return [walk(v) for v in node]
        if isinstance(node, set | frozenset):
            return sorted(repr(walk(v)) for v in node)
        if node is None or isinstance(node, bool | int | float | str | bytes):
            return repr(node)
        return f"<{type(node).__name__} {getattr(node, '__qualname__', '')} {id(node)}>"

    return repr(walk(cfg))


CHP_ENV = "HUBFLEET_CHP"
CHP_OPTION = "--hubfleet-chp"


def find_chp(rootpath: Path, given: str | None = None) -> Path:
    """configurable-http-proxy: `given` (the plugin option) or $HUBFLEET_CHP, else on PATH, else
    where `invoke setup` put it (a fleet's `.hubfleet/node`, or hubfleet's user cache).

    Never installed here: a test must not wait minutes on npm (see `invoke setup`).
    """
    from hubfleet.adapters.source import state_dir
    from hubfleet.core.errors import HubfleetError
    from hubfleet.local.install import CHP

    given = given or os.environ.get(CHP_ENV)
    if given:
        path = Path(given).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise HubfleetError(f"{CHP_OPTION} / {CHP_ENV}: {given} is not an executable file")
        return path
    found = shutil.which(CHP)
    if found:
        return Path(found)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hubfleet"
    for root in (rootpath, *rootpath.parents):
        candidate = state_dir(root) / "node" / "node_modules" / ".bin" / CHP
        if candidate.exists():
            return candidate
    candidate = cache / "node" / "node_modules" / ".bin" / CHP
    if candidate.exists():
        return candidate
    raise HubfleetError(
        f"{CHP} not found: run `invoke setup` (in a fleet repository), or "
        f"`npm install -g {CHP}`, or point {CHP_OPTION} / ${CHP_ENV} at one"
    )


@pytest.fixture(scope="session")
def _hubfleet_hub_pool(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[HubPool]:
    from .launcher import MARKER

    root = tmp_path_factory.mktemp("hubs")
    _roots.append(root)
    before = os.environ.get(MARKER)
    os.environ[MARKER] = str(root)  # proxies and servers of in-process hubs inherit it
    pool = HubPool(root, Path(pytestconfig.rootpath), pytestconfig.getoption("hubfleet_chp", None))
    try:
        yield pool
    finally:
        pool.close()
        if before is None:
            os.environ.pop(MARKER, None)
        else:
            os.environ[MARKER] = before


# --- make_hub ------------------------------------------------------------------------------


class HubFactory:
    """`await make_hub(config, process=False)` -> Hub; `make_hub.sync(...)` -> SyncHub."""

    def __init__(self, pool: HubPool) -> None:
        self._pool = pool
        self.handles: list[Any] = []

    def sync(self, config: Any = None, *, process: bool = False) -> Any:
        from .hub import SyncHub

        handle = SyncHub(self._pool.get(config, process))
        self.handles.append(handle)
        return handle

    async def __call__(self, config: Any = None, *, process: bool = False) -> Any:
        import anyio.to_thread

        handle = await anyio.to_thread.run_sync(lambda: self.sync(config, process=process))
        return handle.aio

    def close(self) -> None:
        errors = []
        for handle in self.handles:
            try:
                handle.close()
            except Exception as e:  # a hub that cannot be cleaned is not reused
                errors.append(f"{handle!r}: {e}")
                for key, running in list(self._pool.hubs.items()):
                    if running is handle._running:
                        self._pool.drop(key)
        if errors:
            raise AssertionError("hubfleet: cleaning a test hub failed: " + "; ".join(errors))


@pytest.fixture
def make_hub(_hubfleet_hub_pool: HubPool) -> Iterator[HubFactory]:
    factory = HubFactory(_hubfleet_hub_pool)
    try:
        yield factory
    finally:
        factory.close()


# --- pytest-jupyterhub's fixtures ---------------------------------------------------------


class AppFactory:
    """`configured_mockhub_instance(config)` -> a not yet initialised JupyterHub application.

    Also awaitable (`(await configured_mockhub_instance)(config)`), as suites written for
    pytest-asyncio's strict mode had to write it.
    """

    def __init__(self, pool: HubPool) -> None:
        self._pool = pool
        self.apps: list[tuple[Any, Any]] = []  # (app, capture)

    def __call__(self, config: Any = None) -> Any:
        from . import hubconfig, inprocess, launcher
        from .mock import MockHubApp

        place = launcher.new_place(self._pool.state("app"), self._pool.chp, in_process=True)
        cfg = hubconfig.harness_config(hubconfig.to_config(config), place, mockhub=True)
        app, capture = inprocess.new_app(cfg, singleton=True, app_class=MockHubApp)
        self.apps.append((app, capture))
        return app

    def __await__(self) -> Any:
        async def itself() -> AppFactory:
            return self

        return itself().__await__()

    def close(self) -> None:
        from .inprocess import stop_app
        from .mock import MockHubApp

        for app, _ in self.apps:
            loop = getattr(app, "io_loop", None)
            aio = getattr(loop, "asyncio_loop", None)
            if aio is not None and not aio.is_closed() and not aio.is_running():
                aio.run_until_complete(stop_app(app))
            else:  # the test's loop is gone: stop in a fresh one
                asyncio.run(stop_app(app))
        MockHubApp.clear_instance()  # and JupyterHub.instance() with it


@pytest.fixture
def configured_mockhub_instance(_hubfleet_hub_pool: HubPool) -> Iterator[AppFactory]:
    factory = AppFactory(_hubfleet_hub_pool)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def hub_app(configured_mockhub_instance: AppFactory) -> Any:
    """`app = await hub_app(config)`: a started JupyterHub application, stopped after the test."""
    from .inprocess import start_app

    async def start(config: Any = None) -> Any:
        return await start_app(configured_mockhub_instance(config))

    return start


@pytest.fixture
def db() -> Iterator[Any]:
    """JupyterHub's ORM session on a fresh in-memory database holding one user named after the
    OS user, with no hub running (what JupyterHub's own `db` fixture gives spawner unit tests)."""
    from .mock import fresh_db

    session = fresh_db()
    try:
        yield session
    finally:
        session.close()


# --- the orphan check ------------------------------------------------------------------------


def check_leftovers(session: pytest.Session) -> None:
    """The session fails if a process of any test hub survived; those found are killed."""
    if not _roots:
        return
    from .launcher import kill, leftovers

    left = [p for root in _roots for p in leftovers(root)]
    if not left:
        return
    described = ", ".join(f"{p.pid} ({_cmd(p)})" for p in left)
    kill(left)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write("\n")
        reporter.write_line(
            f"hubfleet: test hub processes outlived the session (killed): {described}", red=True
        )


def _cmd(p: Any) -> str:
    """Its command line's start and whose it is: the marker names the hub's state folder."""
    from .launcher import MARKER

    try:
        return f"{' '.join(p.cmdline()[:3])}; of {Path(p.environ().get(MARKER, '?')).name}"
    except Exception:
        return "?"
