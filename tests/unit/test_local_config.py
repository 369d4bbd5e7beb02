"""Values -> JupyterHub config for local hubs: pure, dict literals, microseconds."""

from __future__ import annotations

import pytest

from hubfleet.local.config import (
    HEALTH_SERVICE,
    MARKER,
    LocalConfigError,
    LocalEnv,
    build,
    extra_env,
    not_applied,
)

ENV = LocalEnv(
    hub="demo",
    port=8000,
    hub_api_port=40001,
    proxy_api_port=40002,
    state="/state/demo",
    python="/venv/bin/python",
    chp="/node/bin/configurable-http-proxy",
    health_token="t0ken",
)


def traits(values, env=ENV):
    return build(values, env).traits


def test_table_maps_values_to_traits():
    c = traits(
        {
            "hub": {"baseUrl": "/jh/", "concurrentSpawnLimit": 3, "allowNamedServers": True},
            "singleuser": {
                "memory": {"limit": "2G", "guarantee": "1G"},
                "cpu": {"limit": 2, "guarantee": 0.5},
                "defaultUrl": "/lab",
                "startTimeout": 42,
            },
        }
    )
    assert c["JupyterHub"]["base_url"] == "/jh/"
    assert c["JupyterHub"]["concurrent_spawn_limit"] == 3
    assert c["JupyterHub"]["allow_named_servers"] is True
    s = c["Spawner"]
    assert (s["mem_limit"], s["mem_guarantee"], s["cpu_limit"], s["cpu_guarantee"]) == ("2G", "1G", 2, 0.5)
    assert (s["default_url"], s["start_timeout"]) == ("/lab", 42)


def test_null_is_not_set_and_chart_defaults_apply():
    c = traits({"hub": {"activeServerLimit": None}})
    assert "active_server_limit" not in c["JupyterHub"]
    assert c["JupyterHub"]["authenticator_class"] == "dummy"  # the chart's default
    assert c["Spawner"]["cmd"] == "jupyterhub-singleuser"
    assert c["Spawner"]["consecutive_failure_limit"] == 5


def test_the_charts_own_defaults_replace_the_fallback_table():
    chart = {"hub": {"concurrentSpawnLimit": 7, "config": {"JupyterHub": {"authenticator_class": "null"}}}}
    cfg = build({"hub": {"baseUrl": "/jh/"}}, ENV, chart_defaults=chart)
    c = cfg.traits
    assert c["JupyterHub"]["concurrent_spawn_limit"] == 7
    assert c["JupyterHub"]["authenticator_class"] == "null"
    assert "consecutive_failure_limit" not in c["Spawner"]  # the table is not consulted
    assert "jupyterhub-idle-culler" not in [s["name"] for s in c["JupyterHub"]["services"]]
    assert cfg.values["hub"]["baseUrl"] == "/jh/"  # the hub's values win over the chart's
    assert build({}, ENV, chart_defaults=chart).digest != build({}, ENV).digest  # restart on change


def test_hub_config_passes_through_and_wins_over_the_table():
    c = traits(
        {
            "hub": {
                "concurrentSpawnLimit": 3,
                "config": {
                    "JupyterHub": {"concurrent_spawn_limit": 7, "authenticator_class": "shared-password"},
                    "SharedPasswordAuthenticator": {"user_password": "x" * 10},
                    "Authenticator": {"admin_users": ["ada"], "allowed_users": ["bob"]},
                },
            }
        }
    )
    assert c["JupyterHub"]["concurrent_spawn_limit"] == 7
    assert c["JupyterHub"]["authenticator_class"] == "shared-password"
    assert c["Authenticator"] == {"admin_users": ["ada"], "allowed_users": ["bob"]}
    assert c["SharedPasswordAuthenticator"]["user_password"] == "x" * 10


def test_local_placement_is_pinned_even_against_hub_config():
    c = traits({"hub": {"config": {"JupyterHub": {"port": 1, "spawner_class": "kubespawner.KubeSpawner"}}}})
    hub = c["JupyterHub"]
    assert (hub["ip"], hub["port"]) == ("127.0.0.1", 8000)
    assert hub["hub_bind_url"] == "http://127.0.0.1:40001"
    assert hub["spawner_class"] == "jupyterhub.spawner.SimpleLocalProcessSpawner"
    assert hub["db_url"] == "sqlite:////state/demo/jupyterhub.sqlite"
    assert c["ConfigurableHTTPProxy"]["api_url"] == "http://127.0.0.1:40002"
    assert c["ConfigurableHTTPProxy"]["command"] == ["/node/bin/configurable-http-proxy"]


def test_sqlite_memory_db():
    assert traits({"hub": {"db": {"type": "sqlite-memory"}}})["JupyterHub"]["db_url"] == "sqlite://"


@pytest.mark.parametrize(
    ("raw", "env", "skipped"),
    [
        ({"A": "1", "B": 2}, {"A": "1", "B": "2"}, []),
        ({"A": {"value": "1"}, "S": {"valueFrom": {"secretKeyRef": {}}}}, {"A": "1"}, ["x.S"]),
        ([{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {}}], {"A": "1"}, ["x.B"]),
        (None, {}, []),
    ],
)
def test_extra_env_forms(raw, env, skipped):
    assert extra_env(raw, "x") == (env, skipped)


def test_extra_env_reaches_spawner_with_marker_and_root_flag():
    root_env = LocalEnv(**{**ENV.__dict__, "as_root": True})
    c = traits({"singleuser": {"extraEnv": {"GREETING": "hi"}}}, root_env)
    assert c["Spawner"]["environment"] == {"GREETING": "hi", MARKER: "/state/demo"}
    assert c["Spawner"]["args"] == ["--allow-root"]
    assert "args" not in traits({})["Spawner"]


def test_services_and_roles_are_lists_and_health_token_is_local():
    c = traits(
        {
            "hub": {
                "services": {
                    "grader": {"apiToken": "abc123", "url": "http://x"},
                    HEALTH_SERVICE: {"admin": False},
                },
                "loadRoles": {"teacher": {"scopes": ["list:users"], "users": ["ada"]}},
            },
            "cull": {"enabled": False},
        }
    )
    services = {s["name"]: s for s in c["JupyterHub"]["services"]}
    assert services["grader"] == {"name": "grader", "url": "http://x", "api_token": "abc123"}
    assert services[HEALTH_SERVICE]["api_token"] == "t0ken"
    roles = {r["name"]: r for r in c["JupyterHub"]["load_roles"]}
    assert roles["teacher"]["users"] == ["ada"]
    assert "servers" in roles[HEALTH_SERVICE]["scopes"]  # added when the values have none


def test_cull_is_a_managed_service_with_z2jh_flags():
    c = traits({"hub": {"baseUrl": "/jh"}, "cull": {"timeout": 60, "every": 10, "users": True, "maxAge": 5}})
    service = next(s for s in c["JupyterHub"]["services"] if s["name"] == "jupyterhub-idle-culler")
    cmd = service["command"]
    assert cmd[:3] == ["/venv/bin/python", "-m", "jupyterhub_idle_culler"]
    assert "--url=http://127.0.0.1:40001/jh/hub/api" in cmd
    assert {"--timeout=60", "--cull-every=10", "--cull-users", "--max-age=5"} <= set(cmd)
    assert "--cull-admin-users=false" not in cmd  # chart default adminUsers: true
    role = next(r for r in c["JupyterHub"]["load_roles"] if r["name"] == "jupyterhub-idle-culler")
    assert "admin:users" in role["scopes"]
    off = traits({"cull": {"enabled": False}})
    assert all(s["name"] != "jupyterhub-idle-culler" for s in off["JupyterHub"]["services"])


def test_singleuser_cmd_forms():
    assert traits({"singleuser": {"cmd": ["python", "-m", "x"]}})["Spawner"]["cmd"] == ["python", "-m", "x"]
    assert traits({"singleuser": {"cmd": None}})["Spawner"]["cmd"] is None  # explicit null: JupyterHub's


def test_debug_and_cookie_secret():
    c = traits({"debug": {"enabled": True}, "hub": {"cookieSecret": "ab" * 32}})
    assert c["JupyterHub"]["log_level"] == "DEBUG"
    assert c["Spawner"]["debug"] is True
    assert c["JupyterHub"]["cookie_secret"] == "ab" * 32


def test_extra_config_sorted_and_in_file():
    cfg = build({"hub": {"extraConfig": {"20-b": "B = 2", "10-a": "A = 1"}}}, ENV)
    assert [k for k, _ in cfg.extra_config] == ["10-a", "20-b"]
    text = cfg.text()
    assert text.index("hub.extraConfig.10-a") < text.index("hub.extraConfig.20-b")
    compile(text, "jupyterhub_config.py", "exec")  # valid Python


@pytest.mark.parametrize("auth", ["github", "oauthenticator.GenericOAuthenticator", "cilogon", "pam"])
def test_remote_only_authenticators_are_refused(auth):
    with pytest.raises(LocalConfigError) as e:
        build({"hub": {"config": {"JupyterHub": {"authenticator_class": auth}}}}, ENV)
    assert e.value.keypath == ("hub", "config", "JupyterHub", "authenticator_class")
    assert "dummy" in e.value.message


@pytest.mark.parametrize(
    "auth", ["dummy", "null", "tmp", "native", "shared-password", "jupyterhub.auth.DummyAuthenticator"]
)
def test_local_authenticators_pass(auth):
    assert traits({"hub": {"config": {"JupyterHub": {"authenticator_class": auth}}}})


def test_kubernetes_only_keys_are_listed_once_at_their_level():
    values = {
        "ingress": {"enabled": True, "hosts": ["x"]},
        "proxy": {"service": {"type": "NodePort"}},
        "scheduling": {"userScheduler": {"enabled": False}},
        "singleuser": {"image": {"name": "x"}, "storage": {"type": "none"}, "memory": {"limit": "1G"}},
        "hub": {"config": {}, "image": {"name": "y"}},
        "prePuller": {"hook": {"enabled": False}},
    }
    assert not_applied(values) == [
        "ingress",
        "proxy",
        "scheduling",
        "singleuser.image",
        "singleuser.storage",
        "hub.image",
        "prePuller",
    ]
    assert build(values, ENV).not_applied == tuple(sorted(not_applied(values)))


def test_digest_follows_values():
    a = build({"singleuser": {"extraEnv": {"A": "1"}}}, ENV)
    assert a.digest == build({"singleuser": {"extraEnv": {"A": "1"}}}, ENV).digest
    assert a.digest != build({"singleuser": {"extraEnv": {"A": "2"}}}, ENV).digest
