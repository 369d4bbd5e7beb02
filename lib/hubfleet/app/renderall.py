"""Render many hubs: all-or-nothing, in parallel where it pays, cached by content.

The imperative shell around `render.render_hub`: nothing is written unless every
requested hub renders, so a bad layer never leaves half the fleet re-rendered.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hubfleet.adapters import parallel
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
    load_errors = errors_only(fleet.problems)
    if load_errors:
        raise ProblemsError(load_errors)
    out: list[Rendered] = []
    selected = select_hubs(fleet, names)
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
    return out


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


def _secret_problems(fleet: Fleet, file: str) -> list[Problem]:
    """What `invoke validate` says of a plain layer's secret-looking values (render read it already)."""
    data = fleet.source.read(file)
    if data is None:
        return []
    return policy.secret_key_problems(file, parse_bytes(data, file, allow_empty=True))


def _current(root: Path, rel: str) -> str | None:
    """The rendered file as it is now; None if absent or not text; a folder in its place raises."""
    target = _confined_target(root, rel)
    try:
        return target.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    except IsADirectoryError:
        raise HubfleetError.at(rel, "is a folder, not a file: remove it, then `invoke render`") from None


def _confined_target(root: Path, rel: str) -> Path:
    """`root/rel`, refused if its folder leads outside the fleet or it is a link: render writes
    only real files inside the fleet, never through a symlink."""
    path = root / rel
    real_root = Path(os.path.realpath(root))
    folder = Path(os.path.realpath(path.parent))
    if not folder.is_relative_to(real_root):
        raise HubfleetError.at(
            rel, f"its folder leads outside the fleet (to {folder}): render writes only inside it"
        )
    if path.is_symlink():
        raise HubfleetError.at(
            rel, f"is a symlink (to {os.readlink(path)}): render writes only real files; remove it"
        )
    return path


def stale_files(root: Path, rendered: Sequence[Rendered]) -> list[str]:
    return [r.path for r in rendered if _current(root, r.path) != r.text]


_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def write_rendered(root: Path, rendered: Sequence[Rendered]) -> list[str]:
    """Write changed files all or nothing; return the paths written.

    Every target is checked, then every new text written to a temp file beside its target; only
    when all are written are they renamed into place, with Ctrl-C and SIGTERM held back for those
    few renames. A failure or an interrupt before that removes every temp file and changes nothing.
    """
    changed = [r for r in rendered if _current(root, r.path) != r.text]
    temps: list[tuple[Path, Path]] = []
    try:
        for r in changed:
            path = _confined_target(root, r.path)
            path.parent.mkdir(parents=True, exist_ok=True)  # clusters/<c>/support/ may be new
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temps.append((tmp, path))
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(r.text)
        held = _hold_signals()
        try:
            for tmp, path in temps:
                os.replace(tmp, path)
        finally:
            _release_signals(held)
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return [r.path for r in changed]


def _hold_signals() -> set[signal.Signals] | None:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def _release_signals(previous: set[signal.Signals] | None) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a held signal is delivered now
