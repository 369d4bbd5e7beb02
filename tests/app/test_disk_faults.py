"""Real disk failures under render, replicate and new-hub: an immutable file (chattr +i), a full
filesystem (a tiny tmpfs) and a read-only one. Each is one located line, exit 1, and nothing is
left half-written. Needs root (chattr, mount); skipped otherwise."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import new_hub as new_hub_cmd
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import replicate as replicate_cmd

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chattr, mount)")


def err_lines(capsys) -> list[str]:
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "internal error" not in out.err
    return [line for line in out.err.splitlines() if line.strip()]


def rendered(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("rendered.values.yaml")}


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.name.endswith((".tmp", ".bak"))]


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder`, holding a copy of what it held; unmounted after
    (the folder's own content, hidden meanwhile, is back as it was)."""
    folder.mkdir(exist_ok=True)
    copy = Path(tempfile.mkdtemp()) / "copy"
    shutil.copytree(folder, copy)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        shutil.copytree(copy, folder, dirs_exist_ok=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
        shutil.rmtree(copy.parent)


def fill_up(folder: Path) -> None:
    """Write until the filesystem is full."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)


def read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def change_every_hub(root: Path) -> None:
    with open(root / "clusters/common.values.yaml", "a") as f:
        f.write("custom:\n  everyone: changed\n")


# --- 4: render is all or nothing ---------------------------------------------------------


def test_an_immutable_rendered_file_changes_nothing(example_fleet, capsys):
    change_every_hub(example_fleet)
    before = rendered(example_fleet)
    stuck = example_fleet / "hubs/health-data/rendered.values.yaml"
    subprocess.run(["chattr", "+i", str(stuck)], check=True)
    try:
        assert boundary(render_cmd.run) == 1
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)
    assert err_lines(capsys) == [
        "error: hubs/health-data/rendered.values.yaml: cannot write: Operation not permitted (check its "
        "permissions, and `lsattr` for an immutable flag); nothing was changed"
    ]
    assert rendered(example_fleet) == before  # the hubs before it were put back
    assert leftovers(example_fleet) == []
    assert boundary(render_cmd.run) == 0  # and once it is writable, render works
    assert rendered(example_fleet) != before


# --- 12: disk errors are located lines -----------------------------------------------------


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_render_on_a_full_or_read_only_hub_folder(example_fleet, capsys, fault):
    change_every_hub(example_fleet)
    before = rendered(example_fleet)
    with tmpfs(example_fleet / "hubs/oceans", "64k") as folder:
        fill_up(folder) if fault == "full" else read_only(folder)
        assert boundary(render_cmd.run) == 1
        lines = err_lines(capsys)
        assert rendered(example_fleet) == before
        assert leftovers(example_fleet) == []
    why = {
        "full": "No space left on device (free space on its filesystem)",
        "read-only": "Read-only file system (its filesystem is mounted read-only: work in a writable copy)",
    }[fault]
    assert lines == [f"error: hubs/oceans/rendered.values.yaml: cannot write: {why}; nothing was changed"]


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_replicate_onto_a_full_or_read_only_disk_leaves_nothing(example_fleet, tmp_path, capsys, fault):
    with tmpfs(tmp_path / "disk", "64k") as disk:
        fill_up(disk) if fault == "full" else read_only(disk)
        files = set(disk.iterdir())
        code = boundary(replicate_cmd.run, cluster="uni-west", out=str(disk / "bundle"))
        lines = err_lines(capsys)
        assert set(disk.iterdir()) == files  # no bundle, no temp folder
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"error: {disk / 'bundle'}")
    assert ("No space left on device" if fault == "full" else "Read-only file system") in lines[0]


def test_new_hub_on_a_read_only_hubs_folder(example_fleet, capsys):
    with tmpfs(example_fleet / "hubs", "1m") as hubs:
        read_only(hubs)
        code = boundary(new_hub_cmd.run, name="fresh", cluster="uni-west")
        lines = err_lines(capsys)
    assert code == 1
    assert lines == [
        "error: hubs/fresh: cannot create the new folder: Read-only file system (its filesystem is mounted read-only: work in a writable copy)"
    ]


def test_os_problem_names_the_path_and_what_to_do():
    from hubfleet.core.errors import os_problem

    e = os_problem("hubs/x/rendered.values.yaml", "write", OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert (
        str(e)
        == "hubs/x/rendered.values.yaml: cannot write: Disk quota exceeded (free space within your disk quota)"
    )
