"""`invoke new-cluster NAME --provider P [provider options]`."""

from __future__ import annotations

from collections.abc import Mapping

from hubfleet.app.scaffold import describe, new_cluster
from hubfleet.cli.boundary import console, print_problems


def run(name: str, provider: str, settings: Mapping[str, str | None] | None = None) -> int:
    created = new_cluster(name, provider, settings or {})
    console.print(f"new cluster {name} ({provider}):", markup=False)
    print_problems(created.problems)
    for line in describe(created):
        console.print(line, markup=False)
    return 0 if created.ok else 1
