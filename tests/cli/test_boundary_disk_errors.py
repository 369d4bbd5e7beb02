"""A full, read-only or failing disk is one line and exit 1 wherever it hits; other OSErrors stay
internal errors (exit 3), and a crash log that cannot be written is said so, never a traceback."""

from __future__ import annotations

import errno

import pytest

from hubfleet.cli import boundary as boundary_mod
from hubfleet.cli.boundary import boundary


def raising(err: OSError):
    def run() -> int:
        raise err

    return run


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (errno.ENOSPC, "No space left on device (free space on its filesystem)"),
        (errno.EROFS, "Read-only file system (its filesystem is mounted read-only: work in a writable copy)"),
    ],
)
def test_a_disk_error_anywhere_is_one_line(capsys, code, text):
    err = OSError(code, text.split(" (")[0], ".hubfleet/cache/runs.json.tmp")
    assert boundary(raising(err)) == 1
    out = capsys.readouterr()
    assert out.err.strip() == f"error: .hubfleet/cache/runs.json.tmp: cannot use: {text}"


def test_a_path_without_permission_is_one_line(capsys):
    err = PermissionError(errno.EACCES, "Permission denied", "out/plan.json")
    assert boundary(raising(err)) == 1
    assert capsys.readouterr().err.strip() == (
        "error: out/plan.json: cannot use: Permission denied (check its permissions and those of its folder)"
    )


def test_another_oserror_is_an_internal_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    assert boundary(raising(OSError(errno.EBADF, "Bad file descriptor"))) == 3
    assert "internal error" in capsys.readouterr().err


def test_a_crash_log_that_cannot_be_written(capsys, monkeypatch):
    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(boundary_mod, "_crash_log", full)
    assert boundary(raising(ValueError("bug"))) == 3
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert (
        out.err.strip()
        == "internal error (a bug in hubfleet, not your input): no log written (No space left on device)"
    )
