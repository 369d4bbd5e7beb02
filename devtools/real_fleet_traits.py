"""Run the JupyterHub-aware checks over every hub of a real public fleet: count what they report.

    python devtools/real_fleet_traits.py GIT_DIR [--rev HEAD] [--catalogue 4.4.0] [--list]

GIT_DIR is a clone (bare is fine) of 2i2c-org/infrastructure; nothing of it is copied: every file is
read with `git show REV:path`. For each hub of each `config/clusters/*/cluster.yaml` the values are
composed as 2i2c's deployer does (the jupyterhub chart's defaults, basehub's `values.yaml`, then the
hub's `helm_chart_values_files` in order; encrypted ones skipped; daskhub nests basehub under
`basehub:`), and `hubfleet.core.hubconfig.check` runs on the result twice: as `invoke validate`
judges it (2i2c's own hub image makes unknown classes and traits warnings), and strictly, as if
the hubs ran the chart's own hub image (every finding an error would then be). Prints the counts
and each distinct finding of the chosen severity.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from hubfleet.adapters import traitdata, yamlio
from hubfleet.core.hubconfig import Z2jh, check
from hubfleet.core.tree import coalesce, sets

SHARED = Path(os.environ.get("HUBFLEET_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
SHARED = SHARED / "charts" / "repo"


def git_show(git_dir: str, rev: str, path: str) -> bytes | None:
    done = subprocess.run(["git", "--git-dir", git_dir, "show", f"{rev}:{path}"], capture_output=True)
    return done.stdout if done.returncode == 0 else None


def parse(data: bytes | None, name: str) -> dict[str, Any]:
    return yamlio.parse(data, name, allow_empty=True, strict=False) if data else {}


def chart_defaults(version: str) -> dict[str, Any]:
    """The jupyterhub chart's values.yaml from the packaged chart in ../shared (the nearest one)."""
    tgz = SHARED / f"jupyterhub-{version}.tgz"
    if not tgz.exists():
        tgz = SHARED / "jupyterhub-4.4.0.tgz"
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("jupyterhub/values.yaml")
        return parse(member.read() if member else None, str(tgz))


def hubs(git_dir: str, rev: str) -> list[tuple[str, str, str, list[str]]]:
    """(cluster, hub, helm_chart, values files) of every hub."""
    listing = subprocess.run(
        ["git", "--git-dir", git_dir, "ls-tree", "--name-only", rev, "config/clusters/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    out = []
    for folder in listing:
        cluster = parse(git_show(git_dir, rev, f"{folder}/cluster.yaml"), f"{folder}/cluster.yaml")
        for hub in cluster.get("hubs") or []:
            files = [f for f in hub.get("helm_chart_values_files") or [] if "secret" not in f]
            out.append((folder, str(hub.get("name")), str(hub.get("helm_chart", "basehub")), files))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--catalogue", default="4.4.0", help="chart version whose catalogue to check against")
    parser.add_argument("--list", default="error", choices=["error", "warning", "info", "none"])
    args = parser.parse_args()
    cat = traitdata.catalogue(args.catalogue)
    if cat is None:
        sys.exit(f"no catalogue for {args.catalogue}: {traitdata.known_versions()}")
    base_file = "helm-charts/basehub/values.yaml"
    basehub = parse(git_show(args.git_dir, args.rev, base_file), base_file).get("jupyterhub") or {}
    defaults = chart_defaults(args.catalogue)
    counts: dict[str, collections.Counter] = {
        "validate": collections.Counter(),
        "strict": collections.Counter(),
    }
    seen: dict[str, dict[str, set[str]]] = {"validate": {}, "strict": {}}
    all_hubs = hubs(args.git_dir, args.rev)
    for folder, name, chart, files in all_hubs:
        layers = [(base_file, basehub)]
        for f in files:
            data = parse(git_show(args.git_dir, args.rev, f"{folder}/{f}"), f"{folder}/{f}")
            part = data.get("basehub", {}) if chart == "daskhub" else data
            layers.append((f"{folder}/{f}", (part or {}).get("jupyterhub") or {}))
        values = defaults
        for _, layer in layers:
            values = coalesce(values, layer)

        def file_of(keypath, layers=layers):
            return next((f for f, data in reversed(layers) if sets(data, keypath)), None)

        for mode in ("validate", "strict"):
            z2jh = Z2jh((), cat, args.catalogue)
            if mode == "strict":  # as if on the chart's own hub image: no custom-image leniency
                values = coalesce(
                    values, {"hub": {"image": {"name": cat.hub_image_name, "tag": cat.hub_image_tag}}}
                )
            for p in check(values, z2jh, file_of, f"{folder}/{name}", [f for f, _ in layers]):
                counts[mode][p.severity] += 1
                seen[mode].setdefault(p.severity, set()).add(str(p))
    print(f"{len(all_hubs)} hubs in {args.git_dir} at {args.rev}, catalogue jupyterhub {args.catalogue}")
    for mode in counts:
        distinct = {s: len(v) for s, v in seen[mode].items()}
        print(f"  {mode:8}: {dict(counts[mode])} findings; distinct {distinct}")
    if args.list != "none":
        for mode in counts:
            for line in sorted(seen[mode].get(args.list, ())):
                print(f"[{mode}] {line}")


if __name__ == "__main__":
    main()
