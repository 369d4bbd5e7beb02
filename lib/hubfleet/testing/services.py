"""API tokens for a hub's services: JupyterHub's REST API makes user tokens only.

A service's token is written through JupyterHub's ORM (`orm.Service.new_api_token`, the
call JupyterHub itself makes for `api_token` in config): in the hub's own event loop for
an in-process hub, in its sqlite file for a hub in its own process. The hub looks tokens
up in the database on every request, so the token works at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hubfleet.core.errors import HubfleetError

from .launcher import Running


def _new_token(db: Any, service: str, scopes: Sequence[str] | None) -> str:
    from jupyterhub import orm

    found = orm.Service.find(db, service)
    if found is None:
        names = ", ".join(sorted(s.name for s in db.query(orm.Service)))
        raise HubfleetError(f"token(service={service!r}): no such service (this hub has: {names})")
    kwargs: dict[str, Any] = {"note": "hubfleet test token"}
    if scopes is not None:
        kwargs["scopes"] = list(scopes)
    try:
        token = found.new_api_token(**kwargs)
    except (ValueError, KeyError) as e:
        raise HubfleetError(f"token(service={service!r}): {e}") from None
    db.commit()
    return str(token)


def new_service_token(running: Running, service: str, scopes: Sequence[str] | None) -> str:
    if running.app is not None and running.loop is not None:

        async def in_loop() -> str:
            return _new_token(running.app.db, service, scopes)

        return running.loop.call(in_loop, timeout=30)
    if running.db_url:
        from jupyterhub import orm

        db = orm.new_session_factory(running.db_url)()
        try:
            return _new_token(db, service, scopes)
        finally:
            db.close()
    raise HubfleetError("token(service=...): this hub's database is not reachable from the test")
