"""Decrypted bytes for a child process that never touch a filesystem.

`memfile(data)` puts the bytes in an anonymous in-memory file (`memfd_create`) and yields
its path as the child will see it, `/dev/fd/N`; the runner passes fd N on (`pass_fds=`).
Nothing of it exists anywhere once the last descriptor closes, which the kernel does on
every way out, SIGKILL included. The file is sealed before any child sees it: no one can
change it. Where there is no memfd (not Linux), a pipe fed by a thread does the same for
a reader that reads the file once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["MemFile", "memfile", "memfiles"]

_SEALS = ("F_SEAL_SEAL", "F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE")


@dataclass(frozen=True)
class MemFile:
    fd: int  # pass it to the child (`pass_fds=`); closed by `memfile` on exit
    path: str  # `/dev/fd/<fd>`: the name the child opens


@contextlib.contextmanager
def memfile(data: bytes, name: str = "hubfleet") -> Iterator[MemFile]:
    """`data` as a sealed in-memory file (or a pipe), closed on every way out."""
    if not hasattr(os, "memfd_create"):
        with _pipe(data) as fd:
            yield MemFile(fd, f"/dev/fd/{fd}")
        return
    fd = os.memfd_create(name, os.MFD_CLOEXEC | getattr(os, "MFD_ALLOW_SEALING", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
        seals = sum(getattr(fcntl, s, 0) for s in _SEALS)
        if seals and hasattr(fcntl, "F_ADD_SEALS"):
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        yield MemFile(fd, f"/dev/fd/{fd}")
    finally:
        os.close(fd)


@contextlib.contextmanager
def memfiles(items: Sequence[tuple[bytes, str]]) -> Iterator[list[MemFile]]:
    """Several at once, `(data, name)` each (a merged secrets document, a kubeconfig); all closed on exit."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(memfile(data, name)) for data, name in items]


@contextlib.contextmanager
def _pipe(data: bytes) -> Iterator[int]:
    read_end, write_end = os.pipe()

    def feed() -> None:
        with contextlib.suppress(OSError), os.fdopen(write_end, "wb") as out:
            out.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield read_end
    finally:
        os.close(read_end)  # a reader that never came: the writer gets EPIPE and ends
        writer.join(timeout=5)
