"""The fleet as plain frozen data, made by `parse_*` functions after validation.

Pure: these functions take mappings already read from YAML and never touch files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from hubfleet.core import paths, schemas, support
from hubfleet.core.errors import HubfleetError, KeyPath, Problem, did_you_mean, errors_only
from hubfleet.core.support import SupportRelease, SupportTarget

if TYPE_CHECKING:  # Cerberus costs ~70 ms to import; only a document the fast pre-check doubts needs it
    import cerberus


@dataclass(frozen=True)
class Chart:
    key: str
    name: str
    repo: str | None = None  # http(s) chart repository or oci:// registry path
    version: str | None = None
    path: str | None = None  # chart folder, relative to the fleet root

    @property
    def kind(self) -> str:
        if self.path:
            return "path"
        return "oci" if self.repo and self.repo.startswith("oci://") else "repo"

    @property
    def ref(self) -> str:
        """What `helm upgrade` takes: `<repo-key>/<name>`, `oci://.../<name>`, or a folder."""
        if self.kind == "path":
            return self.path or ""
        if self.kind == "oci":
            return f"{(self.repo or '').rstrip('/')}/{self.name}"
        return f"{self.key}/{self.name}"


@dataclass(frozen=True)
class Canary:
    clusters: tuple[str, ...] = tuple(schemas.CANARY_DEFAULTS["clusters"])
    when: str = schemas.CANARY_DEFAULTS[
        "when"
    ]  # chart: only plans that change a chart go canary-first; always


TOOL_TIMEOUT_CAP = 120  # seconds: a query that takes longer is stuck, whatever a release may take


@dataclass(frozen=True)
class Rollout:
    """`rollout:` of fleet.yaml; every default comes from `schemas.ROLLOUT_DEFAULTS` / `HEALTH_DEFAULTS`."""

    max_parallel_per_cluster: int = schemas.ROLLOUT_DEFAULTS["max_parallel_per_cluster"]
    max_parallel: int = schemas.ROLLOUT_DEFAULTS["max_parallel"]
    timeout: int = schemas.ROLLOUT_DEFAULTS["timeout"]  # seconds per release; also Helm's --timeout
    wait: bool = schemas.ROLLOUT_DEFAULTS["wait"]  # pass --wait to helm upgrade
    breaker: int = schemas.ROLLOUT_DEFAULTS["breaker"]  # N: start no new cluster after N clusters failed
    health_timeout: int = schemas.HEALTH_DEFAULTS["timeout"]
    health_retries: int = schemas.HEALTH_DEFAULTS["retries"]
    health_prod: bool = schemas.HEALTH_DEFAULTS["prod"]  # health-check prod hubs too, after their release
    canary: Canary = field(default_factory=Canary)
    stuck: str = schemas.ROLLOUT_DEFAULTS["stuck"]  # a release left pending-*: roll back | fail
    atomic: bool = schemas.ROLLOUT_DEFAULTS["atomic"]  # pass Helm's own rollback-on-failure flag

    @property
    def tool_timeout(self) -> int:
        """Seconds any tool call other than the upgrade and rollback may take (helm history, list,
        get, repo add, uninstall): the release's `timeout`, at most TOOL_TIMEOUT_CAP, so a tool
        that never answers costs no more than the release it serves may."""
        return min(self.timeout, TOOL_TIMEOUT_CAP)


@dataclass(frozen=True)
class FleetConfig:
    charts: Mapping[str, Chart]
    default_chart: str
    name: str = schemas.DEFAULT_FLEET_NAME  # fleet.yaml `name:`: the fleet in its ownership marks
    rollout: Rollout = field(default_factory=Rollout)
    support: tuple[SupportRelease, ...] = ()  # fleet.yaml `support:`, in deploy order


@dataclass(frozen=True)
class Cluster:
    name: str
    provider: str
    settings: Mapping[str, Any]  # the provider's block, e.g. {"context": ..., "file": ...}
    file: str = ""
    support_skip: tuple[str, ...] = ()  # cluster.yaml `support: {skip: [...]}`

    @property
    def is_local(self) -> bool:
        return self.provider == "local"


@dataclass(frozen=True)
class Hub:
    name: str
    cluster: str
    domain: str
    stage: str = schemas.DEFAULT_STAGE
    chart: str = ""
    namespace: str = ""
    local_port: int | None = None
    waive: Mapping[str, str] = field(default_factory=dict)
    file: str = ""

    @property
    def folder(self) -> str:
        return paths.hub(self.name).folder

    @property
    def release(self) -> str:
        return self.name

    def facts(self) -> dict[str, str]:
        """What `${hub:...}` may name."""
        return {
            "name": self.name,
            "domain": self.domain,
            "namespace": self.namespace,
            "stage": self.stage,
        }


# --- validation with located, hinted messages --------------------------------


def check(document: Mapping[str, Any], schema: dict, file: str) -> list[Problem]:
    """Cerberus errors as Problems: key path, message, 'did you mean' for unknown keys."""
    if _surely_valid(document, schema):
        return []  # the common case, ~50x faster than Cerberus (2000 hub.yaml files per load)
    import cerberus

    v = cerberus.Validator(schema, allow_unknown=False)
    if v.validate(dict(document)):
        return []
    return [_problem(e, file, schema) for e in _leaf_errors(v.document_error_tree)]


# --- a fast pre-check: True only when Cerberus would surely find nothing -------------

_TYPES: dict[str, Any] = {"string": str, "dict": dict, "list": list, "boolean": bool, "integer": int}
_SCALAR_RULES = ("type", "required", "empty", "regex", "maxlength", "allowed", "min", "max")
_KNOWN_RULES = frozenset((*_SCALAR_RULES, "schema", "keysrules", "valuesrules", "dependencies", "excludes"))


def _surely_valid(doc: Any, schema: Mapping[str, Any]) -> bool:
    """Sound, not complete: any rule, value or shape it is unsure of answers False (ask Cerberus)."""
    if not isinstance(doc, dict) or any(k not in schema for k in doc):
        return False
    for key, rules in schema.items():
        if key not in doc:
            if rules.get("required"):
                return False
            continue
        if not _value_ok(doc[key], rules, doc):
            return False
    return True


def _value_ok(value: Any, rules: Mapping[str, Any], parent: Mapping[str, Any]) -> bool:
    if value is None or not _KNOWN_RULES.issuperset(rules):
        return False
    kind = rules.get("type")
    if kind is not None:
        want = _TYPES.get(kind) if isinstance(kind, str) else None
        if want is None or not isinstance(value, want) or (want is int and isinstance(value, bool)):
            return False
    if isinstance(value, (str, dict, list)) and not value and rules.get("empty") is False:
        return False
    if "regex" in rules and not (isinstance(value, str) and _regex(rules["regex"]).fullmatch(value)):
        return False  # fullmatch is stricter than Cerberus' match with `$` appended
    sized = isinstance(value, (str, list, dict))
    if "maxlength" in rules and not (sized and len(value) <= rules["maxlength"]):
        return False
    if "allowed" in rules and (isinstance(value, (list, dict)) or value not in rules["allowed"]):
        return False
    if "min" in rules and not (isinstance(value, int) and value >= rules["min"]):
        return False
    if "max" in rules and not (isinstance(value, int) and value <= rules["max"]):
        return False
    if "excludes" in rules:
        excluded = rules["excludes"]
        if any(x in parent for x in ([excluded] if isinstance(excluded, str) else excluded)):
            return False
    if "dependencies" in rules:
        deps = rules["dependencies"]
        if not isinstance(deps, dict) or any(
            not isinstance(k, str) or "^" in k or "." in k or parent.get(k) not in allowed
            for k, allowed in deps.items()
        ):
            return False
    if "schema" in rules:
        sub = rules["schema"]
        if isinstance(value, dict):
            if not _surely_valid(value, sub):
                return False
        elif not (isinstance(value, list) and all(_value_ok(v, sub, {}) for v in value)):
            return False
    if "keysrules" in rules and not (
        isinstance(value, dict) and all(_value_ok(k, rules["keysrules"], {}) for k in value)
    ):
        return False
    return "valuesrules" not in rules or (
        isinstance(value, dict) and all(_value_ok(v, rules["valuesrules"], value) for v in value.values())
    )


@lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _leaf_errors(node: cerberus.errors.ErrorTreeNode) -> Iterator[cerberus.errors.ValidationError]:
    """Every error of Cerberus's public document error tree but the groups (their children are in the
    tree at their own paths), parents before children, keys in the order Cerberus found them."""
    for e in node.errors:
        if not (e.is_group_error and e.child_errors):
            yield e
    for child in node.descendants.values():
        yield from _leaf_errors(child)


def _problem(e: cerberus.errors.ValidationError, file: str, schema: dict) -> Problem:
    path: KeyPath = tuple(e.document_path)
    key = path[-1] if path else ""
    rule, info = e.rule, e.constraint
    import cerberus

    if e.code == cerberus.errors.UNKNOWN_FIELD.code:
        siblings = _schema_at(schema, path[:-1])
        msg = f"unknown key{did_you_mean(str(key), siblings)}; allowed: {', '.join(sorted(siblings))}"
    elif rule == "required":
        msg = "required key is missing"
    elif rule == "allowed":
        msg = (
            f"must be one of: {', '.join(map(str, info))} (got {e.value!r}){did_you_mean(str(e.value), info)}"
        )
    elif rule == "type":
        msg = f"must be a {info} (got {type(e.value).__name__} {e.value!r})"
    elif rule == "regex":
        hint = "write why the check is waived" if path[:1] == ("waive",) else _regex_hint(str(key))
        msg = f"{e.value!r} is not valid here: {hint}"
    elif rule == "empty":
        msg = "must not be empty"
    elif rule in ("min", "max"):
        msg = f"must be {'at least' if rule == 'min' else 'at most'} {info} (got {e.value!r})"
    elif rule == "maxlength":
        msg = f"is longer than {info} characters"
    elif rule == "dependencies":
        msg = f"only allowed with provider: {key}"
    elif rule == "excludes":
        msg = f"cannot be combined with {info if isinstance(info, str) else ', '.join(info)}"
    else:
        msg = f"{rule}: {info}"
    return Problem(file, msg, path)


def _schema_at(schema: dict, path: KeyPath) -> list[str]:
    node: Any = {"schema": schema}
    for part in path:
        inner = node.get("schema") or {}
        if part in inner:
            node = inner[part]
        elif "valuesrules" in node:
            node = node["valuesrules"]
        else:
            return []
    inner = node.get("schema") or {}
    return list(inner)


def _regex_hint(key: str) -> str:
    return {
        "name": "use lowercase letters, digits and '-' (a DNS label, as Helm and Kubernetes require)",
        "namespace": "use lowercase letters, digits and '-' (a Kubernetes namespace)",
        "domain": "use a lowercase host name such as hub.example.org",
        "repo": "use an http(s):// chart repository URL or an oci:// registry path",
    }.get(key, "wrong format")


# --- parsing (after `check` found nothing) ------------------------------------


def parse_fleet_config(doc: Mapping[str, Any]) -> FleetConfig:
    charts = {
        key: Chart(
            key=key,
            name=spec.get("name", key),
            repo=spec.get("repo"),
            version=None if spec.get("version") is None else str(spec["version"]),
            path=spec.get("path"),
        )
        for key, spec in doc["charts"].items()
    }
    given = doc.get("rollout") or {}
    r = {**schemas.ROLLOUT_DEFAULTS, **given}
    health = {**schemas.HEALTH_DEFAULTS, **(given.get("health") or {})}
    canary = {**schemas.CANARY_DEFAULTS, **(given.get("canary") or {})}
    rollout = Rollout(
        max_parallel_per_cluster=r["max_parallel_per_cluster"],
        max_parallel=r["max_parallel"],
        timeout=r["timeout"],
        wait=r["wait"],
        breaker=r["breaker"],
        health_timeout=health["timeout"],
        health_retries=health["retries"],
        health_prod=health["prod"],
        stuck=r["stuck"],
        atomic=r["atomic"],
        canary=Canary(tuple(canary["clusters"]), canary["when"]),
    )
    return FleetConfig(
        charts=charts,
        default_chart=doc["default_chart"],
        name=doc.get("name", schemas.DEFAULT_FLEET_NAME),
        rollout=rollout,
        support=support.parse_support(doc),
    )


def chart_problems(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """Rules Cerberus cannot say: repository charts need a version; default_chart exists."""
    out = []
    for key, spec in (doc.get("charts") or {}).items():
        if not isinstance(spec, dict):
            continue
        if isinstance(spec.get("path"), str) and (why := paths.confined(spec["path"])):
            out.append(Problem(file, f"chart folder {spec['path']!r} {why}", ("charts", key, "path")))
        if not spec.get("path") and not spec.get("repo"):
            out.append(Problem(file, "needs `repo:` (with `version:`) or `path:`", ("charts", key)))
        elif spec.get("repo") and not spec.get("version"):
            out.append(Problem(file, "repository charts need a `version:` (pin it)", ("charts", key)))
    default = doc.get("default_chart")
    charts = doc.get("charts") or {}
    if isinstance(default, str) and isinstance(charts, dict) and default not in charts:
        out.append(
            Problem(
                file,
                f"`{default}` is not a key of `charts:`{did_you_mean(default, charts)}",
                ("default_chart",),
            )
        )
    return out


def parse_cluster(doc: Mapping[str, Any], file: str) -> Cluster:
    provider = doc["provider"]
    return Cluster(doc["name"], provider, dict(doc.get(provider) or {}), file, support.parse_skip(doc))


def cluster_problems(doc: Mapping[str, Any], file: str, folder: str) -> list[Problem]:
    out = []
    if doc.get("name") != folder:
        out.append(Problem(file, f"name must equal its folder `{folder}`", ("name",)))
    provider = doc.get("provider")
    if provider in schemas.REQUIRED_BLOCK and provider not in doc:
        out.append(Problem(file, f"provider {provider} needs a `{provider}:` block", (provider,)))
    kubeconfig = doc.get("kubeconfig") if provider == "kubeconfig" else None
    name = kubeconfig.get("file") if isinstance(kubeconfig, dict) else None
    if isinstance(name, str) and (why := paths.confined(name)):
        out.append(
            Problem(
                file, f"kubeconfig file {name!r} {why} (a file in {folder_of(file)})", ("kubeconfig", "file")
            )
        )
    return out


def folder_of(file: str) -> str:
    return file.rsplit("/", 1)[0] + "/" if "/" in file else "./"


def system_namespace(namespace: str) -> bool:
    """Kubernetes' own namespaces (`kube-*`) and `default`: no hub is deployed into them."""
    return re.match(schemas.SYSTEM_NAMESPACE, namespace) is not None


def parse_hub(doc: Mapping[str, Any], file: str, default_chart: str) -> Hub:
    return Hub(
        name=doc["name"],
        cluster=doc["cluster"],
        domain=doc["domain"],
        stage=doc.get("stage", schemas.DEFAULT_STAGE),
        chart=doc.get("chart", default_chart),
        namespace=doc.get("namespace", doc["name"]),
        local_port=(doc.get("local") or {}).get("port"),
        waive=dict(doc.get("waive") or {}),
        file=file,
    )


def hub_problems(doc: Mapping[str, Any], file: str, folder: str) -> list[Problem]:
    if doc.get("name") != folder:
        return [Problem(file, f"name must equal its folder `{folder}`", ("name",))]
    namespace = doc.get("namespace", doc.get("name"))
    if isinstance(namespace, str) and system_namespace(namespace):
        key = "namespace" if "namespace" in doc else "name"
        return [
            Problem(
                file,
                f"namespace {namespace} is a Kubernetes system namespace: give the hub its own `namespace:`",
                (key,),
            )
        ]
    return []


class Source(Protocol):
    """Where a fleet's files are read from (a folder, a git commit, a mapping): `hubfleet.adapters.source`."""

    label: str

    def read(self, path: str) -> bytes | None:
        """Bytes of the file at `path` (posix, relative to the fleet root), None if absent."""
        ...

    def subdirs(self, path: str) -> list[str]:
        """Names of the folders directly under `path`, sorted."""
        ...

    def files_under(self, path: str) -> Iterator[str]:
        """Every file below folder `path`, relative to the fleet root, sorted."""
        ...


@dataclass(frozen=True)
class Fleet:
    """A loaded fleet: its settings, clusters and hubs, the problems found loading it, and its Source."""

    config: FleetConfig
    clusters: Mapping[str, Cluster]
    hubs: Mapping[str, Hub]
    source: Source
    problems: tuple[Problem, ...] = ()
    # Hubs whose own files were fine but that break a rule across files.
    broken_hubs: frozenset[str] = field(default_factory=frozenset)

    def hub(self, name: str) -> Hub:
        """The hub `name`; a folder whose hub.yaml does not load raises its own problems."""
        if name not in self.hubs:
            own = [p for p in errors_only(self.problems) if paths.hub(name).owns(p.file)]
            if name in self.broken_hubs and own:
                raise HubfleetError(str(own[0]), problems=own)
            known = [*self.hubs, *self.broken_hubs]
            raise HubfleetError(f"no hub `{name}` in {paths.HUBS}/{did_you_mean(name, known)}")
        return self.hubs[name]

    def cluster(self, name: str) -> Cluster:
        """The cluster `name`; one clear error (with a suggestion) when there is none."""
        if name not in self.clusters:
            raise HubfleetError(
                f"no cluster `{name}` in {paths.CLUSTERS}/{did_you_mean(name, self.clusters)}"
            )
        return self.clusters[name]

    def cluster_of(self, hub: Hub) -> Cluster:
        """The hub's cluster; a hub naming a missing cluster raises its problem, located at load time."""
        if hub.cluster not in self.clusters:
            for p in self.problems:
                if p.file == hub.file and p.keypath == ("cluster",):
                    raise HubfleetError(str(p), problems=[p])
            hint = did_you_mean(hub.cluster, self.clusters)
            raise HubfleetError.at(
                hub.file, f"no cluster `{hub.cluster}` in {paths.CLUSTERS}/{hint}", ("cluster",)
            )
        return self.clusters[hub.cluster]

    @property
    def hub_names(self) -> list[str]:
        """Every hub folder, loadable or not, sorted."""
        return sorted({*self.hubs, *self.broken_hubs})

    def chart_of(self, hub: Hub) -> Chart:
        return self.config.charts[hub.chart]

    def support_of(self, cluster: str) -> list[SupportTarget]:
        """The support releases `cluster` runs, in deploy order (none on a local cluster)."""
        c = self.clusters[cluster]
        return [
            SupportTarget(cluster, r)
            for r in support.releases_for(c.provider, c.support_skip, self.config.support)
        ]

    def support_targets(self) -> list[SupportTarget]:
        """Every support release of every loaded cluster, clusters by name."""
        return [t for c in sorted(self.clusters) for t in self.support_of(c)]

    def support_target(self, cluster: str, release: str) -> SupportTarget:
        """One support release of a cluster; a clear error naming what exists."""
        self.cluster(cluster)
        for t in self.support_of(cluster):
            if t.name == release:
                return t
        names = [t.name for t in self.support_of(cluster)]
        raise HubfleetError(
            f"cluster {cluster} runs no support release `{release}`{did_you_mean(release, names)}"
        )
