"""Local hubs for real: `providers.local.deploy`/`stop` start and stop JupyterHub processes.

Each test builds a small fleet in a temp folder (its own `.hubfleet/` state) and uses
free loopback ports. configurable-http-proxy comes from PATH or the repository's
`.hubfleet/node` (installed with npm once).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from hubfleet.adapters.source import DirSource
from hubfleet.app.load import load_fleet
from hubfleet.core.errors import HubfleetError
from hubfleet.local import process
from hubfleet.local import provider as local
from hubfleet.local.install import ensure_chp

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _tools():
    if shutil.which("jupyterhub", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("jupyterhub is not installed in this environment: pip install -e '.[local]'")
    if shutil.which("configurable-http-proxy") is None and shutil.which("npm") is None:
        pytest.skip("neither configurable-http-proxy nor npm is installed")


@pytest.fixture
def chp_on_path(monkeypatch):
    chp = ensure_chp(REPO)
    monkeypatch.setenv("PATH", f"{chp.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("HUBFLEET_STATE", raising=False)
    return chp


def make_fleet(root: Path, hubs: dict[str, tuple[int, dict]]) -> None:
    files = {
        "fleet.yaml": {
            "charts": {"jupyterhub": {"repo": "https://hub.jupyter.org/helm-chart/", "version": "4.4.0"}},
            "default_chart": "jupyterhub",
        },
        "clusters/here/cluster.yaml": {"name": "here", "provider": "local"},
        "clusters/far/cluster.yaml": {
            "name": "far",
            "provider": "kubeconfig",
            "kubeconfig": {"context": "x"},
        },
        "hubs/remote/hub.yaml": {"name": "remote", "cluster": "far", "domain": "remote.example.org"},
    }
    for name, (port, values) in hubs.items():
        files[f"hubs/{name}/hub.yaml"] = {
            "name": name,
            "cluster": "here",
            "domain": f"{name}.localhost",
            "local": {"port": port},
        }
        files[f"hubs/{name}/rendered.values.yaml"] = values
    for rel, doc in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc))


def quiet(*_a, **_k):
    pass


BASE = {"cull": {"enabled": False}, "hub": {"config": {"Authenticator": {"allow_all": True}}}}


def api_get(result, root: Path, hub: str, path: str) -> httpx.Response:
    token = (local.hub_state(root, hub) / "health-token").read_text().strip()
    return httpx.get(f"{result.url}hub/api/{path}", headers={"Authorization": f"token {token}"}, timeout=10)


def test_deploy_unchanged_change_restart_and_stop(tmp_path, chp_on_path, monkeypatch, capsys):
    port = process.free_port()
    make_fleet(tmp_path, {"a": (port, BASE)})
    fleet = load_fleet(DirSource(tmp_path))
    hub = fleet.hub("a")
    lines: list[str] = []

    first = local.deploy(tmp_path, fleet, hub, echo=lines.append)
    assert first.ok and first.changed and first.url == f"http://127.0.0.1:{port}/"
    assert any("log in: any user name" in line for line in lines)
    pid = process.read_pid(local.hub_state(tmp_path, "a") / "hub.pid")
    assert api_get(first, tmp_path, "a", "users/ada").status_code == 404

    again = local.deploy(tmp_path, fleet, hub, echo=quiet)
    assert not again.changed and again.unchanged
    assert process.read_pid(local.hub_state(tmp_path, "a") / "hub.pid") == pid

    from hubfleet.cli.commands import deploy as deploy_command
    from hubfleet.cli.commands import health as health_command

    monkeypatch.chdir(tmp_path)
    checks: list[str] = []
    monkeypatch.setattr(deploy_command, "_health", lambda root, fleet: checks.append)
    assert deploy_command.run(hub="a") == 0  # `invoke deploy --hub a`, nothing changed...
    assert checks == []  # ...answers without the whole health check
    assert health_command.run(hub="a") == 0  # `invoke health --hub a`: every step, for real
    assert "a: healthy (hub" in capsys.readouterr().out

    changed = {**BASE, "hub": {"config": {"Authenticator": {"allow_all": True, "admin_users": ["ada"]}}}}
    make_fleet(tmp_path, {"a": (port, changed)})
    third = local.deploy(tmp_path, fleet, hub, echo=quiet)
    assert third.changed
    assert process.read_pid(local.hub_state(tmp_path, "a") / "hub.pid") != pid
    assert not process.alive(pid)
    user = api_get(third, tmp_path, "a", "users/ada")  # admin users exist from start-up
    assert user.status_code == 200 and user.json()["admin"] is True

    state = local.hub_state(tmp_path, "a")
    assert local.stop(tmp_path, hub)
    assert process.processes_of(state) == []
    assert process.port_free(port)
    assert local.stop(tmp_path, hub) == []  # idempotent


def test_two_local_hubs_at_once(tmp_path, chp_on_path):
    p1, p2 = process.free_port(), process.free_port()
    make_fleet(tmp_path, {"one": (p1, BASE), "two": (p2, BASE)})
    fleet = load_fleet(DirSource(tmp_path))
    try:
        r1 = local.deploy(tmp_path, fleet, fleet.hub("one"), echo=quiet)
        r2 = local.deploy(tmp_path, fleet, fleet.hub("two"), echo=quiet)
        for r in (r1, r2):
            assert httpx.get(f"{r.url}hub/health", timeout=5).status_code == 200
        pids = {process.read_pid(local.hub_state(tmp_path, h) / "hub.pid") for h in ("one", "two")}
        assert len(pids) == 2
    finally:
        local.stop(tmp_path, fleet.hub("one"))
        local.stop(tmp_path, fleet.hub("two"))
    assert process.port_free(p1) and process.port_free(p2)


def test_port_in_use_by_another_program(tmp_path, chp_on_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        make_fleet(tmp_path, {"a": (port, BASE)})
        fleet = load_fleet(DirSource(tmp_path))
        with pytest.raises(HubfleetError, match=rf"port {port} on 127.0.0.1 is in use by pid {os.getpid()}"):
            local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)
    assert process.processes_of(local.hub_state(tmp_path, "a")) == []


class Impostor:
    """What another local user ran: a listener on the hub's port that records what it is sent and
    answers every request `200 {}`."""

    def __init__(self, port: int) -> None:
        import threading

        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.1)
        self.received, self.connections = bytearray(), 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    while b"\r\n\r\n" not in (data := conn.recv(65536)) and data:
                        self.received += data
                    self.received += data
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                except OSError:
                    pass

    def __enter__(self) -> Impostor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.listener.close()


def test_the_token_never_reaches_a_process_that_took_the_hubs_port(tmp_path, chp_on_path, monkeypatch):
    """Issue 22, item 9: another user binds the hub's port between hubfleet's check and the proxy's
    bind. The deploy fails with one line, sends nothing there, and the token of that start is dead."""
    port = process.free_port()
    make_fleet(tmp_path, {"a": (port, BASE)})
    fleet = load_fleet(DirSource(tmp_path))
    state = process.private_dir(local.hub_state(tmp_path, "a"))
    old = "token-of-the-failed-start-" + os.urandom(8).hex()
    process.write_private(state / "health-token", old)
    free = process.port_free
    monkeypatch.setattr(process, "port_free", lambda p, *a: p == port or free(p, *a))  # the race, won
    with Impostor(port) as impostor:
        try:
            with pytest.raises(HubfleetError) as failed:
                local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)
            left = process.processes_of(state)
        finally:  # a deploy that wrongly succeeded leaves no hub running
            local.stop(tmp_path, fleet.hub("a"))
    message = str(failed.value)
    assert "\n" not in message, message
    assert (
        f"127.0.0.1:{port} is answered by pid {os.getpid()} " in message and "token was not sent" in message
    )
    assert impostor.connections >= 1 and bytes(impostor.received) == b""  # connected, and not a byte sent
    assert left == [] and not (state / "health-token").exists()

    monkeypatch.setattr(process, "port_free", free)
    result = local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)
    try:
        new = (state / "health-token").read_text().strip()
        assert new != old
        for token, status in ((old, 403), (new, 200)):
            r = httpx.get(
                f"{result.url}hub/api/user", headers={"Authorization": f"token {token}"}, timeout=10
            )
            assert r.status_code == status, (token == old, r.status_code)
    finally:
        local.stop(tmp_path, fleet.hub("a"))


def test_the_health_check_sends_no_token_to_a_process_on_a_local_hubs_port(tmp_path):
    """`invoke health` and the deploy's health gate verify the far end as the deploy does."""
    from hubfleet.adapters.hubapi import check
    from hubfleet.app.health import check_options

    port = process.free_port()
    make_fleet(tmp_path, {"a": (port, BASE)})
    fleet = load_fleet(DirSource(tmp_path))
    with Impostor(port) as impostor:
        report = check(f"http://127.0.0.1:{port}/", "t0ken", retries=1, **check_options(tmp_path, fleet, "a"))
    assert report.step == "hub" and f"127.0.0.1:{port} is answered by pid {os.getpid()} " in report.message
    assert impostor.connections >= 1 and bytes(impostor.received) == b""


def test_hub_crashing_on_start_shows_its_log(tmp_path, chp_on_path):
    values = {**BASE, "hub": {"extraConfig": {"99-bad": "raise RuntimeError('boom from extraConfig')"}}}
    make_fleet(tmp_path, {"a": (process.free_port(), values)})
    fleet = load_fleet(DirSource(tmp_path))
    with pytest.raises(HubfleetError) as e:
        local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)
    assert "hub a exited while starting" in str(e.value)
    assert "boom from extraConfig" in str(e.value)
    assert process.processes_of(local.hub_state(tmp_path, "a")) == []


def test_remote_authenticator_is_refused_with_file_and_key(tmp_path, chp_on_path):
    values = {"hub": {"config": {"JupyterHub": {"authenticator_class": "github"}}}}
    make_fleet(tmp_path, {"a": (process.free_port(), values)})
    fleet = load_fleet(DirSource(tmp_path))
    with pytest.raises(HubfleetError) as e:
        local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)
    assert str(e.value).startswith(
        "hubs/a/rendered.values.yaml: hub.config.JupyterHub.authenticator_class: `github` cannot log"
    )


def test_missing_rendered_file(tmp_path, chp_on_path):
    make_fleet(tmp_path, {"a": (process.free_port(), BASE)})
    (tmp_path / "hubs/a/rendered.values.yaml").unlink()
    fleet = load_fleet(DirSource(tmp_path))
    with pytest.raises(
        HubfleetError, match=r"hubs/a/rendered.values.yaml: missing: run `invoke render --hub a`"
    ):
        local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)


def test_stop_command(tmp_path, chp_on_path, monkeypatch, capsys):
    from hubfleet.cli.commands import stop

    make_fleet(tmp_path, {"a": (process.free_port(), BASE)})
    monkeypatch.chdir(tmp_path)
    assert stop.run(hub="a") == 0
    assert "a: was not running" in capsys.readouterr().out
    with pytest.raises(HubfleetError, match="only stops hubs on a `provider: local` cluster"):
        stop.run(hub="remote")


def test_stop_ends_servers_and_orphans_of_a_killed_hub(tmp_path, chp_on_path):
    import signal

    from hubfleet.adapters import hubapi as health

    make_fleet(tmp_path, {"a": (process.free_port(), BASE)})
    fleet = load_fleet(DirSource(tmp_path))
    result = local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)
    state = local.hub_state(tmp_path, "a")
    token = (state / "health-token").read_text().strip()
    with httpx.Client(base_url=result.url, headers={"Authorization": f"token {token}"}, timeout=30) as api:
        health.create_user(api, "ada")
        health.start_server(api, "ada", timeout=90)
    names = " ".join(" ".join(p.cmdline()) for p in process.processes_of(state))
    assert "jupyterhub-singleuser" in names and "configurable-http-proxy" in names
    hub_pid = process.read_pid(state / "hub.pid")
    os.kill(hub_pid, signal.SIGKILL)  # a crashed hub leaves its proxy and servers behind
    assert process.processes_of(state)
    local.stop(tmp_path, fleet.hub("a"))
    assert process.processes_of(state) == []


def test_a_local_hubs_state_is_private_to_its_owner(tmp_path, chp_on_path):
    """Issue 22, item 10: database, log, secrets, users' homes and what their kernels write: 0700/0600."""
    from hubfleet.adapters import hubapi

    make_fleet(tmp_path, {"a": (process.free_port(), BASE)})
    fleet = load_fleet(DirSource(tmp_path))
    state = local.hub_state(tmp_path, "a")
    state.mkdir(parents=True)
    (state / "hub.log").write_text("from an older hubfleet\n")
    (state / "hub.log").chmod(0o644)
    state.chmod(0o755)
    try:
        result = local.deploy(tmp_path, fleet, fleet.hub("a"), echo=quiet)
        token = (state / "health-token").read_text().strip()
        with httpx.Client(
            base_url=result.url, headers={"Authorization": f"token {token}"}, timeout=30
        ) as api:
            hubapi.create_user(api, "ada")
            hubapi.start_server(api, "ada", timeout=90)
        code = "open('notes.txt', 'w').write('private'); import os; os.mkdir('work')"
        hubapi.run_code(result.url, token, "ada", code, timeout=60)
        assert_private(
            state,
            "jupyterhub.sqlite",
            "hub.log",
            "hub.log.1",
            "jupyterhub_cookie_secret",
            "health-token",
            "password",
            "jupyterhub_config.py",
            "values.json",
            "hub.pid",
            "home/ada/notes.txt",
            "home/ada/work",
        )
    finally:
        local.stop(tmp_path, fleet.hub("a"))


def assert_private(state: Path, *files: str) -> None:
    """Every folder under `state` (and `state`) is its owner's alone, and so are `files`. (Other
    files may keep the mode of what they were copied from: IPython copies its startup README.)"""
    import stat

    found = {p.relative_to(state).as_posix(): p for p in [state, *state.rglob("*")] if not p.is_symlink()}
    assert not set(files) - set(found), f"missing: {set(files) - set(found)}"
    for name, path in found.items():
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir() or name in files:
            assert mode & 0o077 == 0, f"{name}: mode {mode:o}, open to others"


@pytest.fixture
def sops_env(sops_bin, age_key, monkeypatch):
    from helpers.realtools import sops_encrypt

    keys, recipient = age_key
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(keys))
    monkeypatch.setenv("HUBFLEET_SOPS", str(sops_bin))
    return lambda text, dest: sops_encrypt(sops_bin, recipient, text, dest)


SECRETS = """\
hub:
  services:
    hubfleet-health:
      apiToken: remote-t0ken
singleuser:
  extraEnv:
    B: secret-b
"""


def test_local_values_merge_the_decrypted_secrets(tmp_path, sops_env):
    make_fleet(tmp_path, {"a": (8000, {"singleuser": {"extraEnv": {"A": "1"}}})})
    sops_env(SECRETS, tmp_path / "hubs/a/secrets.yaml")
    values = local.local_values(tmp_path, load_fleet(DirSource(tmp_path)).hub("a"))
    assert values["singleuser"]["extraEnv"] == {"A": "1", "B": "secret-b"}


def test_chart_defaults_come_from_the_cached_chart(tmp_path, monkeypatch):
    from hubfleet.adapters.charts import seed_cache

    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    make_fleet(tmp_path, {"a": (8000, {})})
    fleet = load_fleet(DirSource(tmp_path))
    hub = fleet.hub("a")
    assert local.chart_defaults(tmp_path, fleet, hub) is None  # nothing cached: the fallback table
    chart_files = tmp_path / "chart"
    chart_files.mkdir()
    (chart_files / "values.yaml").write_text("hub:\n  concurrentSpawnLimit: 7\n")
    seed_cache(tmp_path, fleet.chart_of(hub), chart_files)
    assert local.chart_defaults(tmp_path, fleet, hub) == {"hub": {"concurrentSpawnLimit": 7}}


def test_remote_health_endpoint_takes_the_token_from_secrets(tmp_path, sops_env, monkeypatch):
    from helpers.kubectl_standin import make_kubectl_standin
    from hubfleet.app.health import hub_endpoint

    make_fleet(tmp_path, {})
    fleet = load_fleet(DirSource(tmp_path))
    # no secrets file: the token would come from the hub's Secret; the stand-in for kubectl has none
    kubectl = make_kubectl_standin(tmp_path / "bin", tmp_path / "kubectl.jsonl")
    monkeypatch.setenv("HUBFLEET_KUBECTL", str(kubectl))
    monkeypatch.setenv("STANDIN_KUBECTL_SECRETS", "{}")
    with pytest.raises(HubfleetError, match=r"no token for the health check: no secrets file sets"):
        hub_endpoint(tmp_path, fleet, "remote")
    sops_env(SECRETS, tmp_path / "hubs/remote/secrets.yaml")
    assert hub_endpoint(tmp_path, fleet, "remote") == ("https://remote.example.org/", "remote-t0ken")
