"""jupyterhub-tmpauthenticator's test suite (from PyPI), ported onto hubfleet's make_hub.

The original (tests/test_tmpauthenticator.py) runs on pytest-jupyterhub's `hub_app` with
an aiohttp session and a hand-written `_xsrf` helper; here the hub's `browser()` keeps
cookies and sends `_xsrf` back, and hubs of the same config are reused between tests.
Each test keeps the original's requests and assertions.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]  # the original ran in auto mode

# The original's hub_config fixture: TmpAuthenticator under a base URL. tmpauthenticator
# 1.0.0 predates JupyterHub 5's `allow_all` (nobody may log in by default); its suite got
# `allow_all` from MockHub (so does `hub_app` here); make_hub takes config as written.
BASE = {
    "JupyterHub": {"authenticator_class": "tmp", "base_url": "/prefix/"},
    "Authenticator": {"allow_all": True},
}


def config(**sections):
    return {**BASE, **sections}


async def username(browser) -> str:
    """Who the hub thinks the browser is (the original's `_get_username`)."""
    r = await browser.get("hub/home")
    assert r.status_code == 200
    r = await browser.get("hub/api/user", headers={"Accept": "application/json"})
    assert r.status_code == 200
    return r.json()["name"]


@pytest.mark.parametrize(
    "test_config, test_status, test_location, test_url",
    [
        ({}, 302, "hub/tmplogin", None),
        ({"TmpAuthenticator": {"auto_login": True}}, 302, "hub/tmplogin", None),
        ({"TmpAuthenticator": {"auto_login": False}}, 200, None, "hub/login"),
    ],
)
async def test_auto_login_config(make_hub, test_config, test_status, test_location, test_url):
    hub = await make_hub(config(**test_config))
    async with hub.browser() as browser:
        r = await browser.get("hub/login", follow_redirects=False)

    assert r.status_code == test_status
    if test_url:
        assert test_url in str(r.url)
    if test_location:
        assert test_location in r.headers["Location"]


async def test_login(make_hub):
    hub = await make_hub(BASE)
    async with hub.browser() as browser:
        r = await browser.get("hub/home")

    assert r.status_code == 200


@pytest.mark.parametrize("test_setting_admin_to, test_status", [(True, 200), (False, 403)])
async def test_post_auth_hook_config(make_hub, test_setting_admin_to, test_status):
    def set_admin_post_auth_hook(authenticator, handler, authentication):
        authentication["admin"] = test_setting_admin_to
        return authentication

    hub = await make_hub(config(TmpAuthenticator={"post_auth_hook": set_admin_post_auth_hook}))
    async with hub.browser() as browser:
        r = await browser.get("hub/admin")

    assert r.status_code == test_status


async def test_revisit_tmplogin(make_hub):
    hub = await make_hub(BASE)
    async with hub.browser() as browser:
        # first access, so we receive a new user
        first_username = await username(browser)
        assert first_username

        # visiting /hub/home again, we are recognised: no new user
        assert first_username == await username(browser)

        # visiting /hub/tmplogin gives a _new_ user
        r = await browser.get("hub/tmplogin")
        assert r.status_code == 200
        second_username = await username(browser)
        assert first_username != second_username
