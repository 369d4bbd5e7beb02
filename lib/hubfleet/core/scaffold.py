"""New hubs and clusters as files (pure): check the request against the fleet, then the texts.

`plan_hub` / `plan_cluster` return a `Scaffold` (files to write, and what to edit next) or raise
one `HubfleetError` whose problems are one clear line each. Nothing here writes: the use case
(`hubfleet.app.scaffold`) writes, renders and validates. A rendered file is never copied: the
new hub's own is rendered from its layers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml

from hubfleet.core import paths, schemas
from hubfleet.core.errors import HubfleetError, Problem, did_you_mean
from hubfleet.core.model import Cluster, Hub, system_namespace

__all__ = ["CLUSTER_OPTIONS", "Scaffold", "plan_cluster", "plan_hub", "suggest_domain"]

DEFAULT_LOCAL_PORT = 8000


@dataclass(frozen=True)
class Scaffold:
    files: Mapping[str, str]  # path from the fleet root -> text (every one new)
    next_steps: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class FleetView:
    """What a request is checked against: the loaded fleet, plus folders that exist but do not load."""

    hubs: Mapping[str, Hub]
    clusters: Mapping[str, Cluster]
    hub_folders: frozenset[str] = frozenset()
    cluster_folders: frozenset[str] = frozenset()
    default_chart: str = ""
    support: tuple[str, ...] = ()  # fleet.yaml's support releases, in order


def _fail(problems: Sequence[Problem]) -> HubfleetError:
    return HubfleetError(str(problems[0]), problems=problems)


def _name_problem(kind: str, name: str, limit: int) -> Problem | None:
    if re.fullmatch(schemas.DNS_LABEL, name) and len(name) <= limit:
        return None
    return Problem(
        f"{kind} name",
        f"`{name}` is not usable: use lowercase letters, digits and '-', starting and ending with a "
        f"letter or digit, at most {limit} characters (a DNS label, as Helm and Kubernetes require)",
    )


def _one_of(allowed: Sequence[str], got: str) -> str:
    return f"must be one of: {', '.join(allowed)} (got {got!r}){did_you_mean(got, allowed)}"


def _scalar(value: object) -> str:
    """One YAML scalar as it would be written by hand (quoted only when it must be)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("...").strip()


# --- hubs ------------------------------------------------------------------------------------


def suggest_domain(name: str, cluster: str, view: FleetView, like: Hub | None) -> str | None:
    """`--like`'s domain with the first label replaced; else the cluster's hubs' common suffix
    (of at least two labels); on a local cluster `<name>.localhost`."""
    if like is not None and "." in like.domain:
        return f"{name}.{like.domain.split('.', 1)[1]}"
    target = view.clusters.get(cluster)
    if target is not None and target.is_local:
        return f"{name}.localhost"
    domains = [h.domain.split(".") for h in view.hubs.values() if h.cluster == cluster]
    if not domains:
        return None
    suffix: list[str] = []
    for labels in zip(*(reversed(d[1:]) for d in domains), strict=False):
        if len(set(labels)) != 1:
            break
        suffix.append(labels[0])
    return f"{name}.{'.'.join(reversed(suffix))}" if len(suffix) >= 2 else None


def plan_hub(
    view: FleetView,
    name: str,
    cluster: str,
    *,
    stage: str = "prod",
    domain: str | None = None,
    like: str | None = None,
    like_values: str | None = None,
    like_secrets: bool = False,
) -> Scaffold:
    """The files of a new hub; every problem with the request is raised before anything exists.

    `like_values`: the text of `hubs/<like>/values.yaml` (None if it has none); `like_secrets`:
    whether `hubs/<like>/secrets.yaml` exists (then the next steps say it was not copied).
    """
    problems: list[Problem] = []
    bad_name = _name_problem("hub", name, 53)
    if bad_name:
        problems.append(bad_name)
    elif name in view.hubs or name in view.hub_folders:
        problems.append(Problem(paths.hub(name).folder, "already exists: choose another name"))
    elif system_namespace(name):
        problems.append(
            Problem("hub name", f"`{name}` would deploy into a Kubernetes system namespace: choose another")
        )
    if cluster in view.cluster_folders and cluster not in view.clusters:
        where = paths.cluster(cluster).cluster_yaml
        problems.append(
            Problem("--cluster", f"{where} does not load: fix it first (`invoke validate` says why)")
        )
    elif cluster not in view.clusters:
        known = [*view.clusters, *view.cluster_folders]
        problems.append(
            Problem("--cluster", f"no cluster `{cluster}` in clusters/{did_you_mean(cluster, known)}")
        )
    if stage not in schemas.STAGES:
        problems.append(Problem("--stage", _one_of(schemas.STAGES, stage)))
    model_hub = None
    if like is not None:
        model_hub = view.hubs.get(like)
        if model_hub is None:
            problems.append(Problem("--like", f"no hub `{like}` in hubs/{did_you_mean(like, view.hubs)}"))
    if problems:
        raise _fail(problems)

    target = view.clusters[cluster]
    domain = domain or suggest_domain(name, cluster, view, model_hub)
    if domain is None:
        raise _fail(
            [Problem("--domain", f"cluster {cluster} has no hubs to take a domain from: give --domain")]
        )
    if not re.fullmatch(schemas.HOSTNAME, domain):
        raise _fail(
            [Problem("--domain", f"`{domain}` is not a host name: use lowercase, e.g. hub.example.org")]
        )
    taken = {h.domain: h.name for h in view.hubs.values()}
    if domain in taken:
        raise _fail([Problem("--domain", f"{domain} is already used by hub `{taken[domain]}`")])
    if any(h.cluster == cluster and h.namespace == name for h in view.hubs.values()):
        owner = next(h.name for h in view.hubs.values() if h.cluster == cluster and h.namespace == name)
        raise _fail(
            [Problem("hub name", f"namespace {name} on cluster {cluster} is already used by hub `{owner}`")]
        )

    chart = model_hub.chart if model_hub is not None else view.default_chart
    port = _free_port(view) if target.is_local else None
    hub_paths = paths.hub(name)
    files = {
        hub_paths.hub_yaml: hub_yaml(name, cluster, domain, stage, chart, view.default_chart, port),
        hub_paths.values: values_yaml(name, cluster, like, like_values, _modeline(chart, view.default_chart)),
    }
    values_text = files[hub_paths.values]
    copied = like_values if like_values is not None and values_text.endswith(like_values) else None
    head_lines = len(values_text.splitlines()) - len(copied.splitlines()) if copied else 0
    return Scaffold(
        files,
        _hub_next_steps(name, target, domain, like if like_secrets else None),
        _copied_mentions(name, model_hub, copied, head_lines),
    )


def hub_yaml(
    name: str, cluster: str, domain: str, stage: str, chart: str, default_chart: str, port: int | None
) -> str:
    lines = [
        f"# Hub {name}: see README (The fleet layout). Editors complete this file from",
        "# .hubfleet/schemas/hub.schema.json (`invoke setup` writes it).",
        f"name: {name}",
        f"cluster: {cluster}",
        f"domain: {domain}",
        f"stage: {stage}",
    ]
    if chart and chart != default_chart:
        lines.append(f"chart: {_scalar(chart)}")
    if port is not None:
        lines.append(f"local: {{port: {port}}}")
    return "\n".join(lines) + "\n"


def _modeline(chart: str, default_chart: str) -> str:
    """A hub on another chart than the default names its schema in the file (yaml-language-server)."""
    if not chart or chart == default_chart:
        return ""
    return f"# yaml-language-server: $schema=../../{paths.values_schema(chart, default_chart)}\n"


def values_yaml(
    name: str, cluster: str, like: str | None, like_values: str | None, modeline: str = ""
) -> str:
    if like is not None and like_values is not None:
        if like_values.startswith("# yaml-language-server:"):
            like_values = like_values.split("\n", 1)[1] if "\n" in like_values else ""
        head = modeline + (
            f"# Hub {name}'s own values, started from hubs/{like}/values.yaml: check every line,\n"
            f"# above all names, domains, OAuth clients and admins of hub {like}.\n"
        )
        return head + like_values
    return modeline + (
        f"# Hub {name}'s own values: only what differs from clusters/common.values.yaml and\n"
        f"# clusters/{cluster}/common.values.yaml (they are merged under this file). For example:\n"
        "# singleuser:\n"
        "#   memory: {limit: 4G}\n"
        "# Then `invoke render --hub " + name + "` writes rendered.values.yaml, what Helm receives.\n"
    )


def _free_port(view: FleetView) -> int:
    used = {
        h.local_port or DEFAULT_LOCAL_PORT
        for h in view.hubs.values()
        if view.clusters.get(h.cluster) and view.clusters[h.cluster].is_local
    }
    port = DEFAULT_LOCAL_PORT
    while port in used:
        port += 1
    return port


def _hub_next_steps(name: str, cluster: Cluster, domain: str, secrets_of: str | None) -> tuple[str, ...]:
    """`secrets_of`: the hub whose values were copied, if it has a secrets file (which was not)."""
    p = paths.hub(name)
    steps = [f"edit {p.values}: the hub's own values, then `invoke render --hub {name}`"]
    if secrets_of is not None:
        steps.append(f"hubs/{secrets_of}/secrets.yaml was not copied (never another hub's secrets)")
    if cluster.is_local:
        steps.append(f"`invoke deploy --hub {name}` starts it on this machine")
    else:
        steps.append(
            f"`invoke secrets --hub {name}`: its OAuth secrets and the health check's token "
            "(hub.services.hubfleet-health.apiToken)"
        )
        steps.append(f"DNS: point {domain} at cluster {cluster.name}'s ingress")
    steps.append(f"`git add {p.folder}` and commit: `invoke plan` shows exactly this hub")
    return tuple(steps)


def _copied_mentions(name: str, like: Hub | None, text: str | None, offset: int) -> tuple[str, ...]:
    """Lines copied from `--like` that name that hub or its domain: likely to need editing.

    `offset`: the lines put above the copied text."""
    if like is None or not text:
        return ()
    words = [like.domain, like.name]
    out = []
    for number, line in enumerate(text.splitlines(), start=1 + offset):
        if any(re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", line) for w in words):
            out.append(f"{paths.hub(name).values}:{number}: mentions hub {like.name}: {line.strip()}")
    return tuple(out)


# --- clusters ----------------------------------------------------------------------------------

# Command-line options of `new-cluster` per provider: option name -> key of the provider's block.
CLUSTER_OPTIONS: dict[str, dict[str, str]] = {
    provider: {key.replace("_", "-"): key for key in block}
    for provider, block in schemas.PROVIDER_BLOCKS.items()
}


def plan_cluster(view: FleetView, name: str, provider: str, settings: Mapping[str, str | None]) -> Scaffold:
    """The files of a new cluster; `settings` are the provider options given (None: not given).

    The cloud's own cluster name (`cluster`) defaults to the new cluster's name.
    """
    problems: list[Problem] = []
    bad_name = _name_problem("cluster", name, 63)
    if bad_name:
        problems.append(bad_name)
    elif name in view.clusters or name in view.cluster_folders:
        problems.append(Problem(paths.cluster(name).folder, "already exists: choose another name"))
    if provider not in schemas.PROVIDERS:
        problems.append(
            Problem(
                "--provider",
                _one_of(schemas.PROVIDERS, provider),
            )
        )
    if problems:
        raise _fail(problems)
    given = {k: v for k, v in settings.items() if v not in (None, "")}
    options = CLUSTER_OPTIONS[provider]
    for option in given:
        if option not in options:
            takes = ", ".join(f"--{o}" for o in options) or "no options"
            problems.append(
                Problem(f"--{option}", f"is not a setting of provider {provider} (it takes: {takes})")
            )
    block = {options[o]: str(v) for o, v in given.items() if o in options}
    if "cluster" in options and "cluster" not in block:
        block["cluster"] = name
    required = [k for k, rules in schemas.PROVIDER_BLOCKS[provider].items() if rules.get("required")]
    missing = [f"--{k.replace('_', '-')}" for k in required if k not in block]
    if missing:
        problems.append(Problem("--provider", f"provider {provider} needs {', '.join(missing)}"))
    if problems:
        raise _fail(problems)
    cp = paths.cluster(name)
    files = {cp.cluster_yaml: cluster_yaml(name, provider, block), cp.layer: cluster_layer(name, provider)}
    steps = _cluster_next_steps(name, provider, block)
    if provider != "local" and view.support:
        steps = (
            steps[0],
            f"its support releases ({', '.join(view.support)}) are rendered for it; "
            f"`support: {{skip: [...]}}` in {cp.cluster_yaml} for those it does not run",
            *steps[1:],
        )
    return Scaffold(files, steps)


def cluster_yaml(name: str, provider: str, block: Mapping[str, str]) -> str:
    lines = [
        f"# Cluster {name}: see README (The fleet layout). Editors complete this file from",
        "# .hubfleet/schemas/cluster.schema.json (`invoke setup` writes it).",
        f"name: {name}",
        f"provider: {provider}",
    ]
    if block:
        lines.append(f"{provider}:")
        lines += [f"  {key}: {_scalar(value)}" for key, value in block.items()]
    return "\n".join(lines) + "\n"


def cluster_layer(name: str, provider: str) -> str:
    example = (
        "# ingress:\n#   enabled: false\n"
        if provider == "local"
        else "# ingress:\n#   ingressClassName: nginx\n"
        "# singleuser:\n#   storage: {dynamic: {storageClass: standard}}\n"
        "# A hub on a Kubernetes cluster needs a real authenticator, here or in its own values:\n"
        "# hub:\n#   config:\n#     JupyterHub: {authenticator_class: github}\n"
        '#     GitHubOAuthenticator: {oauth_callback_url: "https://${hub:domain}/hub/oauth_callback"}\n'
    )
    return (
        f"# Values for every hub on cluster {name}, merged over clusters/common.values.yaml and\n"
        f"# under each hub's own values.yaml. For example:\n{example}"
    )


_CI_SECRETS = {
    "kubeconfig": "KUBECONFIG_DATA (not needed with a sops-encrypted `file:`)",
    "gke": "GCP_CREDENTIALS",
    "eks": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    "aks": "AZURE_CREDENTIALS",
}


def _cluster_next_steps(name: str, provider: str, block: Mapping[str, str]) -> tuple[str, ...]:
    cp = paths.cluster(name)
    steps = [f"edit {cp.layer}: values every hub on {name} shares (ingress, storage, authenticator, ...)"]
    if provider == "kubeconfig" and block.get("file"):
        steps.append(f"put the sops-encrypted kubeconfig at {cp.folder}/{block['file']}")
    if provider in _CI_SECRETS:
        steps.append(
            f"CI: a GitHub environment named {name} holding SOPS_AGE_KEY and {_CI_SECRETS[provider]}"
        )
        steps.append(f"`invoke shell --cluster {name} -- kubectl get nodes` checks the credentials")
    steps.append(f"add its first hub: `invoke new-hub NAME --cluster {name} --stage staging --domain D`")
    return tuple(steps)
