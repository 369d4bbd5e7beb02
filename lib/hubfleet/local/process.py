"""Detached hub processes: start, find, wait for, stop (the one place that spawns daemons).

`runner.run` waits for its command; a hub must outlive `invoke deploy`, so it starts
here, in its own session, logging to a file. JupyterHub starts the proxy and the
single-user servers in sessions of their own, so one process group is not enough:
every process of a hub carries `HUBFLEET_LOCAL_HUB=<state dir>` in its environment
(the spawner's `environment` passes it to servers and their kernels, each managed service's
to the idle culler), and `stop` ends all processes carrying it, plus the hub's descendants.
A pid from `hub.pid` is used only when it provably is our hub (`read_pid`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from hubfleet.adapters.runner import spawn
from hubfleet.core.errors import HubfleetError
from hubfleet.local.config import MARKER

if TYPE_CHECKING:
    import psutil

_children: dict[int, subprocess.Popen] = {}  # hubs this process started, reaped on stop


def _psutil() -> ModuleType:
    """psutil, from the `[local]` extra: imported on first use, so a base install imports this module."""
    try:
        import psutil
    except ModuleNotFoundError:
        raise HubfleetError(
            "the local cluster needs hubfleet's `local` extra (psutil, jupyterhub): "
            "pip install 'hubfleet[local]'"
        ) from None
    return psutil


def start(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path) -> int:
    """Start `argv` detached (own session, stdin closed, output appended to `log`); its pid."""
    with open(log, "ab") as out:
        proc = spawn(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    _children[proc.pid] = proc
    return proc.pid


def alive(pid: int | None) -> bool:
    """True for a running (not zombie) process."""
    psutil = _psutil()
    if not pid:
        return False
    if pid in _children and _children[pid].poll() is not None:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def write_pid(pidfile: Path, pid: int, state: Path) -> None:
    """Record the hub's pid with what proves it ours later: start time, command line, marker."""
    psutil = _psutil()
    proc = psutil.Process(pid)
    record = {"pid": pid, "started": _started(proc), "cmdline": proc.cmdline(), "marker": str(state)}
    pidfile.write_text(json.dumps(record))


def _started(proc: psutil.Process) -> float:
    """When `proc` started: its start in clock ticks since boot where /proc has it (immune to the
    wall clock being set, which moves psutil's `create_time`), else `create_time` to 0.01 s."""
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return float(fields[19])
    except (OSError, IndexError, ValueError):
        return round(proc.create_time(), 2)


def read_pid(pidfile: Path) -> int | None:
    """The pid in `pidfile` if that process is provably the hub we started, else None.

    Ours only when its start time and command line are the ones recorded and it carries our
    marker (`HUBFLEET_LOCAL_HUB=<state dir>`): a stale pid file, a reused pid or a hand-written one
    names someone else's process, which is never signalled."""
    psutil = _psutil()
    try:
        record = json.loads(pidfile.read_text())
        pid, started, cmdline = int(record["pid"]), float(record["started"]), list(record["cmdline"])
        marker = str(record["marker"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None  # absent, or an old plain-number file: nothing proves whose pid it is
    if marker != str(pidfile.parent):
        return None
    try:
        proc = psutil.Process(pid)
        if _started(proc) != started or proc.cmdline() != cmdline:
            return None
        if proc.environ().get(MARKER) != marker:
            return None
    except psutil.Error:
        return None
    return pid


def processes_of(state: Path, pid: int | None = None) -> list[psutil.Process]:
    """Every live process of the hub in `state`: the hub, its descendants, and marked ones."""
    psutil = _psutil()
    found: dict[int, psutil.Process] = {}
    if pid and alive(pid):
        with contextlib.suppress(psutil.Error):
            hub = psutil.Process(pid)
            for p in [hub, *hub.children(recursive=True)]:
                found[p.pid] = p
    marker = str(state)
    for p in psutil.process_iter():
        if p.pid in found or p.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error):
            if p.environ().get(MARKER) == marker:
                found[p.pid] = p
    return [p for p in found.values() if _running(p)]


def _running(p: psutil.Process) -> bool:
    psutil = _psutil()
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop(state: Path, pid: int | None, *, grace: float = 8.0) -> list[int]:
    """End the hub gracefully (it stops its servers and proxy), then anything left. Idempotent."""
    psutil = _psutil()
    procs = processes_of(state, pid)
    if pid and alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        _wait([p for p in procs if p.pid == pid], grace)
    rest = [p for p in procs if _running(p)]
    for p in rest:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    left = _wait(rest, 3.0)
    for p in left:  # whole groups: a kernel that ignores SIGTERM goes with its server
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(p.pid), signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            p.kill()
    _wait(left, 3.0)
    late = [p for p in processes_of(state) if p.pid not in {q.pid for q in procs}]
    for p in late:  # started while the hub stopped (a proxy restarted on its way out)
        with contextlib.suppress(psutil.Error):
            p.kill()
    _wait(late, 3.0)
    _reap()
    return [p.pid for p in procs + late]


def _wait(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    _reap()
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in procs if _running(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)
        _reap()


def _reap() -> None:
    for pid, proc in list(_children.items()):
        if proc.poll() is not None:
            _children.pop(pid, None)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def port_owner(port: int) -> str:
    """`pid 123 (nginx)` listening on `port`, as far as this user may see."""
    psutil = _psutil()
    with contextlib.suppress(psutil.Error, PermissionError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                with contextlib.suppress(psutil.Error):
                    return f"pid {conn.pid} ({psutil.Process(conn.pid).name()})"
                return f"pid {conn.pid}"
    return "another program"


def free_port(avoid: Sequence[int] = ()) -> int:
    """A loopback port nothing listens on now (the kernel's pick)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


def log_tail(log: Path, lines: int = 12) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text[-lines:])
