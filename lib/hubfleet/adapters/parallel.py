"""Fan per-hub work over the cores with fork: workers inherit the loaded fleet, nothing is pickled in.

`chunked_map(fn, items, ctx)` calls `fn(chunk, ctx)` on interleaved chunks of `items`, each in a
forked process that inherits `ctx` (a loaded fleet, compiled schemas) as the parent holds it: no
module state, no pickling of the context. Results come back pickled through a pipe, so work
functions return plain data (Problems, Rendered).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any, TypeVar

__all__ = ["PARALLEL_FROM", "chunked_map"]

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 150  # below this, forking costs more than it saves (a constant; tests may patch it)
MAX_WORKERS = 4


def chunked_map(
    fn: Callable[[list[T], Mapping[str, Any]], R],
    items: Sequence[T],
    ctx: Mapping[str, Any],
    *,
    min_items: int | None = None,
) -> list[R]:
    """`fn(chunk, ctx)` over interleaved chunks of `items`: in forked workers when worth it, else here."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(items) < (PARALLEL_FROM if min_items is None else min_items) or workers < 2:
        return [fn(list(items), ctx)]
    fork = get_context("fork")
    started = []
    try:
        for i in range(workers):
            receive, send = fork.Pipe(duplex=False)
            proc = fork.Process(target=_work, args=(fn, list(items[i::workers]), ctx, send), daemon=True)
            proc.start()
            send.close()  # the child holds its own end
            started.append((proc, receive))
        results = []
        for proc, receive in started:
            try:
                ok, value = receive.recv()
            except EOFError:
                raise RuntimeError(
                    f"a worker process died (exit code {proc.join() or proc.exitcode})"
                ) from None
            if not ok:
                raise value
            results.append(value)
        return results
    finally:
        for proc, receive in started:
            receive.close()
            if proc.is_alive():
                proc.terminate()
            proc.join()


def _work(
    fn: Callable[[list[Any], Mapping[str, Any]], Any],
    chunk: list[Any],
    ctx: Mapping[str, Any],
    send: Connection,
) -> None:
    """In the forked child: run, send (ok, result) or (False, exception) back, exit."""
    try:
        send.send((True, fn(chunk, ctx)))
    except BaseException as e:  # handed to the parent, which raises it
        send.send((False, e))
    finally:
        send.close()
