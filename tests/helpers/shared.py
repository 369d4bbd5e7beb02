"""Where ../shared is (the real charts, CI lays it beside the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path | None:
    """`../shared` beside the checkout (CI lays it there), or $HUBFLEET_SHARED.

    Import it from here, never `from conftest import`: under pytest's default import mode the
    module named `conftest` is whichever conftest.py was collected last (tests/ports/*/ too)."""
    env = os.environ.get("HUBFLEET_SHARED")
    candidate = Path(env) if env else REPO.parent / "shared"
    return candidate if (candidate / "charts").is_dir() else None
