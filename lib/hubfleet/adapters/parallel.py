"""Fan per-hub work over the cores with fork: workers inherit the loaded fleet, nothing is pickled in.

`chunked_map(fn, items, ctx)` calls `fn(chunk, ctx)` on interleaved chunks of `items`. Forked
workers inherit `ctx` (a loaded fleet, schemas) as the parent holds it: no module state, no
pickling of the context. The parent works too: it starts one worker fewer than there are cores,
runs `before()` (its own serial work, which so overlaps the workers' first chunks), then takes
chunks like any worker. Chunks are handed out by a shared counter, so whoever is free takes the
next one and nobody waits on a slow share. Results come back pickled through a pipe, so work
functions return plain data (Problems, Rendered), in chunk order whoever ran them.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # multiprocessing costs ~20 ms to import: a run that forks nothing never needs it
    from multiprocessing.connection import Connection

__all__ = ["PARALLEL_FROM", "chunked_map"]

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 150  # below this, forking costs more than it saves (a constant; tests may patch it)
MAX_WORKERS = 4  # processes in all, the parent included
CHUNKS_PER_WORKER = 8  # small enough to even out, large enough that taking one costs nothing


def chunked_map(
    fn: Callable[[list[T], Mapping[str, Any]], R],
    items: Sequence[T],
    ctx: Mapping[str, Any],
    *,
    min_items: int | None = None,
    before: Callable[[], None] | None = None,
) -> list[R]:
    """`fn(chunk, ctx)` over interleaved chunks of `items`, in forked workers and here when worth
    it, else here in one chunk; `before()` runs here first either way, while the workers start."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(items) < (PARALLEL_FROM if min_items is None else min_items) or workers < 2:
        if before is not None:
            before()
        return [fn(list(items), ctx)]
    count = min(len(items), workers * CHUNKS_PER_WORKER)
    chunks = [list(items[i::count]) for i in range(count)]
    from multiprocessing import get_context

    fork = get_context("fork")
    counter = fork.Value("i", 0)
    was_frozen = gc.get_freeze_count() > 0  # a caller's freeze stays (hubfleet.cli.tasks)
    gc.freeze()  # the inherited heap stays out of the workers' collections (no copy-on-write)
    started: list[tuple[Any, Connection]] = []
    try:
        for _ in range(workers - 1):
            receive, send = fork.Pipe(duplex=False)
            proc = fork.Process(target=_work, args=(fn, chunks, ctx, counter, send), daemon=True)
            proc.start()
            send.close()  # the child holds its own end
            started.append((proc, receive))
        if not was_frozen:
            gc.unfreeze()
        if before is not None:
            before()
        done = dict(_take(fn, chunks, ctx, counter))
        for proc, receive in started:
            try:
                ok, value = receive.recv()
            except EOFError:
                raise RuntimeError(
                    f"a worker process died (exit code {proc.join() or proc.exitcode})"
                ) from None
            if not ok:
                raise value
            done.update(value)
        return [done[i] for i in range(count)]
    finally:
        if not was_frozen:
            gc.unfreeze()
        with counter.get_lock():
            counter.value = count  # a worker still going takes no further chunk
        for proc, receive in started:
            receive.close()
            if proc.is_alive():
                proc.terminate()
            proc.join()


def _take(
    fn: Callable[[list[Any], Mapping[str, Any]], Any],
    chunks: list[list[Any]],
    ctx: Mapping[str, Any],
    counter: Any,
) -> list[tuple[int, Any]]:
    """Run the next free chunk until none is left: (chunk index, result) of each run here."""
    out = []
    while True:
        with counter.get_lock():
            i = counter.value
            if i >= len(chunks):
                return out
            counter.value = i + 1
        out.append((i, fn(chunks[i], ctx)))


def _work(
    fn: Callable[[list[Any], Mapping[str, Any]], Any],
    chunks: list[list[Any]],
    ctx: Mapping[str, Any],
    counter: Any,
    send: Connection,
) -> None:
    """In the forked child: take chunks, send (ok, results) or (False, exception) back, exit."""
    try:
        send.send((True, _take(fn, chunks, ctx, counter)))
    except BaseException as e:  # handed to the parent, which raises it
        send.send((False, e))
    finally:
        send.close()
