"""`invoke validate`: our files, rendered values against each chart's schema, secrets, policy.

Per-hub checks are pure given (layers, facts, chart schema); their results are
cached under `.hubfleet/cache/` by a digest of every input byte, and cold runs
fan out over both cores.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from hubfleet.adapters import parallel, yamlio
from hubfleet.adapters.snapshot import Snapshot
from hubfleet.adapters.source import Source, state_dir
from hubfleet.app import traitcheck
from hubfleet.app.freshness import RECORD, Freshness
from hubfleet.app.load import changed_hubs, cross_file_problems, layer_paths, located, parse_bytes
from hubfleet.app.render import hub_layers
from hubfleet.core import paths, policy, secretlayers
from hubfleet.core.chartschema import ChartSchema
from hubfleet.core.compose import compose, facts_for, layer_setting
from hubfleet.core.errors import HubfleetError, KeyPath, Problem, format_keypath
from hubfleet.core.model import Fleet, Hub
from hubfleet.core.resolve import scan
from hubfleet.core.secretlayers import HEALTH_SERVICE
from hubfleet.core.tree import coalesce, merge, sets


def validate_fleet(
    root: Path,
    fleet: Fleet,
    names: Sequence[str] | None = None,
    *,
    offline: bool = False,
    chart_schema: Callable[[Any], ChartSchema | None] | None = None,
    rendered: bool = True,
) -> list[Problem]:
    """Every problem of the named hubs (default: all), errors and warnings, deduplicated;
    `rendered`: whether each rendered file must be what `invoke render` writes now."""
    selected = sorted(fleet.hubs) if names is None else list(names)
    for name in selected:
        if name not in fleet.hubs and name not in fleet.broken_hubs:
            fleet.hub(name)  # raises: unknown hub, with a hint
    problems = [p for p in fleet.problems if _concerns(p, fleet, selected, names is None)]
    if names is not None:
        problems = _cross_file_for(fleet, selected, problems)
    checkable = [n for n in selected if n in fleet.hubs and n not in fleet.broken_hubs]
    digests = FileDigests(fleet.source)  # every file read and hashed once per run
    layers = _Layers.start(root, fleet, checkable, digests)
    fresh = Freshness(fleet.source, load_record(root), digests.of, code_digest()) if rendered else None

    load_schema = chart_schema or (lambda chart: chart_schema_for(root, chart, offline=offline))
    support = fleet.support_targets() if names is None else []  # `--hub H` checks that hub only
    keys = {fleet.hubs[n].chart for n in checkable} | {t.release.chart for t in support}
    schemas, chart_problems = _load_schemas(fleet, sorted(keys), load_schema, offline)
    support_problems: list[Problem] = []

    def parents_share() -> None:
        """The parent's own serial work, done while the first workers check hubs."""
        layers.check_shared(fleet)
        if names is None:
            from hubfleet.app.support import validate_support

            support_problems.extend(validate_support(fleet, support, schemas, fresh))

    hub_problems = _hub_problems(root, fleet, checkable, schemas, layers, digests, parents_share, fresh)
    if fresh is not None:
        everything = [paths.hub(n).rendered for n in fleet.hubs] + [
            paths.support(t.cluster, t.name).rendered for t in fleet.support_targets()
        ]
        save_record(root, fresh.take(), keep=everything)
    chart_problems += _downgrades(root, fleet, selected, names is None)
    problems += layers.finish(fleet) + located(chart_problems, fleet.source) + hub_problems
    return list(dict.fromkeys(problems + support_problems))


def _load_schemas(
    fleet: Fleet, keys: Sequence[str], load_schema: Callable[[Any], ChartSchema | None], offline: bool
) -> tuple[dict[str, ChartSchema | None], list[Problem]]:
    """Each chart's schema and defaults, once; a chart that cannot be read is a located problem."""
    schemas: dict[str, ChartSchema | None] = {}
    problems: list[Problem] = []
    for key in keys:
        try:
            schemas[key] = load_schema(fleet.config.charts[key])
        except HubfleetError as e:
            problems += e.problems or [Problem("fleet.yaml", str(e), ("charts", key))]
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
    return schemas, problems


def deep_problems(
    root: Path,
    fleet: Fleet,
    names: Sequence[str] | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> list[Problem]:
    """`--deep`: `helm template` each hub (both cores: helm runs outside the GIL) and check manifests;
    `on_done(done, total)` after each hub (progress)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from hubfleet.app import deep

    selected = [n for n in (names or sorted(fleet.hubs)) if n not in fleet.broken_hubs]
    found: dict[str, list[Problem]] = {}
    with ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
        futures = {pool.submit(_deep_one, root, fleet, n, deep.deep_check): n for n in selected}
        for done, future in enumerate(as_completed(futures), 1):
            found[futures[future]] = future.result()
            if on_done is not None:
                on_done(done, len(selected))
    return [p for n in selected for p in found[n]]


def _deep_one(root: Path, fleet: Fleet, name: str, deep_check: Callable[..., list[Problem]]) -> list[Problem]:
    try:
        return deep_check(root, fleet, name)
    except HubfleetError as e:
        return list(e.problems) or [Problem(paths.hub(name).hub_yaml, f"--deep: {e}", hub=name)]


def chart_schema_for(root: Path, chart: Any, *, offline: bool) -> ChartSchema | None:
    from hubfleet.adapters.charts import chart_meta

    meta = chart_meta(root, chart, offline=offline)
    if meta is None:
        return None  # offline and not cached
    cache = state_dir(root) / "cache"
    subs = [(sub.key, sub.condition, ChartSchema(sub.schema, sub.defaults, cache)) for sub in meta.subcharts]
    charts = [((), meta.name, meta.version)] + [
        ((key,), name, version) for key, name, version in meta.dependencies
    ]
    return ChartSchema(meta.schema, meta.defaults, cache, subs, charts=charts)


def _downgrades(root: Path, fleet: Fleet, selected: list[str], everything: bool) -> list[Problem]:
    from hubfleet.app.chartbase import downgrade_problems

    found = downgrade_problems(root, fleet)
    used = {fleet.hubs[n].chart for n in selected if n in fleet.hubs}
    return [
        p
        for p in found
        if everything or p.hub in selected or (p.keypath[:1] == ("charts",) and p.keypath[1] in used)
    ]


def _cross_file_for(fleet: Fleet, selected: list[str], problems: list[Problem]) -> list[Problem]:
    """The rules between files, judged with the selected hubs last: a hub copied with an existing
    domain (namespace, local port) is told so in its own hub.yaml, whatever the names' order."""
    newcomers = lambda: changed_hubs(fleet.source)  # noqa: E731 - as load_fleet judged them
    whole = set(
        located(cross_file_problems(fleet.config, fleet.clusters, fleet.hubs, newcomers), fleet.source)
    )
    last = {n: h for n, h in fleet.hubs.items() if n not in selected} | {
        n: fleet.hubs[n] for n in selected if n in fleet.hubs
    }
    mine = located(cross_file_problems(fleet.config, fleet.clusters, last), fleet.source)
    return [p for p in problems if p not in whole] + [p for p in mine if p.hub in selected]


def _concerns(p: Problem, fleet: Fleet, selected: list[str], everything: bool) -> bool:
    if everything or p.file == paths.FLEET_FILE or p.hub in selected:
        return True
    clusters = {fleet.hubs[n].cluster for n in selected if n in fleet.hubs}
    return any(paths.hub(n).owns(p.file) for n in selected) or any(
        p.file.startswith(paths.cluster(c).folder + "/") for c in clusters
    )


@dataclass
class _Layers:
    """Secret-looking keys, once per distinct layer file (2000 hubs share one fleet layer).

    Cached by each file's bytes, so a warm run parses no layer. On a cold run the
    parent checks the shared layers; a hub's own layer is checked by the worker that
    checks the hub (it parses that file anyway), so the parsing uses every core.
    """

    cache_file: Path
    cache: dict[str, Any]
    keys: dict[str, str]  # existing layer files, in order -> digest of their bytes
    todo: set[str]  # files whose entry is missing or stale
    shared_todo: list[str]  # the stale ones that are no hub's own layer: checked by the parent

    @classmethod
    def start(cls, root: Path, fleet: Fleet, names: list[str], digests: FileDigests) -> _Layers:
        cache_file = state_dir(root) / "cache" / "layers.json"
        cache = read_cache(cache_file)
        keys: dict[str, str] = {}
        for file in dict.fromkeys(p for n in names for p in layer_paths(fleet.hubs[n])):
            # An unreadable layer (a folder, a dangling symlink) is each hub's own problem (check_hub).
            digest = digests.of(file)
            if digest.startswith(_CONTENT):
                keys[file] = hashlib.blake2b(code_digest() + b"\0" + digest, digest_size=20).hexdigest()
        todo = {f for f, key in keys.items() if cache.get(f, {}).get("key") != key}
        own = {layer_paths(fleet.hubs[n])[-1] for n in names}
        return cls(cache_file, cache, keys, todo, sorted(todo - own))

    def check_shared(self, fleet: Fleet) -> None:
        """Check the stale shared layers (fleet, clusters): each once, here."""
        for file in self.shared_todo:
            self.add(file, _one_layer(file, fleet.source.read(file) or b""))

    def add(self, file: str, problems: list[Problem]) -> None:
        self.cache[file] = {"key": self.keys[file], "problems": [asdict(p) for p in problems]}

    def finish(self, fleet: Fleet) -> list[Problem]:
        """Check what no worker did, save the cache, and return every problem in file order."""
        for file in self.todo:
            if self.cache.get(file, {}).get("key") != self.keys[file]:
                self.add(file, _one_layer(file, fleet.source.read(file) or b""))
        if self.todo:
            known = {p for h in fleet.hubs.values() for p in layer_paths(h)}
            write_cache(self.cache_file, {f: e for f, e in self.cache.items() if f in known})
        return [cached_problem(p) for f in self.keys for p in self.cache[f]["problems"]]


def _one_layer(file: str, data: bytes) -> list[Problem]:
    try:
        layer = parse_bytes(data, file, allow_empty=True)
    except HubfleetError as e:
        return list(e.problems)
    found = policy.secret_key_problems(file, layer)
    return [p.with_line(yamlio.locate(data, p.keypath)) for p in found]


def cached_problem(fields: dict[str, Any]) -> Problem:
    """A Problem back from JSON: its key path was a tuple (hashable), JSON made it a list."""
    return Problem(**{**fields, "keypath": tuple(fields.get("keypath") or ())})


# --- per hub: cached, parallel --------------------------------------------------------


def _hub_problems(
    root: Path,
    fleet: Fleet,
    names: list[str],
    schemas: dict[str, ChartSchema | None],
    layers: _Layers,
    digests: FileDigests,
    parents_share: Callable[[], None],
    fresh: Freshness | None,
) -> list[Problem]:
    cache_file = state_dir(root) / "cache" / "validate.json"
    cache = read_cache(cache_file)
    keys: dict[str, str] = {}

    def make_keys() -> None:
        keys.update((n, _digest(fleet, fleet.hubs[n], schemas, digests, fresh is not None)) for n in names)

    if cache:
        make_keys()
        todo = [n for n in names if cache.get(n, {}).get("key") != keys[n] or "claims" not in cache[n]]
    else:  # nothing cached: every hub is checked, and its key is made while the workers start
        todo = list(names)
    done = set(names).difference(todo)
    results: dict[str, list[Problem]] = {n: [cached_problem(p) for p in cache[n]["problems"]] for n in done}
    claims: dict[str, list[list[Any]]] = {n: cache[n]["claims"] for n in done}
    if todo:  # parsed once here, the shared layers reach every worker parsed
        for file in dict.fromkeys(f for n in todo for f in layer_paths(fleet.hubs[n])[:-1]):
            _parse_quietly(fleet, file)
    compiled = {schemas.get(fleet.hubs[n].chart) for n in todo} - {None}

    def before() -> None:  # a worker compiles what it needs itself, meanwhile
        if not keys:
            make_keys()
        for schema in compiled:
            schema.compile()
        parents_share()

    own_layers: dict[str, list[Problem]] = {}
    ctx = {"fleet": fleet, "schemas": schemas, "layer_todo": layers.todo, "fresh": fresh}
    for part, own, learned in parallel.chunked_map(_check_many, todo, ctx, before=before):
        for n, (found, claimed) in part.items():
            results[n], claims[n] = found, claimed
        own_layers.update(own)
        if fresh is not None:
            fresh.learned.update(learned)
    for file, found in own_layers.items():
        layers.add(file, found)
    if todo:
        for n in todo:
            cache[n] = {"key": keys[n], "problems": [asdict(p) for p in results[n]], "claims": claims[n]}
        write_cache(cache_file, {n: cache[n] for n in cache if n in fleet.hubs})
    # Hosts and TLS secrets across hubs: the checked ones, and the others' as last validated.
    known = {n: e["claims"] for n, e in cache.items() if n in fleet.hubs and "claims" in e}
    every = {**known, **claims}
    files = {(n, tuple(c[1])): c[3] for n, cl in every.items() for c in cl}
    shared = policy.shared_claim_problems(
        {n: [(c[0], tuple(c[1]), c[2]) for c in cl] for n, cl in every.items()},
        {n: (fleet.hubs[n].cluster, fleet.hubs[n].namespace, fleet.hubs[n].domain) for n in every},
        lambda hub, where: files[(hub, where)],
    )
    return [p for n in names for p in results[n]] + located(
        [p for p in shared if p.hub in names], fleet.source
    )


def _parse_quietly(fleet: Fleet, file: str) -> None:
    try:
        data = fleet.source.read(file)
        if data is not None:
            parse_bytes(data, file, allow_empty=True)
    except HubfleetError:
        pass  # each hub that uses the layer reports it


def _check_many(
    names: list[str], ctx: Mapping[str, Any]
) -> tuple[dict[str, tuple[list[Problem], list[list[Any]]]], dict[str, list[Problem]], dict[str, list[str]]]:
    """Check hubs, and each hub's own layer file where its layer check is not cached; and what
    the rendered files' check learned (for render's record)."""
    fleet, schemas, layer_todo, fresh = ctx["fleet"], ctx["schemas"], ctx["layer_todo"], ctx["fresh"]
    own: dict[str, list[Problem]] = {}
    for n in names:
        file = layer_paths(fleet.hubs[n])[-1]
        if file in layer_todo:
            own[file] = _one_layer(file, fleet.source.read(file) or b"")
    found = {n: check_hub_claims(fleet, n, schemas.get(fleet.hubs[n].chart), fresh) for n in names}
    return found, own, fresh.take() if fresh is not None else {}


def check_hub(fleet: Fleet, name: str, schema: ChartSchema | None) -> list[Problem]:
    """Render, then chart schema, secrets and authenticator policy for one hub."""
    return check_hub_claims(fleet, name, schema)[0]


def check_hub_claims(
    fleet: Fleet, name: str, schema: ChartSchema | None, fresh: Freshness | None = None
) -> tuple[list[Problem], list[list[Any]]]:
    """`check_hub`, and the ingress hosts and TLS secrets the hub claims: [kind, keypath, name, file];
    with `fresh`, also whether its rendered file is what render writes now."""
    hub = fleet.hubs[name]
    try:  # a layer that does not read or parse is this hub's problem, not the end of the run
        layers = hub_layers(fleet, hub)
        merged = _merged([d for _, d in layers])  # once: compose and the interpolated-secret check
        found = scan(merged)  # one walk: resolve, `???` and the interpolated-secret check
        values = compose(layers, facts_for(fleet, hub), merged, found)
    except HubfleetError as e:
        return located(list(e.problems), fleet.source), []

    def file_of(keypath: KeyPath) -> str:
        return layer_setting(layers, keypath) if layers else paths.hub(name).values

    secret_docs, out = _secret_levels(fleet, hub)
    stale = fresh.hub_problem(fleet, hub, [f for f, _ in layers], values) if fresh is not None else None
    out += [stale] if stale is not None else []
    # Policy judges what Helm deploys: the chart's defaults count (z2jh's default
    # authenticator is `dummy`, so a hub that sets none gets DummyAuthenticator).
    effective = coalesce(schema.defaults, values) if schema is not None else values
    if schema is not None:
        out += _schema_problems(schema, values, secret_docs, file_of, name, effective)
    for p in policy.auth_problems(hub, fleet.cluster_of(hub), effective, file_of):
        if not any(sets(data, p.keypath) for _, data in layers):
            p = replace(
                p, message=f"{p.message} (the chart's default: no layer sets {format_keypath(p.keypath)})"
            )
        out.append(p)
    out += _token_route(hub, fleet.cluster_of(hub).is_local, effective, secret_docs)
    out += traitcheck.trait_problems(name, fleet.chart_of(hub), schema, layers, effective)
    out += policy.interpolated_secret_problems(merged, values, file_of, found.interpolated)
    claimed = policy.ingress_claims(values)
    out += policy.own_domain_problems(hub, claimed, file_of)
    claims = [[kind, list(where), what, file_of(where)] for kind, where, what in claimed]
    return located(out, fleet.source), claims


def _schema_problems(
    schema: ChartSchema,
    values: dict[str, Any],
    secret_docs: list[tuple[str, dict[str, Any]]],
    file_of: Callable[[KeyPath], str],
    hub: str,
    effective: dict[str, Any],
) -> list[Problem]:
    """The chart schema over the values with every secrets level merged on top, each encrypted leaf
    a placeholder of the type sops recorded: a required key a secrets file provides is satisfied,
    an unknown key in one is found; only an encrypted value's content goes unchecked."""
    doc = merge([values, *(secretlayers.placeholders(d) for _, d in secret_docs)]) if secret_docs else values
    encrypted = frozenset().union(*(secretlayers.encrypted_paths(d) for _, d in secret_docs))
    out = []
    for e in schema.errors(doc, None if secret_docs else effective):
        if e.keypath in encrypted and e.validator not in ("type", "additionalProperties"):
            continue
        setter = next(
            (f for f, d in reversed(secret_docs) if sets(secretlayers.strip_sops(d), e.keypath)), None
        )
        out.append(Problem(setter or file_of(e.keypath), e.message, e.keypath, hub=hub))
    return out


_LOWER_MERGES: dict[tuple[int, ...], tuple[tuple[Any, ...], dict[str, Any]]] = {}


def _merged(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """`merge(layers)`, the lower layers' merge made once per process (20 hubs share a cluster's):
    merging is associative and the result shares, never mutates, what it does not change. An
    entry holds the layers it is keyed by, so their ids stay theirs while it is there."""
    if len(layers) < 2:
        return merge(layers)
    lower = tuple(layers[:-1])
    key = tuple(map(id, lower))
    hit = _LOWER_MERGES.get(key)
    if hit is None:
        if len(_LOWER_MERGES) > 4096:
            _LOWER_MERGES.clear()
        hit = _LOWER_MERGES[key] = (lower, merge(list(lower)))
    return merge([hit[1], layers[-1]])


def _secret_levels(fleet: Fleet, hub: Hub) -> tuple[list[tuple[str, dict[str, Any]]], list[Problem]]:
    """(file, encrypted document) of each secrets level the hub has, and each unusable one's problems."""
    from hubfleet.app.support import read_secrets_doc  # the one reader of committed sops files

    docs, out = [], []
    for file in paths.secret_layers(hub.name, hub.cluster):
        doc, found = read_secrets_doc(fleet, file)
        out += [replace(p, hub=hub.name) for p in found]
        if doc is not None:
            docs.append((file, doc))
    return docs, out


def _token_route(
    hub: Hub, local: bool, effective: dict[str, Any], secret_docs: list[tuple[str, dict[str, Any]]]
) -> list[Problem]:
    """A remote hub's health check needs a token: from a secrets level, else from the Secret the
    jupyterhub chart fills for each declared `hub.services.<name>` without one."""
    if local:
        return []
    keypath = secretlayers.token_keypath(HEALTH_SERVICE)
    if any(sets(secretlayers.strip_sops(d), keypath) for _, d in secret_docs):
        return []
    scope = effective.get("jupyterhub") if isinstance(effective.get("jupyterhub"), dict) else effective
    hub_values = scope.get("hub") if isinstance(scope, dict) else None  # any shape: the schema judges it
    services = hub_values.get("services") if isinstance(hub_values, dict) else None
    if isinstance(services, dict) and isinstance(services.get(HEALTH_SERVICE), dict):
        return []
    return [
        Problem(
            hub.file,
            f"no route gives the health check a token: declare `hub.services.{HEALTH_SERVICE}` in the "
            "values (the chart then keeps a token in the hub's Secret, read with kubectl) or set its "
            "apiToken in a secrets file; until then `invoke health` and staging checks fail",
            severity="warning",
            hub=hub.name,
        )
    ]


@functools.cache
def code_digest() -> bytes:
    """hubfleet's own source, Python's version and the libraries verdicts depend on: a result
    cached by other code (an upgrade, a fix) is not reused. A library counts by its package file's
    place, size and time (an upgrade rewrites it): reading its version costs 0.1 s of imports."""
    import importlib.util
    import sys

    h = hashlib.blake2b(digest_size=16)
    for path in sorted(Path(__file__).parents[1].rglob("*.py")):  # the whole hubfleet package
        h.update(path.read_bytes())
    h.update(sys.version.encode())
    for module in _VERDICT_LIBRARIES:
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None and spec.origin else ""
        try:
            info = os.stat(origin)
            h.update(f"{module}:{origin}:{info.st_size}:{info.st_mtime_ns}".encode())
        except OSError:
            h.update(f"{module}:-".encode())
    return h.digest()


_VERDICT_LIBRARIES = ("yaml", "fastjsonschema", "jsonschema", "omegaconf", "cerberus")


def _digest(
    fleet: Fleet, hub: Hub, schemas: dict[str, ChartSchema | None], digests: FileDigests, rendered: bool
) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(code_digest())
    if rendered:  # the rendered file's verdict: its bytes, and the chart its header names
        h.update(digests.of(paths.hub(hub.name).rendered) + repr(fleet.chart_of(hub)).encode())
    schema = schemas.get(hub.chart)
    h.update(schema.digest.encode() if schema is not None else b"-")
    h.update(traitcheck.catalogue_key(fleet.chart_of(hub), schema))
    cluster = fleet.clusters[hub.cluster]
    for path in (*layer_paths(hub), hub.file, cluster.file, *paths.secret_layers(hub.name, hub.cluster)):
        h.update(path.encode() + b"\0" + digests.of(path) + b"\0")
    return h.hexdigest()


_CONTENT = b"="  # a readable file's digest starts with this; `-` absent, `!` unreadable


class FileDigests:
    """Each file's digest, read and hashed once per run (2000 hubs share their cluster layers)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.memo: dict[str, bytes] = {}
        # a snapshot hashed every file it holds for the run's key: those digests are reused
        self.known = source.file_digest if isinstance(source, Snapshot) else None

    def of(self, path: str) -> bytes:
        """`=`+hash of the bytes; `-` when absent; an unreadable file (a folder, a dangling
        symlink) `!`+its problem, so that no result cached for other content is reused for it."""
        if path not in self.memo:
            known = self.known(path) if self.known is not None else None
            if known is not None:
                self.memo[path] = _CONTENT + known
                return self.memo[path]
            try:
                data = self.source.read(path)
            except HubfleetError as e:
                self.memo[path] = b"!" + str(e).encode()
            else:
                self.memo[path] = (
                    b"-" if data is None else _CONTENT + hashlib.blake2b(data, digest_size=20).digest()
                )
        return self.memo[path]


def load_record(root: Path) -> dict[str, list[str]]:
    """Render's record of what it wrote (`app.freshness`)."""
    return read_cache(state_dir(root) / RECORD)


def save_record(root: Path, entries: Mapping[str, list[str]], keep: Sequence[str] | None = None) -> None:
    """Add `entries` to render's record (keeping only the paths in `keep`, when given)."""
    if not entries:
        return
    record = {**load_record(root), **entries}
    if keep is not None:
        wanted = set(keep)
        record = {p: e for p, e in record.items() if p in wanted}
    write_cache(state_dir(root) / RECORD, record)


def read_cache(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def write_cache(path: Path, cache: dict[str, Any]) -> None:
    """Replace the cache file at once (no lock: every entry is keyed by a digest of its inputs, so
    whichever of two runs writes last leaves only correct entries; a reader sees one whole file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cache, separators=(",", ":")))
    tmp.replace(path)
