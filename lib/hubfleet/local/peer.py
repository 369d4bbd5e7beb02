"""A local hub's token goes only to that hub: every connection that may carry it is verified.

Any local user can bind a loopback port before configurable-http-proxy does (its port is in
`ps` and in the hub's values). So before a byte is sent, the far end of the very TCP
connection (the socket a process accepted it on) must be held by the hub hubfleet started
(its pid file proves it: `process.read_pid`) or one of that hub's descendants (its proxy).
A connection nobody of ours accepts within `ACCEPT_WAIT` is refused too: a process of
another user shows no pid here, so it cannot be told apart from nobody. Used for the
hub's start-up check (`launch`) and for the health check (`app.health`), HTTP and websocket.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from hubfleet.core.errors import HubfleetError
from hubfleet.local import process

__all__ = ["ACCEPT_WAIT", "NotOurHub", "client_options", "transport", "verify"]

ACCEPT_WAIT = 10.0  # seconds the proxy may take to accept a connection on a loaded machine


class NotOurHub(HubfleetError):
    """The far end of a connection is not the hub hubfleet started: nothing was sent."""


def verify(sock: socket.socket, state: Path, name: str) -> None:
    """Return only if the process holding the far end of `sock` is the hub in `state` or its
    descendant; else `NotOurHub` (the caller closes `sock` unused)."""
    here, there = _addr(sock.getsockname()), _addr(sock.getpeername())
    deadline = time.monotonic() + ACCEPT_WAIT
    while (owner := _far_end(here, there)) is None:
        if time.monotonic() > deadline:
            raise NotOurHub(
                f"hub {name}: no process of this hub accepted a connection to 127.0.0.1:{there[1]} "
                f"within {ACCEPT_WAIT:g}s (listening: {process.port_owner(there[1])}); "
                "the hub's token was not sent"
            )
        time.sleep(0.02)
    if not _of_hub(owner, state):
        raise NotOurHub(
            f"hub {name}: 127.0.0.1:{there[1]} is answered by {_who(owner)}, not by the hub hubfleet "
            f"started; the hub's token was not sent: stop that program and deploy again"
        )


def transport(state: Path, name: str) -> httpx.HTTPTransport:
    """An httpx transport whose every new connection is `verify`d before a request is written."""
    guarded = httpx.HTTPTransport()
    guarded._pool = httpcore.ConnectionPool(network_backend=_Verifying(state, name))  # httpx builds no other
    return guarded


def client_options(state: Path, name: str) -> dict[str, Any]:
    """`transport` and `connect` for `hubapi.check`: both verify the hub at every connection."""
    return {"transport": transport(state, name), "connect": _websocket(state, name)}


class _Verifying(httpcore.SyncBackend):
    def __init__(self, state: Path, name: str) -> None:
        self.state, self.name = state, name

    def connect_tcp(self, *args: Any, **kw: Any) -> httpcore.NetworkStream:
        stream = super().connect_tcp(*args, **kw)
        try:
            verify(stream.get_extra_info("socket"), self.state, self.name)
        except BaseException:
            stream.close()
            raise
        return stream


def _websocket(state: Path, name: str) -> Callable[..., Any]:
    """websockets' `connect` over a socket that was verified first."""

    def connect(uri: str, **kw: Any) -> Any:
        from websockets.sync.client import connect as ws_connect

        parts = urlsplit(uri)
        sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=kw.get("open_timeout"))
        try:
            verify(sock, state, name)
        except BaseException:
            sock.close()
            raise
        return ws_connect(uri, sock=sock, **kw)

    return connect


def _addr(sockaddr: tuple) -> tuple[str, int]:
    host = str(sockaddr[0])
    return (host.removeprefix("::ffff:"), int(sockaddr[1]))


def _far_end(here: tuple[str, int], there: tuple[str, int]) -> int | None:
    """The pid holding the socket that accepted the connection `here` -> `there`, once accepted
    (before, and for another user's process, the kernel names no owner we may see)."""
    psutil = process._psutil()
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.Error as e:  # macOS lets only root see sockets' owners
        raise NotOurHub(
            f"cannot see which process answers 127.0.0.1:{there[1]} ({type(e).__name__}): "
            "the hub's token was not sent"
        ) from None
    for conn in conns:
        if conn.pid and conn.laddr and conn.raddr and (_addr(conn.laddr), _addr(conn.raddr)) == (there, here):
            return int(conn.pid)
    return None


def _of_hub(pid: int, state: Path) -> bool:
    """`pid` is the hub in `state` (as its pid file proves) or a descendant of it."""
    psutil = process._psutil()
    hub = process.read_pid(state / "hub.pid")
    if hub is None:
        return False
    try:
        return pid == hub or any(p.pid == hub for p in psutil.Process(pid).parents())
    except psutil.Error:
        return False


def _who(pid: int) -> str:
    psutil = process._psutil()
    try:
        return f"pid {pid} ({psutil.Process(pid).name()})"
    except psutil.Error:
        return f"pid {pid}"
