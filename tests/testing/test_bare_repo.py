"""A bare component repository (no conftest, no fleet) tests its authenticator, spawner and
service with the plugin: in pytest-asyncio's strict and auto modes, under anyio's plugin,
and in plain tests. A session whose test leaves a process behind fails."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

COMPONENTS = '''
"""A component project's own code: an authenticator, a spawner and a service."""
import os
import sys

from jupyterhub.auth import Authenticator
from jupyterhub.spawner import SimpleLocalProcessSpawner


class PinAuthenticator(Authenticator):
    pin = "4321"

    async def authenticate(self, handler, data):
        return data["username"] if data["password"] == self.pin else None


class ColourSpawner(SimpleLocalProcessSpawner):
    """Passes the user's chosen colour to the server."""

    def get_env(self):
        env = super().get_env()
        env["COLOUR"] = self.user_options.get("colour", "none")
        return env


SERVICE = [sys.executable, "-m", "mycomponents"]

if __name__ == "__main__":  # the service: answers its proxy route with its own name
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import urlparse

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(os.environ["JUPYTERHUB_SERVICE_NAME"].encode())

    HTTPServer(("127.0.0.1", urlparse(os.environ["JUPYTERHUB_SERVICE_URL"]).port), Hello).serve_forever()
'''

TESTS = """
import httpx
import pytest

from mycomponents import SERVICE, ColourSpawner, PinAuthenticator


def config(port):
    return {
        "JupyterHub": {
            "authenticator_class": PinAuthenticator,
            "spawner_class": ColourSpawner,
            "services": [{"name": "hello", "url": f"http://127.0.0.1:{port}", "command": SERVICE}],
        },
        "Authenticator": {"allow_all": True},
    }


PORT = {}


def service_port():
    import socket

    if "p" not in PORT:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            PORT["p"] = s.getsockname()[1]
    return PORT["p"]


@pytest.mark.asyncio
async def test_authenticator_in_process(make_hub):
    hub = await make_hub(config(service_port()))
    await hub.create_user("ada")
    browser = await hub.login("ada", "4321")
    assert (await browser.get("hub/api/user")).json()["name"] == "ada"
    await browser.aclose()
    with pytest.raises(Exception, match="login as ada failed"):
        await hub.login("ada", "0000")


@pytest.mark.asyncio
async def test_spawner_and_service_in_their_own_process(make_hub):
    hub = await make_hub(config(service_port()), process=True)
    user = await hub.create_user()
    await hub.start_server(user, options={"colour": "teal"})
    assert await hub.run_code(user, "import os; os.environ['COLOUR']") == "'teal'"
    browser = hub.browser()  # a hub page, not the REST API: through hub.url
    assert (await browser.get("services/hello/")).text == "hello"
    await browser.aclose()


@pytest.mark.anyio
async def test_under_anyio(make_hub):
    hub = await make_hub(config(service_port()))
    assert (await hub.api("GET", "users")).json() == []  # the tests before left nothing


def test_plain(make_hub):
    hub = make_hub.sync(config(service_port()))
    assert hub.create_user("bob") == "bob"
    assert httpx.get(hub.url + "services/hello/").text == "hello"
"""

LEAK = """
import subprocess


def test_leaves_a_process_behind(make_hub):
    make_hub.sync()
    subprocess.Popen(["sleep", "120"])
"""


def bare_repo(tmp_path: Path, tests: str) -> Path:
    repo = tmp_path / "component"
    repo.mkdir()
    (repo / "mycomponents.py").write_text(textwrap.dedent(COMPONENTS))
    (repo / "test_component.py").write_text(textwrap.dedent(tests))
    assert not list(repo.glob("conftest.py")) and not (repo / "fleet.yaml").exists()
    return repo


def run_pytest(repo: Path, *args: str) -> subprocess.CompletedProcess:
    from hubfleet.testing.components import find_chp

    chp = find_chp(Path(__file__).resolve().parents[2])  # as a component's CI puts it on PATH
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HUBFLEET_"))}
    env["PATH"] = os.pathsep.join([str(chp.parent), env.get("PATH", "")])
    env["PYTHONPATH"] = str(repo)
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir", str(repo), *args]
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_a_bare_repository_tests_its_components(tmp_path, mode):
    repo = bare_repo(tmp_path, TESTS)
    done = run_pytest(repo, "-o", f"asyncio_mode={mode}", "-p", "anyio", "-k", "not trio")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout


def test_a_process_that_outlives_its_session_fails_it(tmp_path):
    done = run_pytest(bare_repo(tmp_path, LEAK))
    assert done.returncode != 0
    assert "1 passed" in done.stdout
    assert "hubfleet: test hub processes outlived the session" in done.stdout
    assert "sleep 120" in done.stdout
