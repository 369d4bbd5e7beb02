"""Render many hubs: all-or-nothing, in parallel where it pays, cached by content.

The imperative shell around `render.render_hub`: nothing is written unless every
requested hub renders, so a bad layer never leaves half the fleet re-rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hubfleet.adapters import parallel, userfiles
from hubfleet.app.load import layer_paths, located, parse_bytes
from hubfleet.app.render import Rendered, render_hub
from hubfleet.core import paths, policy
from hubfleet.core.errors import HubfleetError, Problem, ProblemsError, errors_only
from hubfleet.core.model import Fleet


def select_hubs(fleet: Fleet, names: Sequence[str] | None) -> list[str]:
    if names is None:
        return sorted(fleet.hubs)
    for name in names:
        fleet.hub(name)  # raises with a 'did you mean'
    return list(names)


def render_fleet(fleet: Fleet, names: Sequence[str] | None = None) -> list[Rendered]:
    """Render the named hubs (default: all, and every cluster's support releases); raise every
    problem found, located."""
    out, refused = render_what_can(fleet, names)
    if refused:
        raise ProblemsError(refused)
    return out


def render_what_can(fleet: Fleet, names: Sequence[str] | None = None) -> tuple[list[Rendered], list[Problem]]:
    """`render_fleet`, except that a hub whose hub.yaml was refused (a domain, namespace or local
    port another hub holds included) is left out with its problems, and the others render. Any
    other problem (a fleet-wide one, a layer that does not render) still raises, so nothing is
    written."""
    load_errors = errors_only(fleet.problems)
    held = [p for p in load_errors if p.hub in fleet.broken_hubs and (names is None or p.hub in names)]
    if any(p.hub not in fleet.broken_hubs for p in load_errors):
        raise ProblemsError(load_errors)
    out: list[Rendered] = []
    selected = [n for n in select_hubs(fleet, names) if n not in fleet.broken_hubs]
    # A rendered file is committed: no value the secret policy rejects may reach one. Shared layers
    # are checked once here; each hub's own layer by the worker that renders the hub.
    shared = dict.fromkeys(f for n in selected for f in layer_paths(fleet.hubs[n])[:-1])
    problems: list[Problem] = [p for f in shared for p in _secret_problems(fleet, f)]
    for done, found in parallel.chunked_map(_render_many, selected, {"fleet": fleet}):
        out += done
        problems += found
    if names is None:
        from hubfleet.app.support import render_all_support

        support, found = render_all_support(fleet)
        out += support
        problems += found
    out.sort(key=lambda r: r.hub)
    if problems:
        raise ProblemsError(list(dict.fromkeys(located(problems, fleet.source))))
    return out, held


def _render_many(names: list[str], ctx: Mapping[str, Any]) -> tuple[list[Rendered], list[Problem]]:
    fleet = ctx["fleet"]
    out, problems = [], []
    for name in names:
        try:
            out.append(render_hub(fleet, fleet.hubs[name]))
            problems += _secret_problems(fleet, layer_paths(fleet.hubs[name])[-1])
        except HubfleetError as e:
            problems.extend(e.problems or [Problem(paths.hub(name).folder, str(e))])
    return out, problems


def sops_problems(fleet: Fleet, names: Sequence[str]) -> list[Problem]:
    """What `invoke validate` says of the hubs' sops files (plaintext, a leaf in clear), each once,
    located: `render --check` refuses what deploy would fail on, without any key."""
    from hubfleet.app.support import read_secrets_doc  # the one reader of committed sops files

    files = dict.fromkeys(f for n in names for f in paths.secret_layers(n, fleet.hubs[n].cluster))
    return [p for f in files for p in read_secrets_doc(fleet, f)[1]]


def _secret_problems(fleet: Fleet, file: str) -> list[Problem]:
    """What `invoke validate` says of a plain layer's secret-looking values (render read it already)."""
    data = fleet.source.read(file)
    if data is None:
        return []
    return policy.secret_key_problems(file, parse_bytes(data, file, allow_empty=True))


def _current(root: Path, rel: str) -> str | None:
    """The rendered file as it is now; None if absent or not text; anything but a file raises."""
    data = userfiles.read_current(root, rel)
    try:
        return None if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def stale_files(root: Path, rendered: Sequence[Rendered]) -> list[str]:
    return [r.path for r in rendered if _current(root, r.path) != r.text]


def write_rendered(root: Path, rendered: Sequence[Rendered]) -> list[str]:
    """Write the changed files, all or none (`userfiles.replace_all`); the paths written."""
    changed = [r for r in rendered if _current(root, r.path) != r.text]
    userfiles.replace_all(root, [(r.path, r.text) for r in changed])
    return [r.path for r in changed]
