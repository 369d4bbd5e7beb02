"""Fan per-hub work over the cores with fork: workers inherit the loaded fleet, nothing is pickled in.

Results come back pickled, so work functions return plain data (Problems, Rendered).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 150  # below this, forking costs more than it saves
_CONTEXT: dict[str, Any] = {}


def context() -> dict[str, Any]:
    """What the caller of `chunked_map` handed to its workers."""
    return _CONTEXT


def chunked_map(
    fn: Callable[[list[T]], R], items: Sequence[T], ctx: Mapping[str, Any], *, min_items: int | None = None
) -> list[R]:
    """`fn` over interleaved chunks of `items`: in forked workers when worth it, else in-process."""
    _CONTEXT.clear()
    _CONTEXT.update(ctx)
    workers = min(os.cpu_count() or 1, 4)
    if len(items) < (PARALLEL_FROM if min_items is None else min_items) or workers < 2:
        return [fn(list(items))]
    chunks = [list(items[i::workers]) for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        return list(pool.map(fn, chunks))
