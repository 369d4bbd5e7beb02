"""Which hubs a set of changed files touches (pure): `render --check` and `validate` of only those.

The pre-commit hooks pass the staged files; a file that is no fleet file touches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hubfleet.core import paths
from hubfleet.core.model import Chart, Hub

__all__ = ["hubs_touched"]


def hubs_touched(
    files: Iterable[str],
    hubs: Mapping[str, Hub],
    charts: Mapping[str, Chart],
    hub_folders: Iterable[str] = (),
) -> list[str] | None:
    """Sorted names of the hubs whose Helm input one of `files` (paths from the fleet root) is in;
    None when the files touch the whole fleet.

    `fleet.yaml`, the fleet's values and secrets levels, and any support release's file touch the
    whole fleet (support releases are rendered and checked with it); anything in `clusters/<c>/`
    the hubs on c; anything in `hubs/<h>/` hub h (also a folder that does not load: validate says
    why); a file in a chart folder the hubs on that chart; anything else nothing.
    """
    folders = set(hubs) | set(hub_folders)
    out: set[str] = set()
    for raw in files:
        f = raw.strip().removeprefix("./")
        parts = f.split("/")
        if f in (paths.FLEET_FILE, paths.FLEET_LAYER, paths.FLEET_SECRETS) or parts[0] == paths.SUPPORT:
            return None
        if parts[0] == paths.CLUSTERS and len(parts) > 3 and parts[2] == paths.SUPPORT:
            return None
        if parts[0] == paths.CLUSTERS and len(parts) > 2:
            out |= {h.name for h in hubs.values() if h.cluster == parts[1]}
        elif parts[0] == paths.HUBS and len(parts) > 2 and parts[1] in folders:
            out.add(parts[1])
        else:
            folders_hit = {
                key
                for key, chart in charts.items()
                if chart.kind == "path" and chart.path and (f + "/").startswith(chart.path.rstrip("/") + "/")
            }
            out |= {hub.name for hub in hubs.values() if hub.chart in folders_hit}
    return sorted(out)
