"""A plan for people and machines: a console table, the contract's JSON, a PR comment.

The Markdown comment shows a table per cluster, each hub's rendered-values diff in
a collapsible block (secrets never: only that the file changed) and a Mermaid
graph of the rollout order. `read_plan_json` is what `invoke deploy --plan` reads.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.table import Table

from . import yamlio
from .errors import HubfleetError, Problem, ProblemsError, os_problem
from .model import Rollout
from .plan import Plan, PlannedHub, Removed, canary_first, order_key

__all__ = ["console_table", "markdown", "read_plan_json", "write_json"]

COMMENT_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
MAX_GRAPH_PROD = 6  # prod hubs drawn one by one per cluster before they fold into one node
SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


# --- console -------------------------------------------------------------------------------


def console_table(plan: Plan) -> Table:
    title = f"plan {plan.base[:12]} -> {plan.head[:12]}: {len(plan.hubs)} hub(s) to deploy"
    table = Table(title=title, title_justify="left")
    for col in ("cluster", "stage", "hub", "why"):
        table.add_column(col, overflow="fold")
    for h in plan.hubs:
        table.add_row(h.cluster, h.stage, h.name, "; ".join(h.reasons))
    for r in plan.removed:
        table.add_row(r.cluster, "", r.name, "[yellow]removed from the repo (left installed)")
    return table


# --- JSON ------------------------------------------------------------------------------------


def write_json(plan: Plan, path: Path) -> None:
    write_output(path, json.dumps(plan.to_json(), indent=2) + "\n")


def write_output(path: Path, text: str) -> None:
    """Write a file the user named (--json, --markdown); a bad path is one line, not a crash."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise os_problem(path, "write", e) from None


_TOP = {"base": str, "head": str, "hubs": list, "removed": list}
_HUB = {"name": str, "cluster": str, "stage": str, "reasons": list}
_REMOVED = {"name": str, "cluster": str}


def read_plan_json(path: str | Path) -> Plan:
    """Read and check a plan file (from `invoke plan --json`); every problem is one located line."""
    file = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubfleetError(f"{file}: no such plan file (make one with `invoke plan --json FILE`)") from None
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise HubfleetError(f"{file}: cannot read plan file: {e}") from None
    except json.JSONDecodeError as e:
        raise HubfleetError.at(file, f"not JSON: {e.msg}", line=e.lineno) from None
    problems = _shape(doc, _TOP, (), file)
    if problems:
        raise ProblemsError(problems)
    for key in ("base", "head"):
        if not SHA.match(doc[key]):
            problems.append(Problem(file, f"must be a full commit SHA (got {doc[key]!r})", (key,)))
    hubs, removed, seen = [], [], set()
    for i, item in enumerate(doc["hubs"]):
        found = _shape(item, _HUB, ("hubs", i), file)
        if not found and item["stage"] not in ("staging", "prod"):
            found.append(
                Problem(file, f"must be staging or prod (got {item['stage']!r})", ("hubs", i, "stage"))
            )
        if not found and not all(isinstance(r, str) for r in item["reasons"]):
            found.append(Problem(file, "must be a list of strings", ("hubs", i, "reasons")))
        if not found and item["name"] in seen:
            found.append(Problem(file, f"hub {item['name']} is listed twice", ("hubs", i, "name")))
        problems += found
        if not found:
            seen.add(item["name"])
            hubs.append(PlannedHub(item["name"], item["cluster"], item["stage"], tuple(item["reasons"])))
    for i, item in enumerate(doc["removed"]):
        found = _shape(item, _REMOVED, ("removed", i), file)
        problems += found
        if not found:
            removed.append(Removed(item["name"], item["cluster"]))
    if problems:
        raise ProblemsError(problems)
    hubs.sort(key=lambda h: order_key(h.cluster, h.stage, h.name))
    return Plan(doc["base"], doc["head"], tuple(hubs), tuple(removed))


def _shape(doc: Any, fields: Mapping[str, type], where: tuple, file: str) -> list[Problem]:
    """Exactly these keys, each of its type (no extra keys: the contract's shape is exact)."""
    if not isinstance(doc, dict):
        return [Problem(file, f"must be an object with keys {', '.join(fields)}", where)]
    out = [Problem(file, "required key is missing", (*where, k)) for k in fields if k not in doc]
    out += [
        Problem(file, f"unknown key; allowed: {', '.join(fields)}", (*where, k))
        for k in doc
        if k not in fields
    ]
    for key, kind in fields.items():
        value = doc.get(key)
        if key in doc and (not isinstance(value, kind) or (kind is str and not value)):
            what = "a non-empty string" if kind is str else f"a {'list' if kind is list else kind.__name__}"
            out.append(Problem(file, f"must be {what} (got {value!r})", (*where, key)))
    return out


# --- Markdown --------------------------------------------------------------------------------


def markdown(plan: Plan, settings: Rollout | None = None) -> str:
    """The pull-request comment."""
    settings = settings or Rollout()
    clusters = plan.clusters()
    out = [
        f"## hubfleet plan `{plan.base[:12]}` → `{plan.head[:12]}`",
        "",
        f"**{len(plan.hubs)} hub(s)** to deploy on **{len(clusters)} cluster(s)**"
        + (f"; {len(plan.removed)} removed from the repository." if plan.removed else "."),
    ]
    if not plan.hubs and not plan.removed:
        out += ["", "Nothing to deploy: no hub's Helm input changed."]
    diffs_left = COMMENT_LIMIT
    dropped = 0
    for cluster in clusters:
        hubs = [h for h in plan.hubs if h.cluster == cluster]
        out += ["", f"### Cluster `{cluster}`", "", "| hub | stage | why |", "|---|---|---|"]
        out += [f"| `{h.name}` | {h.stage} | {_cell('; '.join(h.reasons))} |" for h in hubs]
        for h in hubs:
            block = _diff_block(h)
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
    if plan.hubs:
        out += ["", "### Rollout order", "", "```mermaid", *mermaid(plan, settings), "```"]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _diff_block(h: PlannedHub) -> str:
    """A collapsible unified diff of the rendered values (no secrets are ever in them)."""
    before = yamlio.dump(dict(h.before)).splitlines(keepends=True) if h.before is not None else []
    after = yamlio.dump(dict(h.after)).splitlines(keepends=True) if h.after is not None else []
    if h.after is None or before == after:
        return ""
    path = f"hubs/{h.name}/rendered.values.yaml"
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
    blocks = {c: _cluster_graph(ids[c], c, [h for h in plan.hubs if h.cluster == c]) for c in clusters}
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


def _cluster_graph(cid: str, cluster: str, hubs: list[PlannedHub]) -> list[str]:
    staging = [h for h in hubs if h.stage == "staging"]
    prod = [h for h in hubs if h.stage != "staging"]
    out = [f'  subgraph {cid}["{_label(cluster)}"]']
    nodes = [f'{cid}s{i}["{_label(h.name)}"]' for i, h in enumerate(staging)]
    if len(prod) > MAX_GRAPH_PROD:
        prod_nodes = [f'{cid}p["{len(prod)} prod hubs"]']
    else:
        prod_nodes = [f'{cid}p{i}["{_label(h.name)}"]' for i, h in enumerate(prod)]
    if staging:
        health = f'{cid}h{{"health"}}'
        out += [f"    {n} --> {health}" for n in nodes]
        out += [f"    {cid}h --> {n}" for n in prod_nodes]
    else:
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


def main(argv: list[str]) -> int:
    """`python -m hubfleet.planreport matrix PLAN.json`: the deploy matrix as one JSON line."""
    import sys

    from .cli import boundary

    if len(argv) != 2 or argv[0] != "matrix":
        print("usage: python -m hubfleet.planreport matrix PLAN.json", file=sys.stderr)
        return 2

    def matrix() -> int:
        from .load import load_fleet
        from .source import DirSource, find_root

        fleet = load_fleet(DirSource(find_root()))
        providers = {name: c.provider for name, c in fleet.clusters.items()}
        print(json.dumps(ci_matrix(read_plan_json(argv[1]), providers)))
        return 0

    return boundary(matrix)


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
