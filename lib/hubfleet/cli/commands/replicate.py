"""`invoke replicate --hub H --out DIR`."""

from __future__ import annotations

from pathlib import Path

from ..cli import console
from ..load import load_fleet
from ..replicate import write_replica
from ..source import DirSource, find_root


def run(hub: str, out: str) -> int:
    root = find_root()
    fleet = load_fleet(DirSource(root))
    target = Path(out).resolve()
    files = write_replica(root, fleet, hub, target)
    console.print(f"wrote {len(files)} files to {target}:", markup=False)
    for f in files:
        console.print(f"  {f.relative_to(target)}", markup=False)
    console.print(f"deploy with: {target / 'deploy.sh'} --kube-context <context>", markup=False)
    return 0
