"""A test hub's configuration: the caller's keys win, classes load as configured (no processes)."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from hubfleet.local import pyconfig
from hubfleet.testing import hubconfig

PLACE = hubconfig.Place(
    state="/state/h1",
    port=41000,
    hub_port=41001,
    proxy_api_port=41002,
    chp="/node/bin/configurable-http-proxy",
    singleuser="/venv/bin/jupyterhub-singleuser",
    token="t" * 64,
    as_root=True,
    jupyterhub_major=5,
)


def hook(spawner):  # a module-level callable: importable, so a process hub can name it
    return None


def build(user=None, **place):
    return hubconfig.harness_config(hubconfig.to_config(user), PLACE.__class__(**{**PLACE.__dict__, **place}))


def test_defaults_fill_only_what_is_unset():
    cfg = build({"JupyterHub": {"base_url": "/prefix/", "port": 1234, "spawner_class": "simple"}})
    assert cfg.JupyterHub.port == 1234 and cfg.JupyterHub.base_url == "/prefix/"
    assert cfg.JupyterHub.hub_bind_url == "http://127.0.0.1:41001"
    assert cfg.ConfigurableHTTPProxy.command == ["/node/bin/configurable-http-proxy"]
    assert cfg.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:41002"
    assert cfg.Spawner.cmd == ["/venv/bin/jupyterhub-singleuser"]
    assert cfg.JupyterHub.db_url == "sqlite:///:memory:"
    assert build(in_process=False).JupyterHub.db_url == "sqlite:////state/h1/jupyterhub.sqlite"


def test_the_callers_objects_are_kept_as_they_are():
    cfg = build(Config({"Spawner": {"pre_spawn_hook": hook, "args": ["--debug"]}}))
    assert cfg.Spawner.pre_spawn_hook is hook
    assert cfg.Spawner.args == ["--debug", "--allow-root"]  # root: jupyter-server needs it
    assert build(as_root=False).Spawner.get("args") is None


def test_harness_service_and_marker_are_added_to_the_callers():
    cfg = build(
        {
            "JupyterHub": {
                "services": [{"name": "mine", "api_token": "x" * 32}],
                "load_roles": [{"name": "r", "scopes": ["read:users"], "services": ["mine"]}],
            },
            "Spawner": {"environment": {"A": "1"}},
        }
    )
    assert [s["name"] for s in cfg.JupyterHub.services] == ["mine", hubconfig.HARNESS_SERVICE]
    assert cfg.JupyterHub.load_roles[-1] == {"name": "admin", "services": [hubconfig.HARNESS_SERVICE]}
    assert [r["name"] for r in cfg.JupyterHub.load_roles] == ["r", "admin"]
    admins = build({"JupyterHub": {"load_roles": [{"name": "admin", "users": ["ada"]}]}})
    assert admins.JupyterHub.load_roles == [
        {"name": "admin", "users": ["ada"], "services": [hubconfig.HARNESS_SERVICE]}
    ]
    assert cfg.Spawner.environment == {"A": "1", hubconfig.MARKER: "/state/h1"}


@pytest.mark.parametrize(
    ("user", "allow_all"),
    [
        (None, True),  # the harness's own dummy lets anyone in (JupyterHub 5+ admits nobody by default)
        ({"Authenticator": {"allowed_users": {"ada"}}}, None),  # the caller's allow config decides
        ({"JupyterHub": {"authenticator_class": "null"}}, None),  # a configured authenticator: untouched
    ],
)
def test_allow_all_only_for_the_harness_default(user, allow_all):
    assert build(user).Authenticator.get("allow_all") == allow_all
    assert build(None, jupyterhub_major=4).Authenticator.get("allow_all") is None


def test_mockhub_compatible_fixtures_admit_everyone_as_mockhub_did():
    tmp = hubconfig.to_config({"JupyterHub": {"authenticator_class": "null"}})
    assert hubconfig.harness_config(tmp, PLACE, mockhub=True).Authenticator.allow_all is True
    mine = hubconfig.to_config({"Authenticator": {"allow_all": False}})
    assert hubconfig.harness_config(mine, PLACE, mockhub=True).Authenticator.allow_all is False


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("dumy", "`dumy` is no installed jupyterhub.authenticators entry point (did you mean `dummy`?)"),
        ("mypkg.MyAuthenticator", "`mypkg.MyAuthenticator` cannot be imported: No module named 'mypkg'"),
        ("jupyterhub.spawner.LocalProcessSpawner", "jupyterhub.spawner.LocalProcessSpawner is not a"),
        (42, "expected a class, an import path or an entry-point name, got 42"),
    ],
)
def test_a_class_that_cannot_load_is_one_error_naming_the_key(value, message):
    with pytest.raises(hubconfig.HubConfigError) as e:
        build({"JupyterHub": {"authenticator_class": value}})
    assert e.value.key == "JupyterHub.authenticator_class"
    assert str(e.value).startswith(f"JupyterHub.authenticator_class: {message}")


def test_classes_as_objects_import_paths_and_aliases_all_load():
    from jupyterhub.auth import DummyAuthenticator

    for value in (DummyAuthenticator, "jupyterhub.auth.DummyAuthenticator", "dummy", "Dummy"):
        cls = pyconfig.resolve_class("k", value, "jupyterhub.authenticators", "jupyterhub.auth.Authenticator")
        assert cls is DummyAuthenticator


def test_config_source_names_objects_by_import_path_and_runs():
    cfg = build({"Spawner": {"pre_spawn_hook": hook, "cpu_limit": float("inf"), "notebook_dir": None}})
    text = hubconfig.config_source(cfg)
    assert f"_obj({__name__!r}, 'hook')" in text
    c = Config()
    exec(compile(text, "jupyterhub_config.py", "exec"), {"c": c})
    assert c.Spawner.pre_spawn_hook is hook
    assert c.JupyterHub.services == cfg.JupyterHub.services
    assert c.JupyterHub.cookie_secret == cfg.JupyterHub.cookie_secret
    assert c.Spawner.cpu_limit == float("inf")


def test_an_object_with_no_import_path_is_one_error_naming_the_key():
    def local_hook(spawner):
        return None

    with pytest.raises(hubconfig.HubConfigError) as e:
        hubconfig.config_source(build({"Spawner": {"pre_spawn_hook": local_hook}}))
    assert e.value.key == "Spawner.pre_spawn_hook"
    assert "process=False" in str(e.value)
    with pytest.raises(hubconfig.HubConfigError) as e:
        hubconfig.config_source(build({"JupyterHub": {"services": [{"name": "s", "x": lambda: 1}]}}))
    assert e.value.key == "JupyterHub.services[0].x"


def test_to_config_copies_and_refuses_other_types():
    mine = {"JupyterHub": {"base_url": "/a/"}}
    cfg = hubconfig.to_config(mine)
    cfg.JupyterHub.base_url = "/b/"
    assert mine["JupyterHub"]["base_url"] == "/a/"
    with pytest.raises(hubconfig.HubConfigError, match="expected a traitlets Config or a mapping"):
        hubconfig.to_config(["JupyterHub"])
