"""What pytest-jupyterhub's MockHub gave component suites, on JupyterHub's public API.

`hub_app` and `configured_mockhub_instance` start from these defaults, as pytest-jupyterhub's
MockHub did, so suites that lean on them (JupyterHub's own `api_request(app, ...)` needs
the user `admin`) run unchanged; `make_hub` keeps real defaults. Nothing here imports
JupyterHub's private test package (`jupyterhub.tests`). Imported only by fixtures.
"""

from __future__ import annotations

import functools
from typing import Any

BASE_URL = "/@/space%20word/"  # MockHub's: a prefix that needs escaping
ADMIN = "admin"
USER = "user"
CLASSES = ("MockAuthenticator", "MockSpawner", "MockHubApp")

__all__ = ["BASE_URL", *CLASSES, "fresh_db", "mockhub_defaults"]


def __getattr__(name: str) -> Any:
    """`hubfleet.testing.mock.MockSpawner` and the others, made on first use (JupyterHub is an
    optional extra: a base install imports this module without it)."""
    if name in CLASSES:
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _classes() -> dict[str, type]:
    import jupyterhub
    from jupyterhub import orm
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator
    from jupyterhub.spawner import Spawner
    from tornado.web import RequestHandler
    from traitlets import default

    class MockAuthenticator(Authenticator):
        """MockHub's authenticator without PAM: the password is the user's name; `admin` is an
        admin; names starting with `notallowed` are refused (MockPAMAuthenticator's check)."""

        @default("admin_users")
        def _admin_users_default(self) -> set[str]:
            return {ADMIN}

        async def authenticate(self, handler: Any, data: dict[str, str]) -> str | None:
            name = data.get("username") or ""
            if name and data.get("password") == name and not name.startswith("notallowed"):
                return name
            return None

    class Answer(RequestHandler):
        def prepare(self) -> None:
            self.set_header("X-JupyterHub-Version", jupyterhub.__version__)  # no version warning
            self.finish({"mock": True, "path": self.request.path})

    class MockSpawner(Spawner):
        """Starts no process: a small HTTP server in the hub's own event loop stands in for the
        user's server (it answers every path with 200), so there is nothing to leave behind."""

        _http: Any = None

        async def start(self) -> str:
            from tornado.httpserver import HTTPServer
            from tornado.netutil import bind_sockets
            from tornado.web import Application

            sockets = bind_sockets(0, "127.0.0.1")
            self._http = HTTPServer(Application([(r".*", Answer)]))
            self._http.add_sockets(sockets)
            return f"http://127.0.0.1:{sockets[0].getsockname()[1]}"

        async def poll(self) -> int | None:
            return None if self._http is not None else 0

        async def stop(self, now: bool = False) -> None:
            if self._http is not None:
                self._http.stop()
                await self._http.close_all_connections()
                self._http = None

    class MockHubApp(JupyterHub):
        """JupyterHub that, like MockHub, has the user `user` once initialised (`admin` comes
        from the authenticator's admin_users)."""

        async def initialize(self, *args: Any, **kwargs: Any) -> None:
            from jupyterhub.roles import assign_default_roles

            await super().initialize(*args, **kwargs)
            if orm.User.find(self.db, USER) is None:
                user = orm.User(name=USER)
                self.db.add(user)
                self.db.commit()
                assign_default_roles(self.db, entity=user)
                self.db.commit()

    made = {"MockAuthenticator": MockAuthenticator, "MockSpawner": MockSpawner, "MockHubApp": MockHubApp}
    for name, cls in made.items():  # named by import path, as a process hub's config names them
        cls.__module__, cls.__qualname__ = __name__, name
    return made


def mockhub_defaults(user: Any) -> dict[str, dict[str, Any]]:
    """MockHub's defaults for what `user` (a traitlets Config) leaves unset: section -> key -> value."""
    hub = user.JupyterHub if "JupyterHub" in user else {}
    out: dict[str, Any] = {}
    if "base_url" not in hub and "bind_url" not in hub:
        out["base_url"] = BASE_URL
    if "authenticator_class" not in hub:
        out["authenticator_class"] = _classes()["MockAuthenticator"]
    if "spawner_class" not in hub:
        out["spawner_class"] = _classes()["MockSpawner"]
    return {"JupyterHub": out}


def fresh_db() -> Any:
    """JupyterHub's ORM session on a new in-memory database: default roles and one user named
    after the OS user running the tests; no hub running (what JupyterHub's own `db` gave)."""
    import logging
    from getpass import getuser

    from jupyterhub import orm
    from jupyterhub.app import JupyterHub
    from jupyterhub.roles import assign_default_roles, create_role, get_default_roles

    app = JupyterHub(db_url="sqlite:///:memory:", log=logging.getLogger("hubfleet.db"))
    app.init_db()
    db = app.db
    for role in get_default_roles():
        create_role(db, role)
    user = orm.User(name=getuser())
    db.add(user)
    db.commit()
    assign_default_roles(db, entity=user)
    db.commit()
    return db
