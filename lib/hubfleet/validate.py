"""`invoke validate`: our files, rendered values against each chart's schema, secrets, policy.

Per-hub checks are pure given (layers, facts, chart schema); their results are
cached under `.hubfleet/cache/` by a digest of every input byte, and cold runs
fan out over both cores.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from filelock import FileLock

from . import __version__, chartschema, policy, yamlio
from .chartschema import ChartSchema
from .errors import HubfleetError, KeyPath, Problem
from .load import Fleet, layer_paths, parse_bytes
from .render import _layer_setting, compose, facts_for, hub_layers
from .source import state_dir

PARALLEL_FROM = 150  # below this, forking costs more than it saves


def validate_fleet(
    root: Path,
    fleet: Fleet,
    names: Sequence[str] | None = None,
    *,
    offline: bool = False,
    chart_schema: Callable[[Any], ChartSchema | None] | None = None,
) -> list[Problem]:
    """Every problem of the named hubs (default: all), errors and warnings, deduplicated."""
    selected = sorted(fleet.hubs) if names is None else list(names)
    for name in selected:
        if name not in fleet.hubs and name not in fleet.broken_hubs:
            fleet.hub(name)  # raises: unknown hub, with a hint
    problems = [p for p in fleet.problems if _concerns(p, fleet, selected, names is None)]
    checkable = [n for n in selected if n in fleet.hubs and n not in fleet.broken_hubs]
    problems += _layer_problems(fleet, checkable)

    schemas: dict[str, ChartSchema | None] = {}
    load_schema = chart_schema or (lambda chart: chart_schema_for(root, chart, offline=offline))
    for key in sorted({fleet.hubs[n].chart for n in checkable}):
        try:
            schemas[key] = load_schema(fleet.config.charts[key])
        except HubfleetError as e:
            problems.append(Problem("fleet.yaml", str(e), ("charts", key)))
            schemas[key] = None
        if schemas[key] is None and offline:
            problems.append(
                Problem(
                    "fleet.yaml",
                    "chart not in the cache (--offline): its values schema was not checked",
                    ("charts", key),
                    severity="warning",
                )
            )
    problems += _hub_problems(root, fleet, checkable, schemas)
    return list(dict.fromkeys(problems))


def chart_schema_for(root: Path, chart: Any, *, offline: bool) -> ChartSchema | None:
    from .charts import chart_meta

    meta = chart_meta(root, chart, offline=offline)
    if meta is None or meta.schema is None:
        return None
    return ChartSchema(meta.schema, meta.defaults, state_dir(root) / "cache")


def _concerns(p: Problem, fleet: Fleet, selected: list[str], everything: bool) -> bool:
    if everything or p.file == "fleet.yaml" or p.hub in selected:
        return True
    clusters = {fleet.hubs[n].cluster for n in selected if n in fleet.hubs}
    return any(p.file.startswith(f"hubs/{n}/") for n in selected) or any(
        p.file.startswith(f"clusters/{c}/") for c in clusters
    )


def _layer_problems(fleet: Fleet, names: list[str]) -> list[Problem]:
    """Secret-looking keys, once per distinct layer file (2000 hubs share one fleet layer)."""
    files = dict.fromkeys(p for n in names for p in layer_paths(fleet.hubs[n]))
    out = []
    for file in files:
        data = fleet.source.read(file)
        if data is None:
            continue
        try:
            layer = parse_bytes(data, file, allow_empty=True)
        except HubfleetError as e:
            out.extend(e.problems)
            continue
        found = policy.secret_key_problems(file, layer)
        out += [p.with_line(yamlio.locate(data, p.keypath)) for p in found]
    return out


# --- per hub: cached, parallel --------------------------------------------------------

_CTX: dict[str, Any] = {}  # set before forking; workers inherit it


def _hub_problems(
    root: Path, fleet: Fleet, names: list[str], schemas: dict[str, ChartSchema | None]
) -> list[Problem]:
    cache_file = state_dir(root) / "cache" / "validate.json"
    keys = {n: _digest(fleet, fleet.hubs[n], schemas) for n in names}
    cache = _read_cache(cache_file)
    todo = [n for n in names if cache.get(n, {}).get("key") != keys[n]]
    results: dict[str, list[Problem]] = {
        n: [Problem(**p) for p in cache[n]["problems"]] for n in names if n not in todo
    }
    _CTX.update(fleet=fleet, schemas=schemas)
    if len(todo) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        workers = min(os.cpu_count() or 2, 4)
        chunks = [todo[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            for part in pool.map(_check_many, chunks):
                results.update(part)
    else:
        results.update(_check_many(todo))
    if todo:
        for n in todo:
            cache[n] = {"key": keys[n], "problems": [asdict(p) for p in results[n]]}
        _write_cache(cache_file, {n: cache[n] for n in cache if n in fleet.hubs})
    return [p for n in names for p in results[n]]


def _check_many(names: list[str]) -> dict[str, list[Problem]]:
    fleet, schemas = _CTX["fleet"], _CTX["schemas"]
    return {n: check_hub(fleet, n, schemas.get(fleet.hubs[n].chart)) for n in names}


def check_hub(fleet: Fleet, name: str, schema: ChartSchema | None) -> list[Problem]:
    """Render, then chart schema, secrets and authenticator policy for one hub."""
    hub = fleet.hubs[name]
    layers = hub_layers(fleet, hub)
    try:
        values = compose(layers, facts_for(fleet, hub))
    except HubfleetError as e:
        return [_locate(fleet, p) for p in e.problems]

    def file_of(keypath: KeyPath) -> str:
        return _layer_setting(layers, keypath) if layers else f"hubs/{name}/values.yaml"

    out: list[Problem] = []
    if schema is not None:
        for e in schema.errors(values):
            file = file_of(_existing_prefix(layers, e.keypath))
            out.append(_locate(fleet, Problem(file, e.message, e.keypath, hub=name)))
    out += _secrets_problems(fleet, hub, values, schema)
    out += [_locate(fleet, p) for p in policy.auth_problems(hub, fleet.cluster_of(hub), values, file_of)]
    return out


def _secrets_problems(fleet: Fleet, hub: Any, values: dict, schema: ChartSchema | None) -> list[Problem]:
    from .secrets import is_encrypted

    file = f"hubs/{hub.name}/secrets.yaml"
    data = fleet.source.read(file)
    if data is None:
        return []
    try:
        doc = parse_bytes(data, file)
    except HubfleetError as e:
        return list(e.problems)
    if not is_encrypted(data):
        return [
            Problem(
                file,
                "is not sops-encrypted (a leaked secret?): encrypt it with "
                f"`sops --encrypt --in-place {file}` and rotate what it holds",
                hub=hub.name,
            )
        ]
    if schema is None:
        return []
    found = chartschema.secret_key_errors(schema, values, doc)
    return [_locate(fleet, Problem(file, e.message, e.keypath, hub=hub.name)) for e in found]


def _existing_prefix(layers: list[tuple[str, dict]], keypath: KeyPath) -> KeyPath:
    """The longest prefix of `keypath` some layer sets (an unknown key's own path may be set)."""
    for i in range(len(keypath), 0, -1):
        prefix = keypath[:i]
        for _, data in layers:
            node: Any = data
            for part in prefix:
                if isinstance(node, dict) and part in node:
                    node = node[part]
                elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                    node = node[part]
                else:
                    break
            else:
                return prefix
    return keypath


def _locate(fleet: Fleet, p: Problem) -> Problem:
    if p.line is not None or not p.keypath:
        return p
    data = fleet.source.read(p.file)
    return p.with_line(yamlio.locate(data, p.keypath)) if data else p


def _digest(fleet: Fleet, hub: Any, schemas: dict[str, ChartSchema | None]) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(__version__.encode())
    schema = schemas.get(hub.chart)
    h.update(schema.digest.encode() if schema is not None else b"-")
    cluster = fleet.clusters[hub.cluster]
    for path in (*layer_paths(hub), hub.file, cluster.file, f"hubs/{hub.name}/secrets.yaml"):
        data = fleet.source.read(path)
        h.update(path.encode() + b"\0" + (b"-" if data is None else data) + b"\0")
    return h.hexdigest()


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_cache(path: Path, cache: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache, separators=(",", ":")))
        tmp.replace(path)
