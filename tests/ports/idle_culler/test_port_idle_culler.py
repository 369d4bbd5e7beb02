"""jupyterhub-idle-culler's test suite (from PyPI), ported onto hubfleet's make_hub.

The original starts `jupyterhub` as a subprocess on the fixed port 8000 from a config
file, passes tokens through environment variables, polls until it answers, and kills its
children by hand (tests/conftest.py, tests/jupyterhub_config.py). Here the same hub
configuration runs in-process on free ports; the culler's token is a real service token;
users and servers are cleaned after every test. Each test keeps the original's steps and
assertions.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from functools import partial
from subprocess import check_output
from unittest import mock

import jupyterhub_idle_culler
import pytest
import pytest_asyncio
from jupyterhub_idle_culler import utcnow
from tornado.log import app_log

pytestmark = pytest.mark.slow

# The original's tests/jupyterhub_config.py (JupyterHub 2+ branch).
CONFIG = {
    "JupyterHub": {
        "spawner_class": "simple",
        "last_activity_interval": 3,
        "authenticator_class": "null",
        "services": [{"name": "idle-culler"}],
        "load_roles": [
            {
                "name": "idle-culler",
                "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
                "services": ["idle-culler"],
            }
        ],
    },
    "Authenticator": {"allowed_users": {f"test-{i}" for i in range(5)}},
}


@pytest_asyncio.fixture
async def hub(make_hub):
    return await make_hub(CONFIG)


@pytest.fixture
def admin_request(hub):
    async def request(path, method="GET", **kwargs):
        r = await hub.api(method, path.lstrip("/"))
        r.raise_for_status()
        return r.json() if r.content else None

    return request


@pytest.fixture
def start_users(hub):
    async def start(n):
        # allowed_users exist from the start; all spawn at once, as the original's POSTs did
        await asyncio.gather(*(hub.start_server(f"test-{i}") for i in range(n)))

    return start


@pytest_asyncio.fixture
async def cull_idle(hub):
    token = await hub.token(service="idle-culler")
    return partial(jupyterhub_idle_culler.cull_idle, hub.api_url.rstrip("/"), api_token=token)


@pytest.mark.asyncio
async def test_alive(hub, admin_request):
    info = await admin_request("/info")
    print(info)


async def count_active_users(admin_request):
    users = await admin_request("/users")
    active_users = 0
    for user in users:
        if any(s["ready"] for s in user["servers"].values()):
            active_users += 1
    return active_users


def cull_arbiter_function(inactive, inactive_limit, server):
    return True


async def async_cull_arbiter_function(inactive, inactive_limit, server):
    return False


@pytest.mark.asyncio
async def test_cull_idle(cull_idle, start_users, admin_request):
    assert await count_active_users(admin_request) == 0
    await start_users(3)
    assert await count_active_users(admin_request) == 3
    await cull_idle(inactive_limit=300, logger=app_log)
    # no change
    assert await count_active_users(admin_request) == 3

    # time travel into the future, everyone should be culled
    with mock.patch("jupyterhub_idle_culler.utcnow", lambda: utcnow() + timedelta(seconds=600)):
        await cull_idle(inactive_limit=300, logger=app_log)
    assert await count_active_users(admin_request) == 0


@pytest.mark.asyncio
async def test_custom_cull_arbiter(cull_idle, start_users, admin_request):
    assert await count_active_users(admin_request) == 0
    await start_users(3)
    assert await count_active_users(admin_request) == 3
    await cull_idle(inactive_limit=300, logger=app_log, cull_arbiter=cull_arbiter_function)
    # time has not passed but the cull arbiter function returns true: everyone culled
    assert await count_active_users(admin_request) == 0


@pytest.mark.asyncio
async def test_async_custom_cull_arbiter(cull_idle, start_users, admin_request):
    assert await count_active_users(admin_request) == 0
    await start_users(3)
    assert await count_active_users(admin_request) == 3
    # an async arbiter that returns false: no changes are made
    await cull_idle(inactive_limit=300, logger=app_log, cull_arbiter=async_cull_arbiter_function)
    assert await count_active_users(admin_request) == 3


def test_help():
    check_output([sys.executable, "-m", "jupyterhub_idle_culler", "--help"])
