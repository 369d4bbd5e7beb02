"""The Jupyter kernel protocol over one websocket channel: execute code, read its result.

One implementation for the health check (`adapters.hubapi`) and the test hubs
(`testing.client`). Done when both the shell's `execute_reply` and the kernel's return to
`idle` arrived (in either order), so a statement or a `None` result answers at once
instead of waiting out the timeout.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from hubfleet.core.errors import HubfleetError

__all__ = ["execute", "execute_request"]

POLL = 0.5  # seconds one receive blocks before `check` and the deadline are looked at again


def execute(
    ws: Any,
    code: str,
    timeout: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    check: Callable[[], None] = lambda: None,
) -> str:
    """Send an execute_request; the `text/plain` result, `"None"` when the code gives none.

    `check` runs between receives (the rollout's Ctrl-C check raises there).
    """
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps(execute_request(msg_id, code)))
    deadline = clock() + timeout
    result: str | None = None
    replied = idle = False
    while clock() < deadline:
        check()
        try:
            raw = ws.recv(timeout=max(0.05, min(POLL, deadline - clock())))
        except TimeoutError:
            continue  # no message yet: look at `check` and the deadline again
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg.get("msg_type"), msg.get("content", {})
        if kind == "execute_result":
            result = content.get("data", {}).get("text/plain")
        elif kind == "error":
            raise HubfleetError(f"`{code}` raised {content.get('ename')}: {content.get('evalue')}")
        elif kind == "execute_reply":
            if content.get("status") != "ok":
                raise HubfleetError(f"`{code}`: execute_reply status {content.get('status')}")
            replied = True
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True
        if replied and idle:
            return "None" if result is None else result
    raise HubfleetError(f"no answer to `{code}` within {timeout:g}s (the kernel did not reply)")


def execute_request(msg_id: str, code: str) -> dict[str, Any]:
    """A Jupyter messaging 5.3 execute_request on the shell channel."""
    return {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "hubfleet",
            "session": uuid.uuid4().hex,
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "channel": "shell",
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "buffers": [],
    }
