"""The fork pool: workers see the caller's context as it is (not pickled), errors come back raised."""

from __future__ import annotations

import os
import threading

import pytest

from hubfleet.adapters import parallel


def _pids_and_items(chunk, ctx):
    return os.getpid(), [ctx["scale"] * x for x in chunk], ctx["lock"] is LOCK


LOCK = threading.Lock()  # not picklable: proves the context is inherited by fork, not pickled


def test_chunks_run_in_forked_workers_with_the_inherited_context():
    items = list(range(20))
    parts = parallel.chunked_map(_pids_and_items, items, {"scale": 3, "lock": LOCK}, min_items=2)
    assert len(parts) == min(os.cpu_count() or 1, parallel.MAX_WORKERS)
    if len(parts) > 1:
        assert os.getpid() not in {pid for pid, _, _ in parts}
    assert sorted(x for _, chunk, _ in parts for x in chunk) == [3 * x for x in items]
    assert all(same for _, _, same in parts)


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
