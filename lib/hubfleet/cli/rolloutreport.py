"""A rollout's results for people: the pruned hubs' table and the Markdown job summary."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from hubfleet.core.plan import Removed
from hubfleet.core.rollout import Result, RolloutReport, result_rows

__all__ = ["markdown", "prune_table"]


def prune_table(results: Sequence[Result], removed: Sequence[Removed]) -> Table:
    table = Table(title="pruned (removed from the repository)", title_justify="left")
    for col in ("hub", "cluster", "result"):
        table.add_column(col)
    for r, gone in zip(results, removed, strict=True):
        style = "green" if r.ok else "red"
        table.add_row(r.hub, gone.cluster, f"[{style}]{'ok' if r.ok else 'failed'}: {_escape(r.message)}")
    return table


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: RolloutReport, pruned: Sequence[Result] = (), removed: Sequence[Removed] = ()) -> str:
    """Pure: the results table as Markdown (CI appends it to the job summary)."""
    failed = len(report.by_status("failed"))
    skipped = len(report.by_status("skipped"))
    head = f"### hubfleet rollout: {len(report.outcomes)} hub(s), {failed} failed, {skipped} skipped"
    out = [head, "", "| hub | cluster | stage | result | health | duration |", "|---|---|---|---|---|---|"]
    out += [f"| `{h}` | {c} | {s} | {_cell(r)} | {hl} | {d} |" for h, c, s, r, hl, d in result_rows(report)]
    if pruned:
        out += ["", "| removed hub | result |", "|---|---|"]
        out += [f"| `{r.hub}` | {'ok' if r.ok else 'failed'}: {_cell(r.message)} |" for r in pruned]
    return "\n".join(out) + "\n"
