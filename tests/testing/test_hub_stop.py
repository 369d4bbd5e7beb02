"""Stopping a test hub leaves none of its processes running, not even for a moment.

CI once failed the plugin session on JupyterHub 4.1 with "test hub processes outlived the
session: ... configurable-http-proxy": the last hub's proxy had been sent SIGKILL but not
yet reaped when the session-end orphan check looked. A stop returns only once its
processes are gone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from jupyterhub.spawner import Spawner

from hubfleet.local import process
from hubfleet.testing import inprocess, launcher
from hubfleet.testing.inprocess import marker_of, stop_app
from hubfleet.testing.mock import MockSpawner

pytestmark = pytest.mark.slow


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.asyncio
async def test_an_in_process_hub_stop_returns_with_its_proxy_reaped(hub_app):
    app = await hub_app({"JupyterHub": {"spawner_class": Spawner}})
    proxy = app.proxy.proxy_process
    assert proxy.poll() is None  # a real proxy, running
    await stop_app(app)
    assert proxy.returncode is not None, "stop_app returned while the proxy was still alive"
    assert gone(proxy.pid)


def test_a_process_stop_also_ends_a_process_started_after_it_looked(tmp_path: Path):
    # A hub that starts a child only once it is asked to stop: the child carries the
    # hub's marker, as a proxy restarted by JupyterHub's check_running would.
    script = tmp_path / "hub.py"
    script.write_text(
        "import signal, subprocess, sys, time\n"
        "def late(*_):\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],"
        " start_new_session=True)\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, late)\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    env = {launcher.MARKER: str(tmp_path), "PATH": "/usr/bin:/bin"}
    pid = process.start([sys.executable, str(script)], cwd=tmp_path, env=env, log=tmp_path / "log")
    for _ in range(100):
        if "ready" in (tmp_path / "log").read_text():
            break
        subprocess.run(["sleep", "0.05"], check=True)
    try:
        process.stop(tmp_path, pid, grace=5)
        assert process.processes_of(tmp_path) == []
    finally:
        launcher.kill(process.processes_of(tmp_path))


class LeavesAProcessSpawner(MockSpawner):
    """A server that, once stopped, leaves a process carrying the hub's marker behind, as a
    kernel still shutting down after its server exited does (issue 24: hubtraf's kernel was
    found by the session-end check, reparented and half a second from gone)."""

    lingers = 1.0  # seconds the process lives on after the stop

    async def stop(self, now=False):
        await super().stop(now)
        code = f"import time; time.sleep({self.lingers})"
        env = {**os.environ, **self.environment}  # the hub's marker, as a server's children get it
        subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)


async def spawn_and_stop(app) -> list:
    await app.users["user"].spawn()
    started = time.monotonic()
    await stop_app(app)
    return [time.monotonic() - started, process.processes_of(Path(marker_of(app)))]


@pytest.mark.asyncio
async def test_a_stop_waits_for_the_processes_its_servers_left(hub_app):
    app = await hub_app({"JupyterHub": {"spawner_class": LeavesAProcessSpawner}})
    took, left = await spawn_and_stop(app)
    assert left == [], "stop_app returned while a process of its server was still alive"
    assert took >= LeavesAProcessSpawner.lingers * 0.8


@pytest.mark.asyncio
async def test_the_wait_is_bounded_and_a_real_leak_is_left_for_the_check(hub_app, monkeypatch):
    monkeypatch.setattr(inprocess, "SERVER_GRACE", 0.5)
    monkeypatch.setattr(LeavesAProcessSpawner, "lingers", 120)
    app = await hub_app({"JupyterHub": {"spawner_class": LeavesAProcessSpawner}})
    took, left = await spawn_and_stop(app)
    try:
        assert took < 10 and len(left) == 1  # not killed: the session's check reports it
        assert left[0] in launcher.leftovers(Path(marker_of(app)).parent)
    finally:
        launcher.kill(left)
