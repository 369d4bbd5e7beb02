"""The REST and kernel client of a running hub, and the health check over it, step by step.

Steps, each named when it fails: `hub` (GET /hub/health), `api` (the service token
works and has the scopes), `spawn` (a temporary user's server starts and is ready),
`kernel` (1+1 over the Jupyter kernel websocket gives 2), `cleanup` (server stopped,
user deleted; always attempted). REST with httpx, the kernel protocol with websockets.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from hubfleet.adapters import kernel
from hubfleet.adapters.runner import check_interrupted
from hubfleet.core.errors import HubfleetError
from hubfleet.core.secretlayers import HEALTH_SERVICE  # the service whose token runs the check

__all__ = [
    "HEALTH_SCOPES",
    "HEALTH_SERVICE",
    "STEPS",
    "HealthReport",
    "StepFailed",
    "check",
    "hub_url",
    "run_code",
]

STEPS = ("hub", "api", "spawn", "kernel", "cleanup")
USER_PREFIX = "hubfleet-health-"

# Enough for the health check and the pytest plugin: create/delete a user, start/stop
# its server (`servers` includes start:servers in JupyterHub 6), reach the server's API.
# A local hub grants exactly these (hubfleet.local.config); a remote hub's values must.
HEALTH_SCOPES = ("admin:users", "servers", "access:servers")


class StepFailed(Exception):
    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


@dataclass(frozen=True)
class HealthReport:
    ok: bool
    step: str  # the failing step, "" when healthy
    message: str
    durations: dict[str, float] = field(default_factory=dict)
    url: str = ""

    def summary(self) -> str:
        took = ", ".join(f"{k} {v:.1f}s" for k, v in self.durations.items())
        if self.ok:
            return f"healthy ({took})"
        return f"unhealthy: step `{self.step}` failed: {self.message}"


def check(
    url: str,
    token: str,
    *,
    timeout: float = 300,
    retries: int = 3,
    code: str = "1+1",
    expect: str = "2",
    verify: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    connect: Callable[..., Any] | None = None,
) -> HealthReport:
    """Run every step against the hub at `url` (ending in `/`, base URL included).

    `transport` (httpx) and `connect` (a websocket `connect`) replace the network, for a
    stand-in hub (`hubfleet.testing.standins.hub`); by default the real ones are used.
    """
    url = url if url.endswith("/") else url + "/"
    durations: dict[str, float] = {}
    user = USER_PREFIX + secrets.token_hex(4)
    headers = {"Authorization": f"token {token}"}
    failure: StepFailed | None = None
    with httpx.Client(
        base_url=url, headers=headers, timeout=min(30.0, timeout), **_net(verify, transport)
    ) as api:
        try:
            with _step("hub", durations):
                _retrying(lambda: _hub_health(api), retries, sleep)
            with _step("api", durations):
                _retrying(lambda: _token_scopes(api), retries, sleep)
            with _step("spawn", durations):
                create_user(api, user)
                start_server(api, user, timeout=timeout)
            with _step("kernel", durations):
                got = run_code(
                    url,
                    token,
                    user,
                    code,
                    timeout=min(120.0, timeout),
                    verify=verify,
                    transport=transport,
                    connect=connect,
                )
                if got != expect:
                    raise StepFailed("kernel", f"`{code}` gave {got!r}, expected {expect!r}")
        except StepFailed as e:
            failure = e
        if "spawn" in durations:  # a user may exist: always clean up
            try:
                with _step("cleanup", durations):
                    delete_user(api, user, timeout=min(120.0, timeout))
            except StepFailed as e:
                failure = failure or e
    if failure:
        return HealthReport(False, failure.step, failure.message, durations, url)
    return HealthReport(True, "", "healthy", durations, url)


def _net(verify: bool, transport: httpx.BaseTransport | None) -> dict[str, Any]:
    """httpx.Client options: a stand-in's transport only when given (the default is the network)."""
    return {"verify": verify, **({"transport": transport} if transport is not None else {})}


@contextmanager
def _step(name: str, durations: dict[str, float]) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    except StepFailed:
        raise
    except httpx.HTTPError as e:
        raise StepFailed(name, f"{type(e).__name__}: {e}") from None
    except HubfleetError as e:
        raise StepFailed(name, str(e)) from None
    finally:
        durations[name] = time.monotonic() - start


def _retrying(fn: Callable[[], Any], retries: int, sleep: Callable[[float], None]) -> Any:
    """Transient failures (connection refused, 5xx) get `retries` attempts, 1-2-4 s apart."""
    for attempt in range(max(1, retries)):
        check_interrupted()
        try:
            return fn()
        except (httpx.TransportError, _Transient) as e:
            if attempt == max(1, retries) - 1:
                raise HubfleetError(str(e) or type(e).__name__) from None
            sleep(min(2**attempt, 8))
    return None


class _Transient(Exception):
    pass


def _hub_health(api: httpx.Client) -> None:
    r = api.get("hub/health")
    if r.status_code >= 500:
        raise _Transient(f"GET hub/health: HTTP {r.status_code}")
    if r.status_code != 200:
        raise HubfleetError(f"GET hub/health: HTTP {r.status_code} (is {api.base_url} a JupyterHub?)")


def _token_scopes(api: httpx.Client) -> None:
    r = api.get("hub/api/user")
    if r.status_code >= 500:
        raise _Transient(f"GET hub/api/user: HTTP {r.status_code}")
    if r.status_code in (401, 403):
        raise HubfleetError(
            "the hubfleet-health token is not accepted: declare `hub.services.hubfleet-health` "
            "(apiToken in secrets.yaml) and `hub.loadRoles.hubfleet-health` in the hub's values"
        )
    r.raise_for_status()
    have = set(r.json().get("scopes") or [])
    missing = [s for s in HEALTH_SCOPES if not any(h == s or h.startswith(s + "!") for h in have)]
    if missing and "admin:servers" in have and missing == ["servers"]:
        missing = []  # admin:servers includes servers
    if missing:
        raise HubfleetError(
            f"the token lacks scopes {', '.join(missing)}: add them to hub.loadRoles.hubfleet-health.scopes"
        )


# --- users and servers (also the pytest plugin's helpers) -----------------------------------


def _ok(r: httpx.Response, what: str, allowed: tuple[int, ...] = ()) -> httpx.Response:
    if r.status_code < 400 or r.status_code in allowed:
        return r
    try:
        detail = r.json().get("message", "")
    except ValueError:
        detail = r.text[:200]
    raise HubfleetError(f"{what}: HTTP {r.status_code} {detail}".rstrip())


def create_user(api: httpx.Client, user: str) -> None:
    _ok(api.post(f"hub/api/users/{quote(user)}"), f"create user {user}", allowed=(409,))


def server_model(api: httpx.Client, user: str) -> dict[str, Any] | None:
    r = _ok(api.get(f"hub/api/users/{quote(user)}"), f"read user {user}")
    return (r.json().get("servers") or {}).get("")


def start_server(api: httpx.Client, user: str, *, timeout: float = 120) -> None:
    """Start the user's default server and wait until it is ready (or failed)."""
    r = api.post(f"hub/api/users/{quote(user)}/server")
    if r.status_code >= 500:  # the spawner raised within the hub's slow_spawn_timeout
        raise HubfleetError(f"the server of {user} failed to start: HTTP {r.status_code} (see the hub's log)")
    _ok(r, f"start server of {user}", allowed=(400,) if "already running" in r.text else ())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_interrupted()  # Ctrl-C in a rollout: stop waiting (the caller still cleans up)
        server = server_model(api, user)
        if server and server.get("ready"):
            return
        if not server or not server.get("pending"):
            raise HubfleetError(f"the server of {user} failed to start{_spawn_error(api, user)}")
        time.sleep(0.5)
    raise HubfleetError(f"the server of {user} was not ready after {timeout:g}s")


def _spawn_error(api: httpx.Client, user: str) -> str:
    return spawn_failure(api, f"hub/api/users/{quote(user)}/server/progress")


def spawn_failure(http: httpx.Client, progress: str) -> str:
    """The spawner's last word, from the progress stream (path `progress`) of a finished spawn:
    `: <message>`, or a pointer to the hub's log. The test harness's client says the same."""
    try:
        with http.stream("GET", progress, timeout=5) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event.get("failed"):
                        return f": {event.get('message', '')}"
    except (httpx.HTTPError, ValueError):
        pass
    return " (see the hub's log)"


def stop_server(api: httpx.Client, user: str, *, timeout: float = 60) -> None:
    r = _ok(api.delete(f"hub/api/users/{quote(user)}/server"), f"stop server of {user}", allowed=(400, 404))
    deadline = time.monotonic() + timeout
    while r.status_code == 202 and time.monotonic() < deadline:
        server = server_model(api, user)
        if not server:
            return
        time.sleep(0.3)


def delete_user(api: httpx.Client, user: str, *, timeout: float = 60) -> None:
    """Stop the server, delete the user: idempotent (a missing user is fine)."""
    if api.get(f"hub/api/users/{quote(user)}").status_code == 404:
        return
    stop_server(api, user, timeout=timeout)
    _ok(api.delete(f"hub/api/users/{quote(user)}"), f"delete user {user}", allowed=(404,))


# --- the kernel protocol ----------------------------------------------------------------


def run_code(
    url: str,
    token: str,
    user: str,
    code: str,
    *,
    timeout: float = 60,
    verify: bool = True,
    transport: httpx.BaseTransport | None = None,
    connect: Callable[..., Any] | None = None,
) -> str:
    """Start a kernel in the user's server, execute `code`, return `text/plain` of the result."""
    from websockets.exceptions import WebSocketException

    if connect is None:
        from websockets.sync.client import connect

    base = f"{url.rstrip('/')}/user/{quote(user)}/api/kernels"
    headers = {"Authorization": f"token {token}"}
    with httpx.Client(headers=headers, timeout=30, **_net(verify, transport)) as http:
        kernel = _ok(http.post(base, json={}), f"start a kernel in the server of {user}").json()["id"]
        try:
            ws_url = base.replace("http", "ws", 1) + f"/{kernel}/channels"
            try:
                with connect(ws_url, additional_headers=headers, open_timeout=30, max_size=2**24) as ws:
                    return _execute(ws, code, timeout)
            except (OSError, WebSocketException) as e:
                raise HubfleetError(f"kernel websocket {ws_url}: {type(e).__name__}: {e}") from None
        finally:
            http.delete(f"{base}/{kernel}")


def _execute(ws: Any, code: str, timeout: float) -> str:
    """The kernel protocol, with Ctrl-C looked at between receives (the kernel is still deleted)."""
    return kernel.execute(ws, code, timeout, check=check_interrupted)


def hub_url(port: int | None, values: Mapping[str, Any], *, host: str = "http://127.0.0.1") -> str:
    """The hub's public URL with its base URL (`hub.baseUrl`), ending in `/`."""
    base = "/".join(p for p in str((values.get("hub") or {}).get("baseUrl") or "/").split("/") if p)
    return f"{host}{f':{port}' if port else ''}/" + (f"{base}/" if base else "")
