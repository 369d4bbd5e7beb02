"""Chart downgrades against the plan's base commit, for `invoke validate`.

A chart version lower than the one at the base (`git merge-base HEAD origin/main`, else HEAD~1,
as `invoke plan` compares) is a warning: Helm rolls the release back to an older chart whose
upgrade notes do not cover going back. The base side is cached by the commits HEAD and
origin/main point to (read from .git's files), so a warm validate runs no git at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hubfleet.adapters import gitrefs
from hubfleet.adapters.source import state_dir
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError, Problem
from hubfleet.core.model import Fleet
from hubfleet.core.versions import is_downgrade

__all__ = ["downgrade_problems"]


def downgrade_problems(root: Path, fleet: Fleet) -> list[Problem]:
    """A warning for each chart of fleet.yaml, and each hub that changed its chart key, whose
    version goes back against the base commit."""
    base = _base(root, fleet)
    if base is None:
        return []
    sha, charts, hub_charts = base["sha"], base["charts"], base["hubs"]
    out = []
    for key, chart in fleet.config.charts.items():
        was = charts.get(key)
        if was and was[0] == chart.name and is_downgrade(was[1], chart.version):
            out.append(
                _warning(paths.FLEET_FILE, ("charts", key, "version"), chart.name, was[1], chart.version, sha)
            )
    for name, old_key in hub_charts.items():
        hub = fleet.hubs.get(name)
        if hub is None or hub.chart == old_key or old_key not in charts:
            continue
        now, (old_name, old_version) = fleet.config.charts.get(hub.chart), charts[old_key]
        if now is not None and now.name == old_name and is_downgrade(old_version, now.version):
            out.append(_warning(hub.file, ("chart",), now.name, old_version, now.version, sha, name))
    return out


def _warning(
    file: str, keypath: tuple, name: str, was: str, now: str | None, sha: str, hub: str | None = None
):
    return Problem(
        file,
        f"{name} {was} -> {now} is a chart downgrade against {sha[:12]} (the plan's base): Helm rolls "
        f"back to an older chart, whose upgrade notes do not cover going back; "
        f"`invoke chart-diff --from {was} --to {now}` lists what changes for the hubs",
        keypath,
        severity="warning",
        hub=hub,
    )


def _base(root: Path, fleet: Fleet) -> dict[str, Any] | None:
    """{sha, charts: key -> (name, version), hubs: hub -> chart key (non-default ones)} at base."""
    refs = gitrefs.head_and_upstream(root)
    if refs is None:
        return None
    key = ":".join(refs)
    cache = state_dir(root) / "cache" / "chartbase.json"
    try:
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            return cached["base"]
    except (OSError, ValueError):
        pass
    base = _read_base(root, fleet)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "base": base}))
    tmp.replace(cache)
    return base


def _read_base(root: Path, fleet: Fleet) -> dict[str, Any] | None:
    from hubfleet.adapters import yamlio
    from hubfleet.adapters.gitsource import git
    from hubfleet.app.plan import default_base

    try:
        sha = default_base(root)
        prefix = git(["rev-parse", "--show-prefix"], root)
        doc = yamlio.parse(git(["show", f"{sha}:{prefix}{paths.FLEET_FILE}"], root).encode(), "fleet.yaml")
    except HubfleetError:  # no base commit, no fleet.yaml there, unreadable: nothing to compare with
        return None
    charts = {}
    for key, spec in (doc.get("charts") or {}).items():
        if isinstance(spec, dict) and spec.get("version") is not None:
            charts[str(key)] = (str(spec.get("name", key)), str(spec["version"]))
    hubs: dict[str, str] = {}
    for name, hub in fleet.hubs.items():
        if hub.chart == fleet.config.default_chart:
            continue  # only a hub that names a chart of its own can have switched to an older one
        try:
            text = git(["show", f"{sha}:{prefix}{paths.hub(name).hub_yaml}"], root)
            was = yamlio.parse(text.encode(), hub.file).get("chart") or doc.get("default_chart")
        except HubfleetError:  # a new hub, or unreadable at base
            continue
        if was:
            hubs[name] = str(was)
    return {"sha": sha, "charts": charts, "hubs": hubs}
