"""hub_app and configured_mockhub_instance behave as pytest-jupyterhub's, on the public JupyterHub.

pytest-jupyterhub's own checks, minus the two about `MockSpawner` (a class of JupyterHub's
private test package, which this plugin does not use: the default spawner here starts
real servers).
"""

from __future__ import annotations

import httpx
import pytest
from jupyterhub.app import JupyterHub
from jupyterhub.spawner import Spawner
from traitlets.config import Config

pytestmark = pytest.mark.slow


def test_configured_instance_is_the_uninitialised_singleton(configured_mockhub_instance):
    app = configured_mockhub_instance({"Spawner": {"home_dir_template": "/tmp/Jeff"}})
    assert isinstance(app, JupyterHub) and app is JupyterHub.instance()
    assert app.config.Spawner.home_dir_template == "/tmp/Jeff"
    assert app.pid_file and app.http_server is None  # placed, not started


@pytest.mark.asyncio
async def test_configured_instance_is_also_awaitable(configured_mockhub_instance):
    # Suites written for pytest-asyncio's strict mode wrote `(await fixture)(config=...)`.
    app = (await configured_mockhub_instance)(config={"JupyterHub": {"spawner_class": Spawner}})
    assert app.config.JupyterHub.spawner_class is Spawner


@pytest.mark.asyncio
@pytest.mark.parametrize("as_config", [False, True])
async def test_hub_app_starts_a_hub_behind_a_real_proxy(hub_app, as_config):
    config = {"JupyterHub": {"base_url": "/prefix/", "spawner_class": Spawner}}
    app = await hub_app(Config(config) if as_config else config)
    assert isinstance(app, JupyterHub) and app.spawner_class is Spawner
    assert app.pid_file and app.base_url == "/prefix/"
    assert app.bind_url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient() as client:  # through configurable-http-proxy
        r = await client.get(f"http://127.0.0.1:{httpx.URL(app.bind_url).port}/prefix/hub/health")
    assert r.status_code == 200
    assert await app.proxy.get_all_routes()  # the hub's own route is there


@pytest.mark.asyncio
async def test_hub_app_default_is_a_working_hub(hub_app):
    app = await hub_app()
    assert app.authenticator.__class__.__name__ == "DummyAuthenticator"
    assert app.spawner_class.__name__ == "SimpleLocalProcessSpawner"
