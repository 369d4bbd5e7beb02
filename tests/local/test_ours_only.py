"""Issue 14, items 1, 11, 12: a process is ours only when it provably is; every process of a local
hub carries our marker (the idle culler too); a local hub has its own password, kept 0600."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from hubfleet.app import health
from hubfleet.core.errors import HubfleetError
from hubfleet.local import launch, process
from hubfleet.local.config import MARKER, LocalEnv, build

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def stranger():
    """An unrelated process (not ours): it must survive whatever a stale pid file says."""
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def test_a_stale_or_forged_pid_file_kills_nothing(tmp_path, stranger):
    state = tmp_path / "demo"
    state.mkdir()
    p = psutil.Process(stranger.pid)
    forged = {"pid": p.pid, "started": process._started(p), "cmdline": p.cmdline(), "marker": str(state)}
    for text in (str(stranger.pid), json.dumps(forged), json.dumps({**forged, "started": 1.0})):
        (state / "hub.pid").write_text(text)
        assert process.read_pid(state / "hub.pid") is None  # no marker in its environment: not ours
        launch.down(state)  # what `invoke stop` and a redeploy do
        assert stranger.poll() is None, f"killed a process that is not ours ({text[:30]})"


def test_our_own_pid_is_recognised(tmp_path):
    state = tmp_path / "demo"
    state.mkdir()
    env = {**os.environ, MARKER: str(state)}
    proc = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    try:
        time.sleep(0.1)
        process.write_pid(state / "hub.pid", proc.pid, state, ["sleep", "300"])
        assert process.read_pid(state / "hub.pid") == proc.pid
        moved = tmp_path / "other"
        moved.mkdir()
        (moved / "hub.pid").write_text((state / "hub.pid").read_text())
        assert process.read_pid(moved / "hub.pid") is None  # another hub's file names another state
    finally:
        proc.kill()
        proc.wait()


def local_env(state: Path, password: str = "pw-123456") -> LocalEnv:
    return LocalEnv("demo", 8000, 8001, 8002, str(state), sys.executable, "chp", "tok", False, password)


def test_every_managed_service_carries_the_marker(tmp_path):
    cfg = build({"cull": {"enabled": True}}, local_env(tmp_path))
    culler = next(s for s in cfg.traits["JupyterHub"]["services"] if s["name"] == "jupyterhub-idle-culler")
    assert culler["environment"][MARKER] == str(tmp_path)
    assert cfg.traits["Spawner"]["environment"][MARKER] == str(tmp_path)


def test_dummy_gets_the_hubs_own_password_unless_the_values_set_one(tmp_path):
    dummy = {"hub": {"config": {"JupyterHub": {"authenticator_class": "dummy"}}}}
    assert build(dummy, local_env(tmp_path)).traits["DummyAuthenticator"]["password"] == "pw-123456"
    own = {
        "hub": {
            "config": {
                "JupyterHub": {"authenticator_class": "dummy"},
                "DummyAuthenticator": {"password": "chosen"},
            }
        }
    }
    assert build(own, local_env(tmp_path)).traits["DummyAuthenticator"]["password"] == "chosen"
    native = {"hub": {"config": {"JupyterHub": {"authenticator_class": "native"}}}}
    assert "DummyAuthenticator" not in build(native, local_env(tmp_path)).traits


def test_an_empty_secret_file_is_made_again(tmp_path):
    token = tmp_path / "health-token"
    token.write_text("\n")
    made = launch._secret_file(token, "fresh-token")
    assert made == "fresh-token" and token.read_text() == "fresh-token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert launch._secret_file(token, "other") == "fresh-token"  # kept once made


@pytest.mark.slow
def test_culler_and_password_on_a_real_hub(tmp_path, monkeypatch):
    """kill -9 of the hub: `stop` still finds the idle culler; only the hub's password logs in."""
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("jupyterhub is not installed in this environment")
    from hubfleet.local.install import ensure_chp

    chp = ensure_chp(REPO)
    monkeypatch.delenv("HUBFLEET_STATE", raising=False)
    state = tmp_path / "demo"
    values = {
        "cull": {"enabled": True, "every": 60, "timeout": 3600},
        "hub": {
            "config": {"JupyterHub": {"authenticator_class": "dummy"}, "Authenticator": {"allow_all": True}}
        },
    }
    up = launch.up(state, "demo", values, process.free_port(), chp=chp)
    try:
        password = (state / "password").read_text().strip()
        assert len(password) >= 12 and stat.S_IMODE((state / "password").stat().st_mode) == 0o600
        assert up.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=up.url, timeout=20, follow_redirects=False) as web:
            form = web.get("hub/login")
            xsrf = web.cookies.get("_xsrf", "")
            wrong = web.post("hub/login", data={"username": "ada", "password": "any", "_xsrf": xsrf})
            assert wrong.status_code != 302 or "/hub/login" in wrong.headers.get("location", "")
            right = web.post("hub/login", data={"username": "ada", "password": password, "_xsrf": xsrf})
            assert right.status_code == 302 and "login" not in right.headers["location"], form.status_code
        deadline = time.monotonic() + 30
        while not any("jupyterhub_idle_culler" in " ".join(p.cmdline()) for p in process.processes_of(state)):
            assert time.monotonic() < deadline, "no idle culler among the hub's marked processes"
            time.sleep(0.5)
        os.kill(up.pid, signal.SIGKILL)
        assert any("jupyterhub_idle_culler" in " ".join(p.cmdline()) for p in process.processes_of(state))
    finally:
        launch.down(state)
    assert process.processes_of(state) == []


@pytest.fixture
def marked(tmp_path, monkeypatch):
    """A process started the way a hub is (`process.start`, our marker in its environment), as the
    hub `demo` of the fleet in `tmp_path`."""
    monkeypatch.delenv("HUBFLEET_STATE", raising=False)
    state = tmp_path / ".hubfleet/local/demo"
    state.mkdir(parents=True)
    argv = ["sleep", "300"]
    pid = process.start(argv, cwd=tmp_path, env={**os.environ, MARKER: str(state)}, log=tmp_path / "log")
    yield state, pid, argv
    process.stop(state, pid, grace=1)


def _before_exec(monkeypatch):
    """psutil as it reads a process between fork and exec: no command line, no environment yet."""
    monkeypatch.setattr(psutil.Process, "cmdline", lambda self: [])
    monkeypatch.setattr(psutil.Process, "environ", lambda self: {})


def test_identity_recorded_before_exec_still_proves_the_hub(marked, monkeypatch):
    """Issue 23: `"cmdline": []` in hub.pid (read before exec) made a running hub "not running here"."""
    state, pid, argv = marked
    with monkeypatch.context() as m:
        _before_exec(m)
        process.write_pid(state / "hub.pid", pid, state, argv)
    assert process.read_pid(state / "hub.pid") == pid
    assert launch.is_running(state)


def test_a_check_that_cannot_decide_says_so(tmp_path, marked, monkeypatch):
    """Its start time is the recorded one but its command line cannot be read: neither ours nor gone."""
    state, pid, argv = marked
    process.write_pid(state / "hub.pid", pid, state, argv)
    _before_exec(monkeypatch)
    monkeypatch.setattr(process, "SETTLE", 0.2)
    with pytest.raises(process.Undecided, match=rf"cannot tell whether pid {pid} is this hub"):
        process.read_pid(state / "hub.pid")
    (state / "health-token").write_text("t0ken")
    with pytest.raises(HubfleetError, match=rf"^cannot tell whether pid {pid} is this hub"):
        health._local_endpoint(tmp_path, "demo")  # what `invoke health` and the deploy's check ask
        launch.is_running(state)


def test_status_live_says_whether_a_local_hub_runs(tmp_path, marked, monkeypatch):
    """`invoke status --live`: a local hub's state is its process's (issue 23: it showed `-`)."""
    from hubfleet.app.inventory import local_state

    state, pid, argv = marked
    assert local_state(tmp_path, "demo") == "stopped"  # no pid file
    process.write_pid(state / "hub.pid", pid, state, argv)
    assert local_state(tmp_path, "demo") == "running"
    monkeypatch.setattr(process, "SETTLE", 0.2)
    with monkeypatch.context() as m:
        _before_exec(m)
        assert local_state(tmp_path, "demo") == "cannot tell"
    process.stop(state, pid, grace=1)
    assert local_state(tmp_path, "demo") == "stopped"
