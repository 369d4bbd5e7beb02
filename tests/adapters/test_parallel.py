"""The fork pool: workers see the caller's context as it is (not pickled), errors come back raised."""

from __future__ import annotations

import os
import threading
import time

import pytest

from hubfleet.adapters import parallel


def _pids_and_items(chunk, ctx):
    time.sleep(0.02)  # long enough that the parent and its worker both take chunks
    return os.getpid(), [ctx["scale"] * x for x in chunk], ctx["lock"] is LOCK


LOCK = threading.Lock()  # not picklable: proves the context is inherited by fork, not pickled


def test_chunks_run_in_forked_workers_and_here_with_the_inherited_context():
    items = list(range(40))
    parts = parallel.chunked_map(_pids_and_items, items, {"scale": 3, "lock": LOCK}, min_items=2)
    workers = min(os.cpu_count() or 1, parallel.MAX_WORKERS)
    count = min(len(items), workers * parallel.CHUNKS_PER_WORKER) if workers > 1 else 1
    assert len(parts) == count
    # in chunk order, whoever ran them: chunk i is items[i::count]
    assert [chunk for _, chunk, _ in parts] == [[3 * x for x in items[i::count]] for i in range(count)]
    assert all(same for _, _, same in parts)
    pids = {pid for pid, _, _ in parts}
    if workers > 1:
        assert os.getpid() in pids and len(pids) == workers


def test_before_runs_here_while_the_workers_start():
    seen = []
    parts = parallel.chunked_map(
        _pids_and_items,
        list(range(40)),
        {"scale": 1, "lock": LOCK},
        min_items=2,
        before=lambda: seen.append(os.getpid()),
    )
    assert seen == [os.getpid()]
    assert sorted(x for _, chunk, _ in parts for x in chunk) == list(range(40))


def test_small_inputs_run_here():
    ((pid, chunk, _),) = parallel.chunked_map(_pids_and_items, [1, 2], {"scale": 1, "lock": LOCK})
    assert pid == os.getpid() and chunk == [1, 2]


def _fail_on_7(chunk, ctx):
    if 7 in chunk:
        raise ValueError("seven")
    return chunk


def test_a_workers_exception_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="seven"):
        parallel.chunked_map(_fail_on_7, list(range(20)), {}, min_items=2)


def test_no_module_level_state():
    assert not [
        k for k, v in vars(parallel).items() if isinstance(v, dict | list | set) and not k.startswith("__")
    ]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no workers are forked")
def test_a_callers_gc_freeze_survives_the_pool():
    import gc

    gc.freeze()  # as hubfleet's task runner does after a command, before the next one
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        parallel.chunked_map(_pids_and_items, list(range(12)), {"scale": 1, "lock": LOCK}, min_items=2)
        assert (
            gc.get_freeze_count() > frozen // 2
        )  # an unfreeze would leave 0 (objects freed meanwhile leave it)
    finally:
        gc.unfreeze()


def test_a_callers_gc_freeze_survives_a_validate_run():
    import gc

    from hubfleet.app.validaterun import _no_cycle_collection

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with _no_cycle_collection():
            made = [[i] for i in range(100)]
        assert made and gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()
