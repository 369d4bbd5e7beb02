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

PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700  # a local hub's state: its owner's alone
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
    """Start `argv` detached (own session, stdin closed, output appended to `log`); its pid.

    The process and all it starts create files for its owner only (umask 077): the hub's
    database, its users' homes and their notebooks."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)  # a log kept from before
    with os.fdopen(fd, "ab") as out:
        proc = spawn(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, umask=0o077)
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


class Undecided(HubfleetError):
    """The process a pid file names started when recorded, but who it is cannot be read now."""


def write_pid(pidfile: Path, pid: int, state: Path, argv: Sequence[str]) -> None:
    """Record the hub's identity from what is known at spawn time: its pid, its start time (set at
    fork), the argv it was given and the marker. Nothing is read from its memory: between exec and
    the new program's set-up, its command line and environment read empty."""
    psutil = _psutil()
    record = {"pid": pid, "started": _started(psutil.Process(pid)), "argv": list(argv), "marker": str(state)}
    write_private(pidfile, json.dumps(record))


def start_ticks(pid: int) -> float | None:
    """When process `pid` started, in clock ticks since boot (immune to the wall clock being set),
    from /proc; None where /proc does not say (no such process, or not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return float(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _started(proc: psutil.Process) -> float:
    """When `proc` started: `start_ticks`, else psutil's `create_time` to 0.01 s."""
    ticks = start_ticks(proc.pid)
    return round(proc.create_time(), 2) if ticks is None else ticks


STOP_DEADLINE = 60.0  # seconds `stop` keeps ending a hub's processes until none is left
SETTLE = 5.0  # seconds a process that started when recorded may take to show its command line


def read_pid(pidfile: Path, *, settle: float | None = None) -> int | None:
    """The pid in `pidfile` if that process is provably the hub we started, else None.

    Ours only when it started at the recorded time, runs the argv we gave it and carries our
    marker (`HUBFLEET_LOCAL_HUB=<state dir>`): a stale pid file, a reused pid or a hand-written one
    names someone else's process, which is never signalled. A process that started at the recorded
    time but whose command line stays unreadable for `settle` seconds (still exec'ing, or not ours
    to read) is `Undecided`: neither declared ours nor declared gone."""
    psutil = _psutil()
    try:
        record = json.loads(pidfile.read_text())
        pid, started, marker = int(record["pid"]), float(record["started"]), str(record["marker"])
        argv = [str(a) for a in record.get("argv", record.get("cmdline", []))]
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, or an old plain-number file: nothing proves whose pid it is
    if marker != str(pidfile.parent):
        return None
    deadline = time.monotonic() + (SETTLE if settle is None else settle)
    while True:
        try:
            proc = psutil.Process(pid)
            if _started(proc) != started or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            cmdline, environ = proc.cmdline(), proc.environ()
            why = "its command line reads empty"
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return None
        except psutil.Error as e:
            cmdline, environ, why = [], {}, f"{type(e).__name__}"
        if cmdline:
            ours = environ.get(MARKER) == marker and (not argv or cmdline[len(cmdline) - len(argv) :] == argv)
            return pid if ours else None
        if time.monotonic() > deadline:
            raise Undecided(
                f"cannot tell whether pid {pid} is this hub: it started when {pidfile} says, but {why}; "
                "try again, or end that process yourself"
            )
        time.sleep(0.05)


def write_private(path: Path, text: str) -> None:
    """`path` holds `text`, readable by its owner only from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)  # a file kept from before
    with os.fdopen(fd, "w") as f:
        f.write(text)


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) as a folder only its owner may enter."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)
    return path


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
    # Returns only once no process of the hub is left: one still dying of SIGKILL on a loaded
    # machine, or one started while the hub stopped (a proxy restarted on its way out), is waited
    # for or killed, until none is found (a hub that keeps starting processes past the deadline is
    # the caller's leftover check to report).
    seen = {p.pid: p for p in procs}
    deadline = time.monotonic() + STOP_DEADLINE
    while (late := processes_of(state)) and time.monotonic() < deadline:
        for p in late:
            seen.setdefault(p.pid, p)
            with contextlib.suppress(psutil.Error):
                p.kill()
        _wait(late, 3.0)
    _reap()
    return list(seen)


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
