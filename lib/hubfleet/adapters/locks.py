"""Locks between hubfleet processes: one deploy per fleet state folder, one per Helm release.

A busy lock is one clear line naming its holder (pid, host, since when, what it runs); the lock
never waits, since a second deploy that queued would only deploy the same thing again. Release
locks live in a per-user folder, so two copies of a fleet (two state folders) deploying the same
release on the same cluster do not run Helm on it at once. A holder killed with SIGKILL frees its
lock with it (the kernel drops the file lock).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from hubfleet.core.errors import HubfleetError

__all__ = ["deploy_lock", "release_lock", "release_lock_dir"]


def _holder(what: str) -> str:
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {os.getpid()} on {socket.gethostname()} since {since}: {what}"


@contextlib.contextmanager
def _held(lock_file: Path, what: str, busy: str) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    holder = lock_file.with_suffix(".holder")
    lock = FileLock(str(lock_file), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            who = holder.read_text().strip() or "unknown"
        except OSError:
            who = "unknown"
        raise HubfleetError(f"{busy} ({who}): wait for it to end, or stop it") from None
    try:
        holder.write_text(_holder(what))
        yield
    finally:
        with contextlib.suppress(OSError):
            holder.unlink()
        lock.release()


def deploy_lock(state: Path, what: str) -> contextlib.AbstractContextManager[None]:
    """Held while `invoke deploy` runs against the fleet whose state folder is `state`."""
    return _held(state / "locks" / "deploy.lock", what, "another deploy of this fleet is running")


def release_lock_dir() -> Path:
    """Per user, shared by every fleet on this machine: `$HUBFLEET_LOCKS`, else under the temp dir."""
    env = os.environ.get("HUBFLEET_LOCKS")
    base = Path(env) if env else Path(tempfile.gettempdir()) / f"hubfleet-locks-{os.getuid()}"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return base


def release_lock(cluster: str, namespace: str, release: str) -> contextlib.AbstractContextManager[None]:
    """Held around one `helm upgrade` of `release` in `namespace` on `cluster`."""
    key = hashlib.sha256(f"{cluster}\0{namespace}\0{release}".encode()).hexdigest()[:24]
    return _held(
        release_lock_dir() / f"release-{key}.lock",
        f"helm upgrade {release} -n {namespace} on {cluster}",
        f"release {release} in namespace {namespace} on cluster {cluster} "
        "is being deployed by another process",
    )
