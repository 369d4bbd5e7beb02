"""`invoke replicate --hub H --out DIR`."""

from __future__ import annotations

from pathlib import Path

from hubfleet.app.load import load_work_tree
from hubfleet.app.replicate import write_replica
from hubfleet.cli.boundary import console
from hubfleet.cli.options import named


def run(hub: str, out: str) -> int:
    hub = named(hub, "hub")
    root, fleet = load_work_tree()
    target = Path(out).resolve()
    files = write_replica(root, fleet, hub, target)
    console.print(f"wrote {len(files)} files to {target}:", markup=False)
    for f in files:
        console.print(f"  {f.relative_to(target)}", markup=False)
    console.print(f"deploy with: {target / 'deploy.sh'} --kube-context <context>", markup=False)
    return 0
