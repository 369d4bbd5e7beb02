"""JupyterHub applications in this process, through JupyterHub's public application API.

`new_app` builds a `jupyterhub.app.JupyterHub` from a finished config, `start_app`
initialises and starts it in the running event loop, `stop_app` undoes it without
touching the loop (JupyterHub's own `stop` would cancel every task of the loop and stop
it). Hubs made by `make_hub` live in one event loop in a daemon thread (`HubLoop`), so
they outlive any one test's loop and serve asyncio, trio and plain tests alike.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
SERVER_GRACE = 10.0  # seconds a stopping hub waits for its servers' processes to end
_count = iter(range(1, 1 << 30))


class LogCapture(logging.Handler):
    """A hub's log records as formatted lines (the `log` member of a test hub)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a broken record never breaks the hub
            self.lines.append(str(record.msg))

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")


def new_app(cfg: Any, *, singleton: bool = False, app_class: Any = None) -> tuple[Any, LogCapture]:
    """A not yet initialised JupyterHub application for `cfg`, and its log capture.

    `singleton=True` registers it as `JupyterHub.instance()` (what pytest-jupyterhub did);
    otherwise each hub has its own logger, so several hubs in one process keep apart logs.
    `app_class` is a subclass of JupyterHub to make (default JupyterHub itself).
    """
    from jupyterhub.app import JupyterHub

    capture = LogCapture()
    if singleton:
        JupyterHub.clear_instance()  # clears only what JupyterHub's own class walk reaches
        (app_class or JupyterHub).clear_instance()  # a subclass's singleton too
        app = (app_class or JupyterHub).instance(config=cfg)
    else:
        log = logging.getLogger(f"JupyterHub.test{next(_count)}")
        log.setLevel(logging.DEBUG)
        app = (app_class or JupyterHub)(config=cfg, log=log)
    app.log.addHandler(capture)
    # Signals belong to the test runner (Ctrl-C stops pytest, not one hub), and a loop
    # outside the main thread cannot take them at all.
    app.init_signal = lambda: None
    return app, capture


async def start_app(app: Any) -> Any:
    await app.initialize([])  # [] : never pytest's own command line
    await app.start()
    return app


async def stop_app(app: Any) -> None:
    """Stop serving, stop services, servers and the proxy (`JupyterHub.cleanup`). Idempotent."""
    if getattr(app, "_hubfleet_stopped", False):
        return
    app._hubfleet_stopped = True
    server = getattr(app, "http_server", None)
    if server is not None:
        server.stop()
    collector = getattr(app, "metrics_collector", None)
    if collector is not None:
        collector.stop()
    callbacks = list((getattr(app, "_periodic_callbacks", None) or {}).values())  # JupyterHub 5+
    callbacks.append(getattr(app, "last_activity_callback", None))  # JupyterHub 4
    for callback in callbacks:
        if callback is not None:
            callback.stop()
    try:
        if getattr(app, "proxy", None) is not None:  # initialised far enough to clean up
            await app.cleanup()
    finally:
        await _reap_proxy(getattr(getattr(app, "proxy", None), "proxy_process", None))
        await _servers_gone(marker_of(app), SERVER_GRACE)
        # JupyterHub 4 keeps its service health check running: give it nothing to check.
        service_map = getattr(app, "_service_map", None)
        if isinstance(service_map, dict):
            service_map.clear()
        db = getattr(app, "db", None)
        if db is not None:
            db.close()


async def _reap_proxy(process: Any, grace: float = 5.0) -> None:
    """Return once the proxy has exited and is reaped: JupyterHub's stop only sends SIGTERM.

    Without the wait a session's orphan check could find the last hub's proxy still dying.
    """
    if process is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while process.poll() is None and loop.time() < deadline:
        await asyncio.sleep(0.02)
    if process.poll() is None:  # it ignored SIGTERM, or cleanup failed before the proxy
        process.kill()
        await asyncio.to_thread(process.wait)


def marker_of(app: Any) -> str | None:
    """The state folder every process of this hub's servers carries (`hubconfig.MARKER`)."""
    from .hubconfig import MARKER

    return (app.config.Spawner.get("environment") or {}).get(MARKER)


async def _servers_gone(marker: str | None, grace: float) -> None:
    """Return once no process of this hub's servers is left (a kernel still dying after its
    server stopped), or after `grace`: what is left then is a real leak, for the session's
    leftover check to report. Nothing is killed here, so that check still sees leaks."""
    if not marker:
        return
    from hubfleet.local.process import processes_of

    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while await asyncio.to_thread(processes_of, Path(marker)) and loop.time() < deadline:
        await asyncio.sleep(0.05)


class HubLoop:
    """An asyncio loop in a daemon thread: `call(fn, *args)` runs `await fn(*args)` there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="hubfleet-hubs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any, timeout: float | None = None) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("HubLoop.call from its own thread would deadlock")
        future = asyncio.run_coroutine_threadsafe(_call(fn, *args), self.loop)
        return future.result(timeout)

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            if not self._thread.is_alive():
                self.loop.close()


async def _call(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    return await fn(*args)
