"""What a test gets from `make_hub`: `Hub` (awaitable members) and `SyncHub` (blocking twins).

`hub.sync.create_user()` blocks; `await hub.create_user()` runs the same code in a worker
thread (anyio: asyncio or trio), so both work from any test. Each test gets its own
handle on a possibly shared running hub; `close` puts the hub back as it started.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import httpx

from hubfleet.core.errors import HubfleetError

from . import client as hubclient
from .launcher import Running

__all__ = ["Hub", "SyncHub"]


class SyncHub:
    """The blocking members of a test hub (`hub.sync`); `.aio` is the awaitable form."""

    def __init__(self, running: Running) -> None:
        self._running = running
        self._client = hubclient.HubClient(running.endpoint)
        self.api = hubclient.ApiClient(running.endpoint)  # callable, and an httpx.Client
        self._browsers: list[Any] = []
        self.aio = Hub(self)

    # attributes ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._running.endpoint.url

    @property
    def api_url(self) -> str:
        return self._running.endpoint.api_url

    @property
    def app(self) -> Any:
        return self._running.app

    @property
    def password(self) -> str | None:
        """A local hub's own DummyAuthenticator password (kept in `<state>/password`), or None."""
        kept = self._running.state / "password"
        return kept.read_text().strip() if kept.is_file() else None

    @property
    def log(self) -> str:
        return self._running.read_log()

    @property
    def sync(self) -> SyncHub:
        return self

    # members ---------------------------------------------------------------------------
    def token(
        self, scopes: Sequence[str] | None = None, user: str | None = None, service: str | None = None
    ) -> str:
        """A new API token with exactly `scopes` (None: the owner's default), for a user or a service."""
        if user is not None and service is not None:
            raise HubfleetError("token(): give `user` or `service`, not both")
        if service is not None:
            return self._service_token(service, scopes)
        owner = user or self._token_owner()
        return self._client.user_token(owner, scopes)

    def _token_owner(self) -> str:
        # Tokens of no named owner belong to an admin user made for this test (so any scope fits).
        name = "hubfleet-token-owner"
        if self._client.http.get(f"users/{name}").status_code == 404:
            self._client.create_user(name, admin=True)
        return name

    def _service_token(self, service: str, scopes: Sequence[str] | None) -> str:
        from .services import new_service_token

        return new_service_token(self._running, service, scopes)

    def create_user(self, name: str | None = None, admin: bool = False, groups: Sequence[str] = ()) -> str:
        return self._client.create_user(name, admin=admin, groups=groups)

    def browser(self) -> httpx.Client:
        """A browser-like client nobody logged in yet (cookies kept, `_xsrf` sent back)."""
        browser = self._client.browser()
        self._browsers.append(browser)
        return browser

    def login(self, name: str, password: str | None = None) -> httpx.Client:
        browser = self._client.login(name, password)
        self._browsers.append(browser)
        return browser

    def start_server(
        self,
        user: str,
        name: str = "",
        options: dict[str, Any] | None = None,
        timeout: float = hubclient.DEFAULT_SPAWN_TIMEOUT,
    ) -> dict[str, Any]:
        return self._client.start_server(user, name, options, timeout)

    def stop_server(self, user: str, name: str = "") -> None:
        self._client.stop_server(user, name)

    def run_code(self, user: str, code: str, name: str = "", timeout: float = 60) -> str:
        return self._client.run_code(user, code, name, timeout=timeout)

    def delete_user(self, user: str) -> None:
        """Stop the user's servers and delete the user (a missing user is fine)."""
        self._client.delete_user(user)

    # the end of a test -------------------------------------------------------------------
    def close(self) -> list[str]:
        """Remove what the test made (users, groups, servers, tokens); close connections."""
        try:
            return self._client.restore(self._running.baseline) if self._running.baseline else []
        finally:
            for browser in self._browsers:
                browser.close()
            self.api.close()
            self._client.close()

    def __repr__(self) -> str:
        kind = "in-process" if self._running.in_process else f"process {self._running.pid}"
        return f"<test hub {self.url} ({kind})>"


def _in_thread(name: str) -> Any:
    async def member(self: Hub, *args: Any, **kwargs: Any) -> Any:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(functools.partial(getattr(self.sync, name), *args, **kwargs))

    blocking = getattr(SyncHub, name, None)
    member.__name__ = name
    member.__doc__ = getattr(blocking, "__doc__", None) or f"Awaitable `hub.sync.{name}`."
    return member


class Hub:
    """A running test hub: awaitable members; `.sync` has the blocking twins."""

    def __init__(self, sync: SyncHub) -> None:
        self.sync = sync

    url = property(lambda self: self.sync.url)
    api_url = property(lambda self: self.sync.api_url)
    app = property(lambda self: self.sync.app)
    log = property(lambda self: self.sync.log)
    aio = property(lambda self: self)

    api = _in_thread("api")
    token = _in_thread("token")
    create_user = _in_thread("create_user")
    start_server = _in_thread("start_server")
    stop_server = _in_thread("stop_server")
    run_code = _in_thread("run_code")
    delete_user = _in_thread("delete_user")

    async def login(self, name: str, password: str | None = None) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` logged in as `name` (cookies kept, `_xsrf` sent back)."""
        import anyio.to_thread

        browser = await anyio.to_thread.run_sync(functools.partial(self.sync.login, name, password))
        return hubclient.async_login_client(browser)

    def browser(self) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` like a browser nobody logged in yet (use `async with`)."""
        blank = self.sync._client.browser()
        try:
            return hubclient.async_login_client(blank)
        finally:
            blank.close()  # its (empty) cookie jar lives on in the async client

    def __repr__(self) -> str:
        return repr(self.sync)
