"""`invoke validate` of the working tree, whole: one walk of the fleet, and a whole run reused.

A run's result depends on the fleet's files, the charts' schemas and defaults, git's HEAD and
origin/main (the downgrade check's base), and hubfleet's own code and trait catalogues. The
walk (`Snapshot`) reads every file once and serves the run from memory; when every input is as
it was for a stored run, that run's problems are the answer and no fleet is loaded at all.
A chart is recorded as the run met it and checked again on reuse (its cache may have changed).
Anything the walk could not vouch for (a symlink, a special file, a read outside it) means no
whole-run reuse: the per-hub cache (`app.validate`) still applies.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hubfleet.adapters import gitrefs
from hubfleet.adapters.snapshot import Snapshot
from hubfleet.adapters.source import state_dir
from hubfleet.app.load import load_fleet
from hubfleet.app.validate import (
    cached_problem,
    chart_schema_for,
    code_digest,
    read_cache,
    validate_fleet,
    write_cache,
)
from hubfleet.core.chartschema import ChartSchema
from hubfleet.core.errors import HubfleetError, Problem
from hubfleet.core.model import Chart, Fleet

__all__ = ["Checked", "validate_tree"]

KEEP_RUNS = 8  # stored runs: `--hub` runs and the whole fleet's, a few branches' worth


@dataclass
class Checked:
    problems: list[Problem]
    hubs: int  # hubs checked
    support: int  # support releases checked (0 for `--hub`)
    fleet: Fleet | None  # the loaded fleet; None when a stored run answered


def validate_tree(
    root: Path, names: Sequence[str] | None = None, *, offline: bool = False, rendered: bool = True
) -> Checked:
    """Validate the fleet at `root` (default: every hub), reusing a stored run when nothing changed;
    `rendered`: whether stale rendered files are errors (the bench measures the check's cost)."""
    with _no_cycle_collection():
        return _validate_tree(root, names, offline, rendered)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A run makes millions of objects and next to no cycles: the collector's passes over them
    cost ~0.15 s in each process (forked workers inherit the setting) for nothing. Its survivors
    then go straight to the oldest generation (freeze, unfreeze), not through a young-generation
    pass over all of them once collection is back on. (The CLI's task runner also skips the pass
    at interpreter exit: `hubfleet.cli.tasks`.)"""
    was = gc.isenabled()
    was_frozen = gc.get_freeze_count() > 0  # then the survivors join the caller's freeze
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if not was_frozen:
            gc.unfreeze()
        if was:
            gc.enable()


def _validate_tree(root: Path, names: Sequence[str] | None, offline: bool, rendered: bool) -> Checked:
    snap = Snapshot.take(root)
    key = _run_key(root, snap, names, offline, rendered)
    cache_file = state_dir(root) / "cache" / "runs.json"
    runs = read_cache(cache_file) if key else {}
    hit = runs.get(key) if key else None
    if hit is not None and _charts_unchanged(root, hit["charts"], offline):
        return Checked([cached_problem(p) for p in hit["problems"]], hit["hubs"], hit["support"], None)

    fleet = load_fleet(snap)
    met: list[tuple[dict[str, Any], str | None]] = []
    failed: list[Chart] = []

    def load_schema(chart: Chart) -> ChartSchema | None:
        try:
            schema = chart_schema_for(root, chart, offline=offline)
        except HubfleetError:
            failed.append(chart)  # perhaps the network: not a result to keep
            raise
        met.append((asdict(chart), schema.digest if schema is not None else None))
        return schema

    problems = validate_fleet(
        root, fleet, names, offline=offline, chart_schema=load_schema, rendered=rendered
    )
    checked = Checked(
        problems,
        len(names) if names is not None else len(fleet.hub_names),
        len(fleet.support_targets()) if names is None else 0,
        fleet,
    )
    if key and not failed and snap.digest is not None:  # still nothing read past the walk
        runs.pop(key, None)
        runs[key] = {
            "problems": [asdict(p) for p in problems],
            "hubs": checked.hubs,
            "support": checked.support,
            "charts": met,
        }
        write_cache(cache_file, dict(list(runs.items())[-KEEP_RUNS:]))
    return checked


def _run_key(
    root: Path, snap: Snapshot, names: Sequence[str] | None, offline: bool, rendered: bool
) -> str | None:
    tree = snap.digest
    if tree is None:
        return None
    from hubfleet.adapters import traitdata

    refs = gitrefs.head_and_upstream(root)
    h = hashlib.blake2b(digest_size=20)
    for part in (
        code_digest(),
        traitdata.digest(),
        tree.encode(),
        repr((refs, None if names is None else tuple(names), offline, rendered)).encode(),
    ):
        h.update(part + b"\0")
    return h.hexdigest()


def _charts_unchanged(root: Path, charts: list[list[Any]], offline: bool) -> bool:
    for fields, digest in charts:
        try:
            schema = chart_schema_for(root, Chart(**fields), offline=offline)
        except HubfleetError:
            return False
        if (schema.digest if schema is not None else None) != digest:
            return False
    return True
