"""The health check: each failing step is named; real hubs from the pytest plugin."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from hubfleet.adapters import hubapi as health
from hubfleet.adapters import runner
from hubfleet.core.errors import HubfleetError
from hubfleet.local import process


class FakeSocket:
    """Replays kernel messages; records what was sent."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.sent = []

    def send(self, text):
        self.sent.append(json.loads(text))

    def recv(self, timeout=None):
        if not self.replies:
            time.sleep(timeout or 0)  # a silent kernel: nothing arrives within `timeout`
            raise TimeoutError
        make = self.replies.pop(0)
        return json.dumps(make(self.sent[0]["header"]["msg_id"]))


def msg(kind, content, parent="MINE"):
    return lambda mine: {
        "msg_type": kind,
        "content": content,
        "parent_header": {"msg_id": mine if parent == "MINE" else parent},
    }


def test_execute_collects_the_result():
    ws = FakeSocket(
        [
            msg("status", {"execution_state": "busy"}),
            msg("execute_result", {"data": {"text/plain": "99"}}, parent="someone-else"),
            msg("execute_result", {"data": {"text/plain": "2"}}),
            msg("execute_reply", {"status": "ok"}),
            msg("status", {"execution_state": "idle"}),
        ]
    )
    assert health._execute(ws, "1+1", timeout=5) == "2"
    sent = ws.sent[0]
    assert sent["header"]["msg_type"] == "execute_request" and sent["content"]["code"] == "1+1"
    assert sent["channel"] == "shell"


def test_execute_reports_errors_and_silence():
    ws = FakeSocket([msg("error", {"ename": "ZeroDivisionError", "evalue": "division by zero"})])
    with pytest.raises(HubfleetError, match="raised ZeroDivisionError: division by zero"):
        health._execute(ws, "1/0", timeout=5)
    with pytest.raises(HubfleetError, match="no answer to `1\\+1` within 1s"):
        health._execute(FakeSocket([]), "1+1", timeout=1)


def test_execute_of_a_statement_answers_none_at_once():
    """A `None` result (a statement, `print`) answered in the same exchange, not after the timeout."""
    ws = FakeSocket([msg("execute_reply", {"status": "ok"}), msg("status", {"execution_state": "idle"})])
    started = time.monotonic()
    assert health._execute(ws, "x = 1", timeout=30) == "None"
    assert time.monotonic() - started < 5, "waited for a result that never comes"


def test_summary_names_the_step():
    bad = health.HealthReport(False, "spawn", "the server failed", {"hub": 0.1})
    assert bad.summary() == "unhealthy: step `spawn` failed: the server failed"
    assert health.HealthReport(True, "", "healthy", {"hub": 0.25}).summary() == "healthy (hub 0.2s)"


def test_hub_down_fails_at_step_hub_after_retries():
    slept = []
    url = f"http://127.0.0.1:{process.free_port()}/"
    report = health.check(url, "x", retries=3, timeout=5, sleep=slept.append)
    assert (report.ok, report.step) == (False, "hub")
    assert "ConnectError" in report.message or "connect" in report.message.lower()
    assert slept == [1, 2]  # 3 attempts, backing off
    assert "cleanup" not in report.durations  # nothing was created


@pytest.fixture
def ctrl_c():
    """`ctrl_c()` sets `runner.interrupted` as the rollout does on Ctrl-C; cleared after the test."""
    yield runner.interrupted.set
    runner.interrupted.clear()


def test_ctrl_c_stops_the_kernel_wait(ctrl_c):
    threading.Timer(0.3, ctrl_c).start()
    start = time.monotonic()
    with pytest.raises(runner.Interrupted):
        health._execute(FakeSocket([]), "1+1", timeout=30)
    assert time.monotonic() - start < 3


def test_ctrl_c_stops_the_spawn_wait_and_still_cleans_up(monkeypatch, ctrl_c):
    """A server that never gets ready: Ctrl-C ends the wait, and the user is still deleted."""
    seen = []
    pending = {"": {"pending": "spawn", "ready": False}}

    def hub(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.url.path == "/hub/api/user":
            return httpx.Response(200, json={"scopes": list(health.HEALTH_SCOPES)})
        if request.method == "GET" and request.url.path.startswith("/hub/api/users/"):
            ctrl_c()  # pressed while the server is pending
            stopped = ("DELETE", request.url.path + "/server") in seen
            return httpx.Response(200, json={"servers": {} if stopped else pending})
        return httpx.Response(202 if request.url.path.endswith("/server") else 200, json={})

    real_client = httpx.Client
    transport = httpx.MockTransport(hub)
    monkeypatch.setattr(health.httpx, "Client", lambda **kw: real_client(transport=transport, **kw))
    start = time.monotonic()
    report = health.check("http://hub.test/", "t0ken", timeout=60, retries=1)
    assert time.monotonic() - start < 3
    assert (report.ok, report.step) == (False, "spawn"), report.summary()
    assert "interrupted" in report.message
    user = next(path for method, path in seen if method == "POST" and path.endswith("/server"))
    user = user.removesuffix("/server")
    assert ("DELETE", user) in seen  # cleanup was attempted after the interrupt


# --- against real local hubs (the plugin's local_hub fixture) ------------------------------

needs_hub = pytest.mark.skipif(
    shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None,
    reason="jupyterhub is not installed in this environment: pip install -e '.[local]'",
)


@pytest.mark.slow
@needs_hub
def test_healthy_hub_passes_every_step_and_leaves_no_user(local_hub):
    hub = local_hub("demo")
    report = health.check(hub.url, hub.health_token, timeout=120, retries=2)
    assert report.ok, report.summary()
    assert list(report.durations) == list(health.STEPS)
    users = hub.api.get("hub/api/users").json()
    assert not [u for u in users if u["name"].startswith(health.USER_PREFIX)]


@pytest.mark.slow
@needs_hub
def test_wrong_token_fails_at_step_api(local_hub):
    report = health.check(local_hub("demo").url, "not-a-token", timeout=30, retries=1)
    assert (report.ok, report.step) == (False, "api")
    assert "hubfleet-health token is not accepted" in report.message


@pytest.mark.slow
@needs_hub
def test_failing_spawn_fails_at_step_spawn_and_cleans_up(local_hub):
    hub = local_hub("demo", overrides={"singleuser": {"cmd": ["/nonexistent/jupyterhub-singleuser"]}})
    report = health.check(hub.url, hub.health_token, timeout=60, retries=1)
    assert (report.ok, report.step) == (False, "spawn"), report.summary()
    assert "failed to start" in report.message
    assert "cleanup" in report.durations
    assert not [u for u in hub.api.get("hub/api/users").json() if u["name"].startswith(health.USER_PREFIX)]


@pytest.mark.slow
@needs_hub
def test_kernel_that_cannot_start_fails_at_step_kernel(local_hub, tmp_path_factory):
    # A `python3` kernelspec whose interpreter does not exist shadows the real one.
    jupyter_path = tmp_path_factory.mktemp("jupyter")
    spec = jupyter_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "broken", "language": "python"})
    )
    hub = local_hub("demo", overrides={"singleuser": {"extraEnv": {"JUPYTER_PATH": str(jupyter_path)}}})
    report = health.check(hub.url, hub.health_token, timeout=60, retries=1)
    assert (report.ok, report.step) == (False, "kernel"), report.summary()
    assert "kernel" in report.message
    assert "cleanup" in report.durations


@pytest.mark.slow
@needs_hub
def test_health_command_on_a_hub_that_is_not_running(tmp_path, monkeypatch):
    from hubfleet.cli.commands import health as command

    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path))  # no local hub state at all
    with pytest.raises(
        HubfleetError, match=r"hub demo is not running here: `invoke deploy --hub demo` first"
    ):
        command.run(hub="demo")
