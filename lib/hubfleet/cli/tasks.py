"""The commands, as Invoke tasks: `invoke --list` / `hubfleet --list`, `--help TASK`.

One definition serves both front doors: this repository's `tasks.py` re-exports `ns`, and the
`hubfleet` console script (`hubfleet.cli.main`) runs the same collection as its own program, so
the two have the same commands, options and help, through the same error boundary. Each task
is a few lines over `hubfleet.cli.commands`; the boundary turns expected failures into one line
and exit 1.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any

import invoke
from invoke import Argument, Collection, Exit, Task

from hubfleet.cli.boundary import boundary


def task(**options: Any) -> Callable[[Callable[..., Any]], invoke.Task]:
    """`invoke.task` with long options only: Invoke's automatic one-letter flags gave destructive
    options one (`-r` was `--prune`), took `-h` (help) for `--hub`, and move as options are added."""
    return invoke.task(auto_shortflags=False, **options)


def _run(command: str, /, **kwargs) -> None:
    from importlib import import_module

    code = boundary(import_module(f"hubfleet.cli.commands.{command}").run, **kwargs)
    # The process ends with its tasks: what a command leaves needs no collector pass at exit
    # (0.4 s after validating 2000 hubs); reference counting still frees it.
    gc.freeze()
    if code:
        raise Exit(code=code)


def after_dashes(c: invoke.Context) -> list[str] | None:
    """The words after `--`, as typed (None: no `--`). Invoke hands a task them joined by spaces
    (`c.remainder`), which loses their quoting; `hubfleet` keeps the words (`main.Remainder`), and
    under `invoke` they are still in sys.argv (the parser splits at the first `--` too)."""
    if not c.remainder:
        return None
    words = getattr(c.remainder, "words", None)
    if words is None and "--" in sys.argv:
        typed = sys.argv[sys.argv.index("--") + 1 :]
        words = typed if " ".join(typed) == c.remainder else None  # else not this command line
    return list(words) if words is not None else c.remainder.split()


def _files(c: invoke.Context) -> list[str] | None:
    """Paths given after `--` (pre-commit's staged files): only the hubs they touch."""
    return after_dashes(c)


HUBS = "only these hubs: --hub a,b or --hub a --hub b"


@task(
    help={
        "hub": HUBS,
        "cluster": "only this cluster's hubs",
        "check": "write nothing; list stale files, exit 1 if any",
    },
    iterable=["hub"],
)
def render(c, hub=None, cluster=None, check=False):
    """Render each hub's layers into hubs/<hub>/rendered.values.yaml (`-- FILES`: hubs they touch)."""
    _run("render", hub=hub, cluster=cluster, check=check, files=_files(c))


@task(
    help={
        "hub": HUBS,
        "cluster": "only this cluster's hubs",
        "offline": "never fetch charts; a chart not in the cache is a warning",
        "deep": "also `helm template` every hub and check manifests against Kubernetes schemas",
        "server": "also dry-run every manifest on a throwaway test cluster (its API server decides)",
        "plan": "only the hubs (and clusters' support releases) this plan JSON file lists",
    },
    iterable=["hub"],
)
def validate(c, hub=None, cluster=None, offline=False, deep=False, server=False, plan=None):
    """Check our files, the rendered values against each chart's schema, secrets and policy."""
    _run(
        "validate",
        hub=hub,
        cluster=cluster,
        offline=offline,
        deep=deep,
        server=server,
        plan=plan,
        files=_files(c),
    )


@task(
    help={
        "base": "commit before the change (default: merge-base of HEAD and origin/main, else HEAD~1)",
        "head": "commit after the change (default: HEAD)",
        "json": "write the plan as JSON to this file",
        "markdown": "write a pull-request comment (tables, diffs, rollout graph) to this file",
        "matrix": "print the deploy workflow's job matrix for this plan JSON file (one JSON line)",
    }
)
def plan(c, base=None, head="HEAD", json=None, markdown=None, matrix=None):
    """Show exactly which hubs a change between two commits must deploy, in order."""
    _run("plan", base=base, head=head, json_out=json, markdown_out=markdown, matrix_of=matrix)


@task(
    help={
        "hub": "deploy these hubs: --hub a,b or --hub a --hub b (in that order)",
        "cluster": "deploy this cluster: its support releases, then its hubs (with --plan: its part)",
        "plan": "deploy the support releases and hubs of a plan JSON file from `invoke plan --json`",
        "dry_run": "contact no cluster: print the commands and the manifests `helm template` makes",
        "no_health": "skip the health checks (staging, canary checks and prod)",
        "prune": "also uninstall the hubs the plan lists as removed (namespaces kept)",
        "delete_namespaces": "with --prune: delete their namespaces too, unless another hub uses one",
        "summary": "append the results as Markdown to this file (CI: $GITHUB_STEP_SUMMARY)",
        "support_only": "with --cluster: only that cluster's support releases (ingress, cert-manager, ...)",
        "force": "upgrade releases that are unchanged too (e.g. to undo a `kubectl edit` by hand)",
    },
    iterable=["hub"],
)
def deploy(
    c,
    hub=None,
    cluster=None,
    plan=None,
    dry_run=False,
    no_health=False,
    prune=False,
    delete_namespaces=False,
    summary=None,
    support_only=False,
    force=False,
):
    """Deploy with `helm upgrade --install`: per cluster its support releases, staging, health, prod."""
    _run(
        "deploy",
        support_only=support_only,
        hub=hub,
        cluster=cluster,
        plan=plan,
        dry_run=dry_run,
        no_health=no_health,
        prune=prune,
        delete_namespaces=delete_namespaces,
        summary=summary,
        force=force,
    )


@task(
    name="ci-plan",
    help={
        "head": "the commit to deploy (default: HEAD)",
        "fallback_base": "base for a cluster without refs/deployed/<cluster> (default: HEAD~1)",
        "hubs": "workflow_dispatch: only these hubs, comma-separated",
        "clusters": "workflow_dispatch: only these clusters, comma-separated",
        "all": "workflow_dispatch: every hub of the fleet",
        "force": "workflow_dispatch: deploy the chosen hubs even when unchanged",
        "prune": "workflow_dispatch: the deploy jobs uninstall removed hubs (their refs may then move)",
        "out": "folder for <cluster>.json plans and plan.md (default: plans)",
        "github_output": "append the job matrices to this file (CI: $GITHUB_OUTPUT)",
    },
)
def ci_plan(
    c,
    head="HEAD",
    fallback_base=None,
    hubs=None,
    clusters=None,
    all=False,
    force=False,
    prune=False,
    out="plans",
    github_output=None,
):
    """Plan the deploy workflow: each cluster from what it last deployed (refs/deployed/<cluster>)."""
    _run(
        "ciplan",
        head=head,
        fallback_base=fallback_base,
        hubs=hubs,
        clusters=clusters,
        all_hubs=all,
        force=force,
        prune=prune,
        out=out,
        github_output=github_output,
    )


@task(
    help={
        "hub": "compare these hubs: --hub a,b or --hub a --hub b",
        "cluster": "compare every hub of this cluster",
    },
    iterable=["hub"],
)
def diff(c, hub=None, cluster=None):
    """Compare what is deployed with what the repository renders; exit 2 when they differ."""
    _run("diff", hub=hub, cluster=cluster)


@task(
    help={
        "hub": "the hub to copy",
        "cluster": "instead: the support releases of this cluster",
        "out": "folder to write (created; must be empty)",
    }
)
def replicate(c, out, hub=None, cluster=None):
    """Write a standalone folder that deploys a hub (or a cluster's support releases) with plain Helm."""
    _run("replicate", hub=hub, cluster=cluster, out=out)


@task(help={"hub": "the hub to check (local or remote, by its domain)"})
def health(c, hub):
    """Check a running hub for real: API, spawn a server, run 1+1 in a kernel, clean up."""
    _run("health", hub=hub)


@task(help={"hub": "the local hub to stop"})
def stop(c, hub):
    """Stop a hub running on a local cluster."""
    _run("stop", hub=hub)


@task(
    help={
        "hub": "the hub whose secrets.yaml to open in $EDITOR through sops",
        "cluster": "instead: clusters/<C>/secrets.yaml, shared by every hub on that cluster",
        "fleet": "instead: clusters/secrets.yaml, shared by every hub of the fleet",
        "support": "with --cluster: that support release's clusters/<C>/support/<R>.secrets.yaml",
    }
)
def secrets(c, hub=None, cluster=None, fleet=False, support=None):
    """Edit a sops-encrypted secrets file (a hub's, a cluster's, the fleet's); created if missing."""
    _run("secrets", hub=hub, cluster=cluster, fleet=fleet, support=support)


@task(
    help={
        "seed_chart": "KEY=DIR: cache chart KEY's values.schema.json and values.yaml from DIR, or "
        "KEY=CHART.tgz: the packaged chart itself, for working without network (repeatable)",
        "kube": "also build the test clusters' control-plane binary (kubebin/, needs Go; once)",
    },
    iterable=["seed_chart"],
)
def setup(c, seed_chart=None, kube=False):
    """Install the tools hubfleet runs (helm, sops, configurable-http-proxy) where missing."""
    _run("setup", seed=seed_chart, kube=kube)


class _NameUnlessListing(Argument):
    """`testcluster`'s NAME: required (Invoke requires every positional) except after `list`."""

    action: Argument

    @property
    def value(self):
        given = self._value if self._value is not None else self.default
        return "" if given is None and self.action.value == "list" else given

    @value.setter
    def value(self, arg: str) -> None:
        self.set_value(arg, cast=True)


class _TestclusterTask(Task):
    def get_arguments(self, ignore_unknown_help=None):
        args = super().get_arguments(ignore_unknown_help)
        by_name = {a.name: a for a in args}
        by_name["name"].__class__ = _NameUnlessListing
        by_name["name"].action = by_name["action"]
        return args


@task(
    klass=_TestclusterTask,
    positional=["action", "name"],
    help={
        "action": "up, down or list",
        "name": "the test cluster (its kubeconfig context has this name)",
        "nodes": "up: also run controllers, a scheduler and this many simulated (KWOK) nodes",
    },
)
def testcluster(c, action, name=None, nodes=0):
    """Local Kubernetes control planes: `up NAME [--nodes N]` (prints its kubeconfig), `down NAME`, `list`."""
    _run("testcluster", action=action, name=name, nodes=nodes)


@task(
    positional=["name"],
    help={
        "name": "the new hub's name (its folder, Helm release and default namespace)",
        "cluster": "a folder under clusters/",
        "stage": "staging or prod (default prod)",
        "domain": "its host name (default: from --like, else the common suffix of the cluster's hubs)",
        "like": "start its values.yaml from this hub's (never its secrets or rendered file)",
    },
)
def new_hub(c, name, cluster, stage="prod", domain=None, like=None):
    """Add a hub: write hub.yaml and values.yaml, render and validate it, say what to edit next."""
    _run("new_hub", name=name, cluster=cluster, stage=stage, domain=domain, like=like)


@task(
    positional=["name"],
    help={
        "name": "the new cluster's name (its folder under clusters/)",
        "provider": "local | kubeconfig | gke | eks | aks",
        "context": "kubeconfig: the context",
        "file": "kubeconfig: a sops-encrypted kubeconfig in the cluster's folder",
        "project": "gke: the Google Cloud project",
        "location": "gke: region or zone",
        "cluster": "gke/eks/aks: the cloud's name of the cluster (default: NAME)",
        "region": "eks: the AWS region",
        "account": "eks: the AWS account id",
        "role_arn": "eks: an IAM role to assume",
        "resource_group": "aks: the resource group",
        "subscription": "aks: the subscription",
        "host": "local: the address local hubs listen on",
    },
)
def new_cluster(
    c,
    name,
    provider,
    context=None,
    file=None,
    project=None,
    location=None,
    cluster=None,
    region=None,
    account=None,
    role_arn=None,
    resource_group=None,
    subscription=None,
    host=None,
):
    """Add a cluster: write cluster.yaml and its values layer, check them, say what to do next."""
    settings = {
        "context": context,
        "file": file,
        "project": project,
        "location": location,
        "cluster": cluster,
        "region": region,
        "account": account,
        "role-arn": role_arn,
        "resource-group": resource_group,
        "subscription": subscription,
        "host": host,
    }
    _run("new_cluster", name=name, provider=provider, settings=settings)


@task(
    help={
        "hub": HUBS,
        "cluster": "only this cluster",
        "json": "print JSON (one object per release) instead of a table",
        "live": "also ask Helm on each cluster (`helm list`) and flag drift",
    },
    iterable=["hub"],
)
def status(c, hub=None, cluster=None, json=False, live=False):
    """What runs where: every hub and support release, its chart, domain and last change."""
    _run("status", hub=hub, cluster=cluster, as_json=json, live=live)


@task(help={"cluster": "the cluster whose temporary credentials the shell gets"})
def shell(c, cluster):
    """A shell (or `-- CMD ARGS`) with one cluster's credentials in KUBECONFIG, removed on exit."""
    _run("shell", cluster=cluster, command=after_dashes(c))


@task(
    help={
        "hub": "the hub",
        "component": "hub | proxy | autohttps | user:NAME (default hub)",
        "follow": "keep printing new lines (Ctrl-C stops)",
    }
)
def logs(c, hub, component="hub", follow=False):
    """A hub component's logs through kubectl, with its cluster's credentials."""
    _run("logs", hub=hub, component=component, follow=follow)


@task(
    name="chart-diff",
    help={
        "from": "the chart version the fleet's charts have now (e.g. 4.4.0)",
        "to": "the chart version to compare with (pulled into the chart cache)",
        "offline": "never fetch charts: both versions must be in the cache",
    },
)
def chart_diff(c, from_=None, to=None, offline=False):
    """List the chart's default and schema changes that reach hubs (keys they do not set)."""
    if not from_ or not to:
        raise Exit("chart-diff needs --from VERSION and --to VERSION", code=1)
    _run("chart_diff", from_version=from_, to_version=to, offline=offline)


ns = Collection(
    render,
    validate,
    plan,
    ci_plan,
    chart_diff,
    deploy,
    diff,
    replicate,
    health,
    stop,
    secrets,
    setup,
    new_hub,
    new_cluster,
    status,
    shell,
    logs,
    testcluster,
)
