"""A plan for people and machines: a console table, the contract's JSON, a PR comment.

The Markdown comment shows a table per cluster, each hub's rendered-values diff in
a collapsible block (secrets never: only that the file changed) and a Mermaid
graph of the rollout order. `read_plan_json` is what `invoke deploy --plan` reads.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from hubfleet.adapters import yamlio
from hubfleet.core import paths
from hubfleet.core.model import Rollout
from hubfleet.core.plan import Plan, PlannedHub, PlannedSupport, canary_first

__all__ = ["ci_matrix", "console_table", "markdown", "mermaid"]

COMMENT_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
MAX_GRAPH_PROD = 6  # prod hubs drawn one by one per cluster before they fold into one node
SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


# --- console -------------------------------------------------------------------------------


def console_table(plan: Plan) -> Group:
    """The plan as a title line and a table (a Table's own title folds to the table's width)."""
    title = f"plan {plan.base[:12]} -> {plan.head[:12]}: {len(plan.hubs)} hub(s) to deploy"
    if plan.support:
        title += f", {len(plan.support)} support release(s)"
    table = Table()
    for col in ("cluster", "stage", "hub", "why"):
        table.add_column(col, overflow="fold")
    for s in plan.support:  # they deploy first on their cluster
        table.add_row(s.cluster, "support", s.name, "; ".join(s.reasons))
    for h in plan.hubs:
        table.add_row(h.cluster, h.stage, h.name, "; ".join(h.reasons))
    for r in plan.removed:
        table.add_row(r.cluster, "", r.name, "[yellow]removed from the repo (left installed)")
    return Group(Text(title, style="italic"), table)


# --- Markdown --------------------------------------------------------------------------------


def markdown(
    plan: Plan,
    settings: Rollout | None = None,
    *,
    bumps: Sequence[Any] = (),
    warnings: Sequence[str] = (),
) -> str:
    """The pull-request comment; `bumps`: chart-version changes (hubfleet.app.chartbump.ChartBump)."""
    settings = settings or Rollout()
    by_hub = {b.hub: b for b in bumps}
    clusters = plan.clusters()
    out = [
        f"## hubfleet plan `{plan.base[:12]}` → `{plan.head[:12]}`",
        "",
        f"**{len(plan.hubs)} hub(s)**"
        + (f" and **{len(plan.support)} support release(s)**" if plan.support else "")
        + f" to deploy on **{len(clusters)} cluster(s)**"
        + (f"; {len(plan.removed)} removed from the repository." if plan.removed else "."),
    ]
    if not plan.hubs and not plan.removed and not plan.support:
        out += ["", "Nothing to deploy: no hub's or support release's Helm input changed."]
    out += [f"\n> **warning:** {_cell(w)}" for w in warnings]
    diffs_left = COMMENT_LIMIT
    dropped = 0
    for cluster in clusters:
        hubs = [h for h in plan.hubs if h.cluster == cluster]
        support = [s for s in plan.support if s.cluster == cluster]
        out += ["", f"### Cluster `{cluster}`", "", "| release | stage | why |", "|---|---|---|"]
        out += [f"| `{s.name}` | support | {_cell('; '.join(s.reasons))} |" for s in support]
        out += [f"| `{h.name}` | {h.stage} | {_cell('; '.join(h.reasons))} |" for h in hubs]
        for h in [*support, *hubs]:
            bump = by_hub.get(h.name) if isinstance(h, PlannedHub) else None
            block = "\n\n".join(b for b in (_diff_block(h), _bump_block(bump)) if b)
            if not block:
                continue
            if len(block) > diffs_left:
                dropped += 1
                continue
            diffs_left -= len(block)
            out += ["", block]
    if dropped:
        out += ["", f"_Diffs of {dropped} more hub(s) left out (comment size limit): run `invoke plan`._"]
    if plan.removed:
        out += [
            "",
            "### Removed (not uninstalled: run `helm uninstall` by hand once you are sure)",
            "",
            "| hub | cluster |",
            "|---|---|",
        ]
        out += [f"| `{r.name}` | `{r.cluster}` |" for r in plan.removed]
    if plan.hubs or plan.support:
        out += ["", "### Rollout order", "", "```mermaid", *mermaid(plan, settings), "```"]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fenced(text: str, kind: str = "diff") -> list[str]:
    fence = "```"
    while fence in text:
        fence += "`"
    return [f"{fence}{kind}", text.rstrip("\n"), fence]


def _bump_block(bump: Any) -> str:
    """A chart version change: the hub's manifest diff and the chart defaults it inherits, collapsed."""
    if bump is None:
        return ""
    if bump.note:
        return f"_`{bump.hub}`: chart {bump.label}: {bump.note}_" if bump.label else f"_{bump.note}_"
    changed = sum(1 for line in bump.manifest_diff.splitlines() if line.startswith("--- "))
    out = [
        f"<details><summary><code>{bump.hub}</code>: chart {bump.label}: manifests "
        f"({changed} object(s) changed beyond the chart-version labels; Secret data redacted)</summary>",
        "",
    ]
    out += _fenced(bump.manifest_diff) if bump.manifest_diff else ["No manifest changes."]
    if bump.defaults:
        out += ["", "Chart defaults that changed, for keys this hub does not set:", ""]
        out += [f"- `{_cell(line)}`" for line in bump.defaults]
    out += ["", "</details>"]
    return "\n".join(out)


def _diff_block(h: PlannedHub | PlannedSupport) -> str:
    """A collapsible unified diff of the rendered values (no secrets are ever in them)."""
    before = yamlio.dump(dict(h.before)).splitlines(keepends=True) if h.before is not None else []
    after = yamlio.dump(dict(h.after)).splitlines(keepends=True) if h.after is not None else []
    if h.after is None or before == after:
        return ""
    if isinstance(h, PlannedSupport):
        path = paths.support(h.cluster, h.name).rendered
    else:
        path = paths.hub(h.name).rendered
    diff = "".join(difflib.unified_diff(before, after, f"base/{path}", f"head/{path}", n=3))
    fence = "```"
    while fence in diff:
        fence += "`"
    return "\n".join(
        [
            f"<details><summary><code>{h.name}</code>: rendered values diff</summary>",
            "",
            f"{fence}diff",
            diff.rstrip("\n"),
            fence,
            "",
            "</details>",
        ]
    )


def mermaid(plan: Plan, settings: Rollout) -> list[str]:
    """`graph LR`: per cluster staging -> health -> prod; canary clusters as a first wave."""
    clusters = plan.clusters()
    lines = ["graph LR"]
    ids = {c: f"c{i}" for i, c in enumerate(clusters)}
    blocks = {
        c: _cluster_graph(
            ids[c],
            c,
            [h for h in plan.hubs if h.cluster == c],
            [s.name for s in plan.support if s.cluster == c],
        )
        for c in clusters
    }
    canary = [c for c in clusters if c in settings.canary.clusters]
    if canary and canary_first(plan.hubs, settings.canary):
        rest = [c for c in clusters if c not in canary]
        lines.append('  subgraph w1["wave 1: canary"]')
        lines += ["  " + line for c in canary for line in blocks[c]]
        lines.append("  end")
        if rest:
            lines.append('  subgraph w2["wave 2: only if every canary cluster succeeded"]')
            lines += ["  " + line for c in rest for line in blocks[c]]
            lines.append("  end")
            lines.append("  w1 ==> w2")
        return lines
    for c in clusters:
        lines += blocks[c]
    return lines


def _cluster_graph(cid: str, cluster: str, hubs: list[PlannedHub], support: Sequence[str] = ()) -> list[str]:
    """support releases in order, then staging -> health -> prod."""
    staging = [h for h in hubs if h.stage == "staging"]
    prod = [h for h in hubs if h.stage != "staging"]
    out = [f'  subgraph {cid}["{_label(cluster)}"]']
    chain = [f'{cid}x{i}["{_label(name)} (support)"]' for i, name in enumerate(support)]
    out += [f"    {a} --> {b}" for a, b in itertools.pairwise(chain)]
    if chain and len(chain) == 1 and not hubs:
        out.append(f"    {chain[0]}")
    last = chain[-1].split("[", 1)[0] if chain else None
    nodes = [f'{cid}s{i}["{_label(h.name)}"]' for i, h in enumerate(staging)]
    if len(prod) > MAX_GRAPH_PROD:
        prod_nodes = [f'{cid}p["{len(prod)} prod hubs"]']
    else:
        prod_nodes = [f'{cid}p{i}["{_label(h.name)}"]' for i, h in enumerate(prod)]
    first = nodes if staging else prod_nodes  # what the last support release leads to
    if last is not None:
        out += [f"    {last} --> {n}" for n in first]
    if staging:
        health = f'{cid}h{{"health"}}'
        out += [f"    {n} --> {health}" for n in nodes]
        out += [f"    {cid}h --> {n}" for n in prod_nodes]
    elif last is None:
        out += [f"    {n}" for n in prod_nodes]
    out.append("  end")
    return out


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


# --- CI: the deploy matrix ---------------------------------------------------------------------


def ci_matrix(plan: Plan, providers: Mapping[str, str]) -> dict[str, Any]:
    """`{"include": [{"cluster", "provider"}, ...]}`: one entry per planned cluster that CI can reach
    (hubs on `provider: local` clusters run on a workstation, never from CI)."""
    include = [
        {"cluster": c, "provider": providers.get(c, "")}
        for c in plan.clusters()
        if providers.get(c) != "local"
    ]
    return {"include": include}
