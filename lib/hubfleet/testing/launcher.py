"""Start and stop test hubs: in this process (in the `HubLoop`) or as their own process.

Both kinds get free loopback ports, a real configurable-http-proxy, a private state
folder and the harness's service token; `Running` is what the pytest fixtures pool and
hand out. Every process a hub starts carries the marker variable with the hub's state
folder, so `leftovers` finds whatever outlived its hub.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hubfleet.core.errors import HubfleetError

from . import hubconfig, inprocess
from .client import Endpoint

MARKER = hubconfig.MARKER


@dataclass
class Running:
    """A started hub: where it answers, how to read its log, how to stop it."""

    endpoint: Endpoint
    state: Path
    app: Any = None  # the JupyterHub application (in-process hubs only)
    pid: int | None = None  # the hub's process (process hubs only)
    read_log: Callable[[], str] = lambda: ""
    stopper: Callable[[], None] = lambda: None
    db_url: str = ""
    loop: inprocess.HubLoop | None = None
    baseline: Any = None  # client.Snapshot right after start
    keep: list[Any] = field(default_factory=list)  # objects whose ids key the pool

    @property
    def in_process(self) -> bool:
        return self.app is not None

    def stop(self) -> None:
        self.stopper()


def jupyterhub_major() -> int:
    import jupyterhub

    return int(jupyterhub.__version__.split(".")[0])


def new_place(state: Path, chp: Path, *, in_process: bool) -> hubconfig.Place:
    from hubfleet.local.process import free_port

    state.mkdir(parents=True, exist_ok=True)
    (state / "home").mkdir(exist_ok=True)
    (state / "empty_config.py").write_text("")
    ports: list[int] = []
    for _ in range(3):
        ports.append(free_port(avoid=ports))
    return hubconfig.Place(
        state=str(state),
        port=ports[0],
        hub_port=ports[1],
        proxy_api_port=ports[2],
        chp=str(chp),
        singleuser=str(Path(sys.executable).parent / "jupyterhub-singleuser"),
        token=secrets.token_hex(32),
        as_root=hasattr(os, "geteuid") and os.geteuid() == 0,
        jupyterhub_major=jupyterhub_major(),
        in_process=in_process,
    )


def public_url(cfg: Any, port: int) -> str:
    base = "/".join(p for p in str(cfg.JupyterHub.get("base_url") or "/").split("/") if p)
    return f"http://127.0.0.1:{port}/" + (f"{base}/" if base else "")


def start_in_process(user_cfg: Any, state: Path, chp: Path, loop: inprocess.HubLoop) -> Running:
    place = new_place(state, chp, in_process=True)
    cfg = hubconfig.harness_config(user_cfg, place)
    app, capture = inprocess.new_app(cfg)
    try:
        loop.call(inprocess.start_app, app, timeout=120)
    except BaseException as e:
        loop.call(inprocess.stop_app, app, timeout=60)
        raise HubfleetError(f"the in-process hub failed to start: {_why(e)}\n{_tail(capture.text)}") from None
    endpoint = Endpoint(public_url(cfg, place.port), place.token)

    def stop() -> None:
        loop.call(inprocess.stop_app, app, timeout=90)

    return Running(endpoint, state, app=app, read_log=lambda: capture.text, stopper=stop, loop=loop)


def start_process(
    user_cfg: Any, state: Path, chp: Path, *, timeout: float = 90, env: dict[str, str] | None = None
) -> Running:
    """`jupyterhub -f <state>/jupyterhub_config.py` with the config written out (import paths)."""
    from hubfleet.local import process

    place = new_place(state, chp, in_process=False)
    cfg = hubconfig.harness_config(user_cfg, place)
    config_file = state / "jupyterhub_config.py"
    config_file.write_text(hubconfig.config_source(cfg))  # HubConfigError before any process
    log = state / "hub.log"
    argv = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config_file)]
    pid = process.start(argv, cwd=state, env=process_env(state, chp, env), log=log)
    endpoint = Endpoint(public_url(cfg, place.port), place.token)

    def stop() -> None:
        process.stop(state, pid, grace=5)

    running = Running(
        endpoint,
        state,
        pid=pid,
        read_log=lambda: log.read_text(errors="replace") if log.exists() else "",
        stopper=stop,
        db_url=str(cfg.JupyterHub.db_url),
    )
    try:
        wait_ready(endpoint, lambda: process.alive(pid), running.read_log, timeout)
    except BaseException:
        stop()
        raise
    return running


def process_env(state: Path, chp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The hub's environment: ours minus a surrounding hub's, tools on PATH, our sys.path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "JPY_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(chp.parent), env.get("PATH", "")])
    # Classes and hooks named by import path load from where the tests import them.
    paths = [p for p in sys.path if p and Path(p).is_dir()]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*paths, *env.get("PYTHONPATH", "").split(os.pathsep)]))
    env[MARKER] = str(state)
    env.update(extra or {})
    return env


def wait_ready(
    endpoint: Endpoint, alive: Callable[[], bool], read_log: Callable[[], str], timeout: float
) -> None:
    """The hub answers its API through the proxy with the harness token; fail fast on a crash."""
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"token {endpoint.token}"}
    while time.monotonic() < deadline:
        if not alive():
            raise HubfleetError(f"the test hub exited while starting:\n{_tail(read_log())}")
        try:
            if httpx.get(endpoint.api_url, headers=headers, timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise HubfleetError(
        f"the test hub did not answer {endpoint.api_url} within {timeout:g}s:\n{_tail(read_log())}"
    )


def leftovers(root: Path) -> list[Any]:
    """Live processes (not this one) whose marker points into `root`: hubs' orphans."""
    import psutil

    prefix = str(root)
    found = []
    for p in psutil.process_iter():
        if p.pid == os.getpid():
            continue
        try:
            if p.environ().get(MARKER, "").startswith(prefix) and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            continue
    return found


def kill(procs: list[Any]) -> None:
    import psutil

    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(procs, timeout=3)


def _why(e: BaseException) -> str:
    if isinstance(e, SystemExit):  # JupyterHub.exit(): the reason is in the log
        return f"it exited ({e.code})"
    return f"{type(e).__name__}: {e}"


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"
