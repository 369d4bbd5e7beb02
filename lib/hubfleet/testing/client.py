"""Blocking operations on a running test hub over its REST API, login form and kernels.

One implementation, used by the blocking members (`hub.sync.x`) directly and by the
awaitable ones from a worker thread, so no client is ever shared between event loops.
`snapshot`/`restore` give every test a clean hub: whatever users, groups, servers and
tokens a test made are removed afterwards, however it made them.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from hubfleet.adapters.hubapi import spawn_failure
from hubfleet.adapters.kernel import execute
from hubfleet.core.errors import HubfleetError

DEFAULT_SPAWN_TIMEOUT = 60.0


class HubRequestError(HubfleetError):
    """A REST call the hub refused: method, path, status and the hub's message."""


def path_join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


@dataclass(frozen=True)
class Endpoint:
    """Where a hub answers and the harness's token for it."""

    url: str  # public, through the proxy, ending in `/` (base URL included)
    token: str

    @property
    def api_url(self) -> str:
        return self.url + "hub/api/"


@dataclass
class Snapshot:
    users: dict[str, set[str]] = field(default_factory=dict)  # user -> active server names
    groups: set[str] = field(default_factory=set)
    tokens: dict[str, set[str]] = field(default_factory=dict)  # user -> token ids


class ApiClient(httpx.Client):
    """`hub.api`: call it with a REST API path as JupyterHub's REST API reference writes it
    (`api("GET", "/users/{name}")` or `api("GET", "users/{name}")`, relative to `api_url`), or
    use it as the `httpx.Client` it is, relative to the hub's URL (`api.get("services/x/")`)."""

    def __init__(self, endpoint: Endpoint, *, timeout: float = 30.0) -> None:
        super().__init__(
            base_url=endpoint.url, headers={"Authorization": f"token {endpoint.token}"}, timeout=timeout
        )
        self.endpoint = endpoint

    def __call__(self, method: str, path: str, json: Any = None, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"token {token}"} if token else None
        r = self.request(method.upper(), api_path(path), json=json, headers=headers)
        return not_login_redirect(r)


def api_path(path: str) -> str:
    """A REST API path (`/users/x`, `users/x`, `/` for the API's root) relative to the hub's URL."""
    return "hub/api/" + path.lstrip("/")


def not_login_redirect(r: httpx.Response) -> httpx.Response:
    """`r`, unless the hub answered an authenticated call by sending it to the login page."""
    location = r.headers.get("location", "")
    if r.is_redirect and "/hub/login" in httpx.URL(location).path:
        raise HubRequestError(
            f"{r.request.method} {r.request.url.path} was answered with the login redirect "
            f"(HTTP {r.status_code} to {location}): the hub did not take the token for this path; "
            "REST API paths are relative to api_url (`/users/x`), other hub pages go through hub.url"
        )
    return r


class HubClient:
    """The harness's view of one hub, with its own HTTP connections (close it after use)."""

    def __init__(self, endpoint: Endpoint, *, timeout: float = 30.0) -> None:
        self.endpoint = endpoint
        self.http = httpx.Client(
            base_url=endpoint.api_url,
            headers={"Authorization": f"token {endpoint.token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    # --- REST -----------------------------------------------------------------------

    def _ok(self, r: httpx.Response, allowed: Sequence[int] = ()) -> httpx.Response:
        if r.status_code < 400 or r.status_code in allowed:
            return r
        try:
            detail = r.json().get("message", "")
        except ValueError:
            detail = r.text[:300]
        what = f"{r.request.method} {r.request.url.path}"
        raise HubRequestError(f"{what}: HTTP {r.status_code} {detail}".rstrip())

    def _all(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paginated list (JupyterHub 2+ pagination, followed to the end)."""
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            r = self._ok(
                self.http.get(
                    path,
                    params={"offset": offset, "limit": 200},
                    headers={"Accept": "application/jupyterhub-pagination+json"},
                )
            )
            body = r.json()
            items = body["items"] if isinstance(body, dict) else body
            out += items
            nxt = (body.get("_pagination") or {}).get("next") if isinstance(body, dict) else None
            if not nxt or not items:
                return out
            offset = nxt["offset"]

    # --- users, groups, tokens ---------------------------------------------------------

    def create_user(self, name: str | None = None, admin: bool = False, groups: Iterable[str] = ()) -> str:
        name = name or f"user-{secrets.token_hex(3)}"
        self._ok(self.http.post(f"users/{quote(name)}", json={"admin": bool(admin)}))
        for group in groups:
            r = self.http.get(f"groups/{quote(group)}")
            if r.status_code == 404:
                self._ok(self.http.post(f"groups/{quote(group)}", json={"users": [name]}))
            else:
                self._ok(self.http.post(f"groups/{quote(group)}/users", json={"users": [name]}))
        return name

    def user_token(self, user: str, scopes: Sequence[str] | None) -> str:
        body: dict[str, Any] = {"note": "hubfleet test token"}
        if scopes is not None:
            body["scopes"] = list(scopes)
        r = self._ok(self.http.post(f"users/{quote(user)}/tokens", json=body))
        return str(r.json()["token"])

    # --- servers -----------------------------------------------------------------------

    def _server_path(self, user: str, name: str) -> str:
        return f"users/{quote(user)}/servers/{quote(name)}" if name else f"users/{quote(user)}/server"

    def server_model(self, user: str, name: str = "") -> dict[str, Any] | None:
        r = self._ok(self.http.get(f"users/{quote(user)}"))
        return (r.json().get("servers") or {}).get(name)

    def start_server(
        self,
        user: str,
        name: str = "",
        options: dict[str, Any] | None = None,
        timeout: float = DEFAULT_SPAWN_TIMEOUT,
    ) -> dict[str, Any]:
        """POST the server with `options` (the spawner's user_options); wait until ready."""
        what = f"server {name!r} of {user}" if name else f"server of {user}"
        r = self.http.post(self._server_path(user, name), json=dict(options or {}))
        if r.status_code >= 400 and not (r.status_code == 400 and "already running" in r.text):
            self._ok(r)
        deadline = time.monotonic() + timeout
        while True:
            model = self.server_model(user, name)
            if model and model.get("ready"):
                return model
            if not model or not model.get("pending"):
                raise HubfleetError(f"the {what} failed to start{self._spawn_error(user, name)}")
            if time.monotonic() > deadline:
                raise HubfleetError(f"the {what} was not ready after {timeout:g}s")
            time.sleep(0.1)

    def _spawn_error(self, user: str, name: str) -> str:
        return spawn_failure(self.http, self._server_path(user, name) + "/progress")

    def stop_server(self, user: str, name: str = "", *, remove: bool = False, timeout: float = 60) -> None:
        """Stop the server (waiting out a spawn still pending: the hub refuses to stop those)."""
        body = {"remove": True} if remove and name else None
        deadline = time.monotonic() + timeout
        while True:
            r = self.http.request("DELETE", self._server_path(user, name), json=body)
            if not (r.status_code == 400 and "pending spawn" in r.text) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self._ok(r, allowed=(404,))
        while r.status_code == 202 and time.monotonic() < deadline:
            model = self.server_model(user, name)
            if not model or not (model.get("ready") or model.get("pending")):
                return
            time.sleep(0.1)

    def delete_user(self, user: str) -> None:
        model = self.http.get(f"users/{quote(user)}")
        if model.status_code == 404:
            return
        for server, state in (self._ok(model).json().get("servers") or {}).items():
            if state.get("ready") or state.get("pending"):
                self.stop_server(user, server)
        self._ok(self.http.delete(f"users/{quote(user)}"), allowed=(404,))

    # --- login like a browser ----------------------------------------------------------

    def browser(self) -> httpx.Client:
        """An `httpx.Client` like a browser nobody logged in yet: cookies kept, `_xsrf` sent back."""
        return httpx.Client(
            base_url=self.endpoint.url,
            follow_redirects=True,
            timeout=self.http.timeout,
            event_hooks={"request": [_xsrf_hook]},
        )

    def login(self, name: str, password: str | None = None) -> httpx.Client:
        """An `httpx.Client` logged in as `name` through the hub's own login page."""
        client = self.browser()
        try:
            _login_flow(client, self.endpoint.url, name, name if password is None else password)
        except BaseException:
            client.close()
            raise
        return client

    # --- kernels -----------------------------------------------------------------------

    def run_code(self, user: str, code: str, name: str = "", *, timeout: float = 60) -> str:
        """Run `code` in a new kernel on the user's server: the result's text, `"None"` if none."""
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        prefix = path_join("user", quote(user), quote(name))
        base = f"{self.endpoint.url}{prefix}/api/kernels"
        headers = {"Authorization": f"token {self.endpoint.token}"}
        kernel = self._ok(self.http.post(base, json={})).json()["id"]
        try:
            ws_url = re.sub(r"^http", "ws", base) + f"/{kernel}/channels"
            try:
                with connect(ws_url, additional_headers=headers, open_timeout=30, max_size=2**24) as ws:
                    return execute(ws, code, timeout)
            except (OSError, WebSocketException) as e:
                raise HubfleetError(f"kernel websocket {ws_url}: {type(e).__name__}: {e}") from None
        finally:
            self.http.delete(f"{base}/{kernel}")

    # --- a clean hub for every test ----------------------------------------------------

    def snapshot(self) -> Snapshot:
        snap = Snapshot()
        for user in self._all("users"):
            servers = user.get("servers") or {}
            snap.users[user["name"]] = {n for n, s in servers.items() if s.get("ready") or s.get("pending")}
            snap.tokens[user["name"]] = self._token_ids(user["name"])
        snap.groups = {g["name"] for g in self._all("groups")}
        return snap

    def _token_ids(self, user: str) -> set[str]:
        r = self.http.get(f"users/{quote(user)}/tokens")
        if r.status_code != 200:
            return set()
        body = r.json()
        return {t["id"] for t in body.get("api_tokens", [])} if isinstance(body, dict) else set()

    def restore(self, before: Snapshot) -> list[str]:
        """Remove what was made since `before`; what was removed, for the log."""
        done: list[str] = []
        users = self._all("users")
        for user in users:  # stop first: a user is deleted only once its servers stopped
            name = user["name"]
            for server, model in (user.get("servers") or {}).items():
                if (model.get("ready") or model.get("pending")) and server not in before.users.get(name, ()):
                    self.stop_server(name, server)
                    done.append(f"server {name}/{server}")
        for user in users:
            name = user["name"]
            if name not in before.users:
                self._ok(self.http.delete(f"users/{quote(name)}"), allowed=(404,))
                done.append(f"user {name}")
                continue
            for token in self._token_ids(name) - before.tokens.get(name, set()):
                self._ok(self.http.delete(f"users/{quote(name)}/tokens/{token}"), allowed=(404,))
                done.append(f"token {token} of {name}")
        for group in self._all("groups"):
            if group["name"] not in before.groups:
                self._ok(self.http.delete(f"groups/{quote(group['name'])}"), allowed=(404,))
                done.append(f"group {group['name']}")
        return done


# --- the login flow (shared by the blocking and the async client) ---------------------


def _xsrf_value(cookies: httpx.Cookies) -> str | None:
    for cookie in cookies.jar:
        if cookie.name == "_xsrf":
            return cookie.value
    return None


def _xsrf_hook(request: httpx.Request) -> None:
    """Send the `_xsrf` cookie back as `X-XSRFToken`, as the hub's own pages do."""
    cookie = request.headers.get("cookie", "")
    match = re.search(r"(?:^|;\s*)_xsrf=([^;]+)", cookie)
    if match and "X-XSRFToken" not in request.headers:
        request.headers["X-XSRFToken"] = match.group(1)


async def _xsrf_hook_async(request: httpx.Request) -> None:
    _xsrf_hook(request)


_FORM = re.compile(r"<form[^>]*action=\"([^\"]*)\"[^>]*>(.*?)</form>", re.S | re.I)
_INPUT = re.compile(r"<input[^>]*>", re.I)
_ATTR = re.compile(r"(\w+)\s*=\s*\"([^\"]*)\"")


def login_form(html: str) -> tuple[str, dict[str, str]] | None:
    """(action, hidden fields) of the page's form that asks for a username, if any."""
    for action, body in _FORM.findall(html):
        fields: dict[str, str] = {}
        has_user = False
        for tag in _INPUT.findall(body):
            attrs = dict(_ATTR.findall(tag))
            if attrs.get("name") == "username":
                has_user = True
            elif attrs.get("type") == "hidden" and "name" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")
        if has_user:
            return action.replace("&amp;", "&"), fields
    return None


def _login_flow(client: httpx.Client, url: str, name: str, password: str) -> None:
    # next=hub/home: logging in must not start the user's server (redirect_to_server)
    page = client.get(f"{url}hub/login", params={"next": httpx.URL(url).path + "hub/home"})
    form = login_form(page.text) if page.status_code == 200 else None
    if form is not None:  # a login page: fill it in like a person would
        action, fields = form
        data = {**fields, "username": name, "password": password}
        xsrf = _xsrf_value(client.cookies)
        if xsrf and "_xsrf" not in data:
            data["_xsrf"] = xsrf
        page = client.post(urljoin(str(page.url), action or str(page.url)), data=data)
    who = client.get(f"{url}hub/api/user", headers={"Accept": "application/json"})
    if who.status_code != 200:
        raise HubfleetError(
            f"login as {name} failed: {page.request.method} {page.url.path} gave HTTP {page.status_code}, "
            f"then GET hub/api/user gave {who.status_code} (the authenticator refused?)"
        )


def async_login_client(sync_client: httpx.Client) -> httpx.AsyncClient:
    """The same browser session as an `httpx.AsyncClient` (cookies carried over)."""
    return httpx.AsyncClient(
        base_url=sync_client.base_url,
        cookies=sync_client.cookies,
        follow_redirects=True,
        timeout=sync_client.timeout,
        event_hooks={"request": [_xsrf_hook_async]},
    )
