"""A STAND-IN for a running JupyterHub (not JupyterHub): its REST API and one kernel, in memory.

For tests of the health check and of rollouts without a hub: hand `transport` and `connect`
to `hubfleet.adapters.hubapi.check` (or `hubfleet.app.health.health_for_hub`, which passes
them on). It answers the calls the health check makes, as JupyterHub 5 does: `/hub/health`,
`/hub/api/user` (the token's scopes), users and their default server (ready at once), the
server's kernels API, and the kernel websocket (`1+1` -> `2`: it evaluates nothing else).

    hub = HubStandin(token="t0ken")
    report = hubapi.check("https://hub.example.org/", "t0ken",
                          transport=hub.transport, connect=hub.connect)
    hub.requests       # [(method, host, path), ...]; hub.users: the users alive now

Only base dependencies (httpx); no process, no socket.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

__all__ = ["HubStandin"]

SCOPES = ("admin:users", "servers", "access:servers")


class HubStandin:
    """In-memory hub: records every request; `healthy=False` makes `/hub/health` answer 503."""

    def __init__(self, token: str, *, scopes: Iterable[str] = SCOPES, healthy: bool = True) -> None:
        self.token = token
        self.scopes = list(scopes)
        self.healthy = healthy
        self.requests: list[tuple[str, str, str]] = []
        self.users: dict[str, bool] = {}  # name -> server running
        self.kernels: set[str] = set()
        self.executed: list[str] = []
        self._lock = threading.Lock()
        self.transport = httpx.MockTransport(self._handle)

    # --- REST ---------------------------------------------------------------------------

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path)
        with self._lock:
            self.requests.append((request.method, request.url.host, path))
        if path.endswith("/hub/health"):
            return httpx.Response(200 if self.healthy else 503)
        if request.headers.get("Authorization") != f"token {self.token}":
            return httpx.Response(403, json={"message": "Forbidden"})
        if path.endswith("/hub/api/user"):
            return httpx.Response(200, json={"kind": "service", "scopes": self.scopes})
        if "/hub/api/users/" in path:
            return self._users(request.method, path.split("/hub/api/users/", 1)[1])
        if "/api/kernels" in path:
            return self._kernels(request.method, path.split("/api/kernels", 1)[1].strip("/"))
        return httpx.Response(404, json={"message": f"stand-in hub: no {request.method} {path}"})

    def _users(self, method: str, rest: str) -> httpx.Response:
        name, _, tail = rest.partition("/")
        with self._lock:
            if tail == "" and method == "POST":
                if name in self.users:
                    return httpx.Response(409, json={"message": "exists"})
                self.users[name] = False
                return httpx.Response(201, json={"name": name})
            if name not in self.users:
                return httpx.Response(404, json={"message": "no such user"})
            if tail == "" and method == "GET":
                running = self.users[name]
                servers = {"": {"ready": True, "pending": None}} if running else {}
                return httpx.Response(200, json={"name": name, "servers": servers})
            if tail == "" and method == "DELETE":
                del self.users[name]
                return httpx.Response(204)
            if tail == "server" and method in ("POST", "DELETE"):
                self.users[name] = method == "POST"
                return httpx.Response(201 if method == "POST" else 204)
        return httpx.Response(404, json={"message": f"stand-in hub: no {method} users/{rest}"})

    def _kernels(self, method: str, rest: str) -> httpx.Response:
        with self._lock:
            if method == "POST" and not rest:
                kernel = f"k{len(self.kernels) + 1}"
                self.kernels.add(kernel)
                return httpx.Response(201, json={"id": kernel})
            if method == "DELETE" and rest in self.kernels:
                self.kernels.discard(rest)
                return httpx.Response(204)
        return httpx.Response(404, json={"message": "no such kernel"})

    # --- the kernel websocket -------------------------------------------------------------

    def connect(self, url: str, **_: Any) -> _Kernel:
        """Stands in for `websockets.sync.client.connect` (a context manager of a socket)."""
        with self._lock:
            self.requests.append(("WS", urlsplit(url).hostname or "", urlsplit(url).path))
        return _Kernel(self)


class _Kernel:
    """One kernel channel: answers an execute_request of `1+1` the way ipykernel does."""

    def __init__(self, hub: HubStandin) -> None:
        self.hub = hub
        self.outbox: list[dict[str, Any]] = []

    def __enter__(self) -> _Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, text: str) -> None:
        msg = json.loads(text)
        code = msg["content"]["code"]
        self.hub.executed.append(code)
        parent = {"msg_id": msg["header"]["msg_id"]}
        result = "2" if code.replace(" ", "") == "1+1" else None
        if result is None:
            error = {
                "ename": "NotImplementedError",
                "evalue": f"the stand-in kernel runs only 1+1, not {code}",
            }
            self.outbox.append({"msg_type": "error", "content": error, "parent_header": parent})
        else:
            data = {"data": {"text/plain": result}}
            self.outbox.append({"msg_type": "execute_result", "content": data, "parent_header": parent})
        self.outbox.append(
            {"msg_type": "execute_reply", "content": {"status": "ok"}, "parent_header": parent}
        )
        state = {"execution_state": "idle"}
        self.outbox.append({"msg_type": "status", "content": state, "parent_header": parent})

    def recv(self, timeout: float | None = None) -> str:
        if not self.outbox:
            raise TimeoutError
        return json.dumps(self.outbox.pop(0))
