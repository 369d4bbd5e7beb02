"""make_hub: real hubs with a real proxy, in this process and in their own, from a component test.

Runs in pytest-asyncio's strict mode (this repository's) with explicit markers; the bare
repository test runs the same members in auto mode and under anyio's plugin.
"""

from __future__ import annotations

import httpx
import pytest
from jupyterhub.auth import Authenticator

pytestmark = pytest.mark.slow


class PinAuthenticator(Authenticator):
    """A component under test, defined in the test module: only the PIN 1234 logs in."""

    async def authenticate(self, handler, data):
        return data["username"] if data.get("password") == "1234" else None


def record_options(spawner):  # a module-level hook: a process hub imports it by path
    spawner.environment["SEEN_OPTIONS"] = repr(sorted(spawner.user_options.items()))


CONFIG = {
    "JupyterHub": {"authenticator_class": PinAuthenticator},
    "Authenticator": {"allow_all": True, "admin_users": {"root-admin"}},
    "Spawner": {"pre_spawn_hook": record_options},
}


@pytest.mark.asyncio
async def test_in_process_hub_members(make_hub):
    hub = await make_hub(CONFIG)
    assert hub.app is not None and hub.app.authenticator.__class__ is PinAuthenticator
    assert hub.url.startswith("http://127.0.0.1:") and hub.api_url == hub.url + "hub/api/"

    ada = await hub.create_user("ada", groups=["physics"])
    group = (await hub.api("GET", "groups/physics")).json()
    assert group["users"] == ["ada"]

    token = await hub.token(scopes=["read:users:name!user=ada"], user="ada")
    me = (await hub.api("GET", "user", token=token)).json()
    assert me["name"] == "ada" and "read:users:name!user=ada" in me["scopes"]
    assert (await hub.api("GET", "users", token=token)).status_code == 403  # nothing more

    browser = await hub.login("ada", "1234")
    assert (await browser.get("hub/api/user")).json()["name"] == "ada"
    made = await browser.post("hub/api/users/ada/tokens", json={"note": "from the browser"})
    assert made.status_code == 201  # a POST with cookies: the _xsrf header went along
    await browser.aclose()
    with pytest.raises(Exception, match="login as ada failed"):
        await hub.login("ada", "wrong")

    model = await hub.start_server(ada, name="lab", options={"size": "small"})
    assert model["ready"] and model["name"] == "lab"
    assert await hub.run_code(ada, "import os; os.environ['SEEN_OPTIONS']", name="lab") == repr(
        repr([("size", "small")])
    )
    assert await hub.run_code(ada, "None", name="lab") == "None"
    assert await hub.run_code(ada, "x = 1", name="lab") == "None"
    with pytest.raises(Exception, match="ZeroDivisionError"):
        await hub.run_code(ada, "1/0", name="lab")
    await hub.stop_server(ada, name="lab")
    assert not (await hub.api("GET", "users/ada")).json()["servers"].get("lab", {}).get("ready")
    assert "PinAuthenticator" in hub.log


def test_blocking_twins_and_back(make_hub):
    hub = make_hub.sync(CONFIG)
    assert hub.sync is hub and hub.aio.sync is hub
    user = hub.create_user()
    assert hub.api("GET", f"users/{user}").status_code == 200
    assert hub.api.get(f"hub/api/users/{user}").status_code == 200  # also an httpx.Client
    browser = hub.login(user, "1234")
    assert isinstance(browser, httpx.Client) and browser.get("hub/home").status_code == 200


SHARED = {"JupyterHub": {"authenticator_class": "dummy"}, "Authenticator": {"allow_all": True}}
seen: dict[str, str] = {}


@pytest.mark.asyncio
async def test_reuse_1_a_test_makes_things(make_hub):
    hub = await make_hub(SHARED)
    seen["url"] = hub.url
    await hub.create_user("left-behind", groups=["g1"])
    await hub.token(scopes=["read:hub"])


@pytest.mark.asyncio
async def test_reuse_2_the_next_test_gets_the_same_hub_clean(make_hub):
    hub = await make_hub(SHARED)
    if "url" in seen:
        assert hub.url == seen["url"]  # reused, not restarted
    assert (await hub.api("GET", "users")).json() == []
    assert (await hub.api("GET", "groups")).json() == []


def test_a_process_hub_names_classes_and_hooks_by_import_path(make_hub):
    hub = make_hub.sync(CONFIG, process=True)
    assert hub.app is None
    user = hub.create_user()
    hub.login(user, "1234")  # the test module's authenticator, imported by the hub process
    hub.start_server(user, options={"n": 1})
    assert hub.run_code(user, "import os; os.environ['SEEN_OPTIONS']") == repr(repr([("n", 1)]))
    service_token = hub.token(scopes=["read:hub"], service="hubfleet-harness")
    assert hub.api("GET", "/", token=service_token).status_code == 200
    assert "Using Authenticator: test_make_hub.PinAuthenticator" in hub.log


def test_what_a_process_hub_cannot_take_is_one_error_naming_the_key(make_hub):
    from hubfleet.testing.hubconfig import HubConfigError

    with pytest.raises(HubConfigError) as e:
        make_hub.sync({"Spawner": {"pre_spawn_hook": lambda spawner: None}}, process=True)
    assert e.value.key == "Spawner.pre_spawn_hook"
    with pytest.raises(HubConfigError) as e:
        make_hub.sync({"JupyterHub": {"spawner_class": "mypkg.Nope"}})
    assert (
        str(e.value) == "JupyterHub.spawner_class: `mypkg.Nope` cannot be imported: No module named 'mypkg'"
    )


@pytest.mark.asyncio
async def test_service_tokens_in_process(make_hub):
    hub = await make_hub(SHARED)
    token = await hub.token(scopes=["read:hub"], service="hubfleet-harness")
    assert (await hub.api("GET", "/", token=token)).status_code == 200
    with pytest.raises(Exception, match="no such service"):
        await hub.token(service="nope")


@pytest.mark.asyncio
async def test_a_failed_spawn_says_the_spawners_last_word(make_hub):
    # slow_spawn_timeout 0: the POST answers 202 at once, so the failure comes from the
    # spawn's progress stream (a spawner failing within the timeout makes the POST a 500)
    hub = await make_hub(
        {
            "JupyterHub": {"tornado_settings": {"slow_spawn_timeout": 0}},
            "Spawner": {"cmd": ["/nonexistent/jupyterhub-singleuser"]},
        }
    )
    user = await hub.create_user()
    with pytest.raises(Exception, match=r"failed to start: Spawn failed: .*nonexistent") as failed:
        await hub.start_server(user)
    assert "see the hub's log" not in str(failed.value)


@pytest.mark.asyncio
async def test_api_takes_paths_as_the_rest_reference_writes_them(make_hub):
    # Contract v1.1: `/users/{name}` is relative to api_url, as JupyterHub's REST reference
    # writes it (it used to be read as relative to the hub, and got the login redirect).
    hub = await make_hub(SHARED)
    user = await hub.create_user()
    for path in (f"/users/{user}", f"users/{user}"):
        r = await hub.api("GET", path)
        assert r.status_code == 200 and r.json()["name"] == user
    assert (await hub.api("GET", "/users/nobody-here")).status_code == 404
    assert "version" in (await hub.api("GET", "/")).json()


def test_a_login_redirect_is_an_error_not_a_302():
    from hubfleet.testing.client import HubRequestError, not_login_redirect

    request = httpx.Request("GET", "http://127.0.0.1:1/hub/api/users/x")
    redirect = httpx.Response(302, headers={"location": "/hub/login?next=%2Fhub%2Fx"}, request=request)
    with pytest.raises(HubRequestError, match="answered with the login redirect"):
        not_login_redirect(redirect)
    elsewhere = httpx.Response(302, headers={"location": "/user/x/lab"}, request=request)
    assert not_login_redirect(elsewhere) is elsewhere
