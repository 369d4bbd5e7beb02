"""Stopping a test hub leaves none of its processes running, not even for a moment.

CI once failed the plugin session on JupyterHub 4.1 with "test hub processes outlived the
session: ... configurable-http-proxy": the last hub's proxy had been sent SIGKILL but not
yet reaped when the session-end orphan check looked. A stop returns only once its
processes are gone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from jupyterhub.spawner import Spawner

from hubfleet.local import process
from hubfleet.testing import launcher
from hubfleet.testing.inprocess import stop_app

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
