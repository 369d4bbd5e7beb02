"""hub_app and configured_mockhub_instance behave as pytest-jupyterhub's, on the public JupyterHub.

pytest-jupyterhub's own checks (its `MockSpawner` is hubfleet's own, which starts no
process), and MockHub's defaults, which suites lean on (contract v1.1).
"""

from __future__ import annotations

import asyncio
import getpass

import httpx
import pytest
from jupyterhub import orm
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
async def test_hub_app_defaults_are_mockhubs(hub_app):
    # What pytest-jupyterhub's MockHub gave (issue 24: systemdspawner's hub test failed with
    # `KeyError: 'No such user: admin'` in JupyterHub's own api_request helper).
    app = await hub_app()
    assert {u.name for u in app.db.query(orm.User)} == {"admin", "user"}
    assert app.users["admin"].admin and not app.users["user"].admin
    assert app.authenticator.admin_users == {"admin"}
    assert app.base_url == "/@/space%20word/"
    assert app.spawner_class.__name__ == "MockSpawner"
    assert await app.authenticator.get_authenticated_user(None, {"username": "ada", "password": "ada"})
    assert not await app.authenticator.get_authenticated_user(None, {"username": "ada", "password": "x"})


@pytest.mark.asyncio
async def test_the_test_config_goes_on_top_of_mockhubs(hub_app):
    app = await hub_app({"JupyterHub": {"base_url": "/prefix/", "authenticator_class": "dummy"}})
    assert app.base_url == "/prefix/" and app.authenticator.__class__.__name__ == "DummyAuthenticator"
    assert app.spawner_class.__name__ == "MockSpawner"  # what the test left unset stays MockHub's
    assert {u.name for u in app.db.query(orm.User)} == {"user"}  # no admin_users default: no admin


@pytest.mark.asyncio
async def test_jupyterhubs_own_test_helpers_work_against_hub_app(hub_app):
    from jupyterhub.tests.utils import api_request, auth_header, get_page

    app = await hub_app()
    r = await api_request(app, "users")  # as the user `admin`, through the proxy
    assert r.status_code == 200 and {u["name"] for u in r.json()} == {"admin", "user"}
    assert "Authorization" in auth_header(app.db, "user")
    r = await api_request(app, "users", "user", "server", method="post")
    assert r.status_code in (201, 202)
    while (await api_request(app, "users", "user")).json()["servers"][""]["pending"]:
        await asyncio.sleep(0.05)
    assert (await api_request(app, "users", "user")).json()["servers"][""]["ready"]  # MockSpawner
    assert (await api_request(app, "users", "user", bypass_proxy=True)).status_code == 200
    r = await get_page("login", app)
    assert r.status_code == 200 and "/@/space%20word/hub/login" in r.url
    r = await api_request(app, "users", "user", "server", method="delete")
    assert r.status_code in (202, 204)


@pytest.mark.asyncio
async def test_make_hub_keeps_real_defaults(make_hub):
    hub = await make_hub()
    assert hub.app.authenticator.__class__.__name__ == "DummyAuthenticator"
    assert hub.app.spawner_class.__name__ == "SimpleLocalProcessSpawner"
    assert hub.app.base_url == "/" and (await hub.api("GET", "/users")).json() == []


def test_db_is_a_fresh_orm_session_with_the_os_user(db):
    user = db.query(orm.User).one()
    assert user.name == getpass.getuser()
    assert [r.name for r in user.roles] == ["user"]
    assert db.query(orm.Role).filter_by(name="admin").one()  # JupyterHub's default roles
