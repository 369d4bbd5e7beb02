"""Fixtures that older component suites ask for by name and that their sources no longer give.

Not registered by the plugin (a suite imports what it needs in its conftest, where it used to
import them from JupyterHub's private `jupyterhub.tests.conftest`):

    from hubfleet.testing.compat import event_loop  # noqa

`event_loop` is the running test's loop. pytest-asyncio before 1.0 has its own `event_loop`
fixture, so there this name is None and theirs is used.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["event_loop"]

try:
    import pytest_asyncio
except ImportError:  # no pytest-asyncio: no event loop fixture to stand in for
    pytest_asyncio = None

event_loop: Any = None
if pytest_asyncio is not None and int(pytest_asyncio.__version__.split(".")[0]) >= 1:

    @pytest_asyncio.fixture
    async def event_loop() -> asyncio.AbstractEventLoop:  # type: ignore[no-redef]
        return asyncio.get_running_loop()
