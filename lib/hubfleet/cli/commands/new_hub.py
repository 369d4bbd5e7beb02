"""`invoke new-hub NAME --cluster C [--stage S] [--domain D] [--like OTHER]`."""

from __future__ import annotations

from hubfleet.app.scaffold import describe, new_hub
from hubfleet.cli.boundary import console, print_problems


def run(
    name: str, cluster: str, stage: str = "prod", domain: str | None = None, like: str | None = None
) -> int:
    created = new_hub(name, cluster, stage=stage, domain=domain, like=like)
    console.print(f"new hub {name} on cluster {cluster} ({stage}):", markup=False)
    print_problems(created.problems)
    for line in describe(created):
        console.print(line, markup=False)
    return 0 if created.ok else 1
