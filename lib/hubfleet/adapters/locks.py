"""Locks between hubfleet processes: one deploy per fleet state folder, one per Helm release.

A busy lock is one clear line naming its holder (pid, host, since when, what it runs); the lock
never waits, since a second deploy that queued would only deploy the same thing again. Release
locks live in a per-user folder, so two copies of a fleet (two state folders) deploying the same
release on the same cluster do not run Helm on it at once. A holder killed with SIGKILL frees its
lock with it (the kernel drops the file lock).

Lock folders are private (`userfiles.private_folder`): one that another local user created or can
write to is refused, never reused, and no lock or holder file is opened through a symlink, so a
planted folder cannot make a deploy (run as root, say) truncate or write any other file.
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

from hubfleet.adapters.userfiles import open_private, private_folder
from hubfleet.core.errors import HubfleetError

__all__ = ["deploy_lock", "release_lock", "release_lock_dir"]


def _holder(what: str) -> str:
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {os.getpid()} on {socket.gethostname()} since {since}: {what}"


@contextlib.contextmanager
def _held(folder: Path, name: str, what: str, busy: str) -> Iterator[None]:
    """`folder/<name>.lock` held (flock, no wait) and `<name>.holder` saying by whom."""
    import fcntl  # Unix only, like the rest of hubfleet's process handling

    holder = folder / f"{name}.holder"
    fd = open_private(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HubfleetError(f"{busy} ({_who(holder)}): wait for it to end, or stop it") from None
        out = open_private(holder, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(out, "w") as f:
            f.write(_holder(what))
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                holder.unlink()
    finally:
        os.close(fd)  # drops the lock


def _who(holder: Path) -> str:
    try:
        with os.fdopen(open_private(holder, os.O_RDONLY), "r") as f:
            return f.read(1000).strip() or "unknown"
    except (OSError, HubfleetError):
        return "unknown"


def deploy_lock(state: Path, what: str) -> contextlib.AbstractContextManager[None]:
    """Held while `invoke deploy` runs against the fleet whose state folder is `state`."""
    folder = private_folder(state / "locks")
    return _held(folder, "deploy", what, "another deploy of this fleet is running")


def release_lock_dir() -> Path:
    """Per user, shared by every fleet on this machine: `$HUBFLEET_LOCKS`, else under the temp dir;
    private to this user (refused otherwise)."""
    env = os.environ.get("HUBFLEET_LOCKS")
    base = Path(env) if env else Path(tempfile.gettempdir()) / f"hubfleet-locks-{os.geteuid()}"
    return private_folder(base, hint=", or set HUBFLEET_LOCKS to a folder of your own")


def release_lock(cluster: str, namespace: str, release: str) -> contextlib.AbstractContextManager[None]:
    """Held around one `helm upgrade` of `release` in `namespace` on `cluster`."""
    key = hashlib.sha256(f"{cluster}\0{namespace}\0{release}".encode()).hexdigest()[:24]
    return _held(
        release_lock_dir(),
        f"release-{key}",
        f"helm upgrade {release} -n {namespace} on {cluster}",
        f"release {release} in namespace {namespace} on cluster {cluster} "
        "is being deployed by another process",
    )
