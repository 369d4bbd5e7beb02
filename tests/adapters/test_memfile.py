"""memfile: decrypted bytes reach a child as /dev/fd/N, sealed, and nowhere on disk."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hubfleet.adapters.memfile import memfile

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memfd is Linux")


def test_child_reads_it_twice_and_cannot_change_it():
    with memfile(b"token: abc123\n") as m:
        assert m.path == f"/dev/fd/{m.fd}"
        for _ in range(2):  # Helm may open a file more than once
            done = subprocess.run(["cat", m.path], pass_fds=[m.fd], capture_output=True, check=True)
            assert done.stdout == b"token: abc123\n"
        write = subprocess.run(["sh", "-c", f"printf x > {m.path}"], pass_fds=[m.fd], capture_output=True)
        assert write.returncode != 0
        target = os.readlink(f"/proc/self/fd/{m.fd}")
        assert target.startswith("/memfd:")  # anonymous: no path on any filesystem
    with pytest.raises(OSError):
        os.fstat(m.fd)  # closed on exit


def test_closed_when_the_body_raises():
    with pytest.raises(RuntimeError), memfile(b"x") as m:
        raise RuntimeError
    with pytest.raises(OSError):
        os.fstat(m.fd)


def test_not_inherited_unless_passed():
    with memfile(b"secret") as m:
        done = subprocess.run(["cat", m.path], capture_output=True)
        assert done.returncode != 0 and b"secret" not in done.stdout
