"""The one writer of user files (all or none, never through a link) and private lock folders."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from hubfleet.adapters import locks, userfiles
from hubfleet.core.errors import HubfleetError

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown to another uid)")
NOBODY = 65534


@pytest.fixture
def lock_tmp(tmp_path, monkeypatch) -> Path:
    """The temp dir the release locks live under, as a fresh world-writable sticky folder (/tmp)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    monkeypatch.delenv("HUBFLEET_LOCKS", raising=False)
    return tmp


def victim(tmp_path: Path) -> Path:
    path = tmp_path / "root-only.conf"
    path.write_text("keep me\n")
    path.chmod(0o600)
    return path


def release_paths(folder: Path) -> tuple[Path, Path]:
    with locks.release_lock("k1", "alpha", "alpha"):
        [lock] = folder.glob("release-*.lock")
    return lock, lock.with_suffix(".holder")


# --- 3: lock folders that another local user planted ---------------------------------------


@as_root
def test_a_lock_folder_of_another_user_is_refused_and_nothing_is_written(lock_tmp, tmp_path):
    target = victim(tmp_path)
    folder = lock_tmp / f"hubfleet-locks-{os.geteuid()}"
    _, holder_name = release_paths(folder)  # the names a deploy would use
    for p in folder.iterdir():
        p.unlink()
    (folder / holder_name.name).symlink_to(target)  # planted by "another user"
    os.chown(folder, NOBODY, NOBODY, follow_symlinks=False)
    with pytest.raises(HubfleetError) as e, locks.release_lock("k1", "alpha", "alpha"):
        pass
    assert str(e.value).startswith(f"{folder}: belongs to uid {NOBODY}, not to you")
    assert "\n" not in str(e.value)
    assert target.read_text() == "keep me\n" and stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["group-writable", "symlink", "file"])
def test_a_lock_folder_others_could_change_is_refused(lock_tmp, tmp_path, kind):
    folder = lock_tmp / f"hubfleet-locks-{os.geteuid()}"
    if kind == "group-writable":
        folder.mkdir(mode=0o700)
        folder.chmod(0o770)
    elif kind == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        folder.symlink_to(tmp_path / "elsewhere")
    else:
        folder.write_text("")
    with pytest.raises(HubfleetError, match="refusing to use it"), locks.release_lock("k1", "a", "a"):
        pass
    assert not list((tmp_path / "elsewhere").glob("*")) if kind == "symlink" else True


def test_a_lock_folder_in_a_folder_others_can_write_to_is_refused(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # no sticky bit: anyone could rename our folder away and put theirs
    monkeypatch.setenv("HUBFLEET_LOCKS", str(shared / "locks"))
    with pytest.raises(HubfleetError, match="which others can write to"), locks.release_lock("k", "a", "a"):
        pass


@pytest.mark.parametrize("which", ["holder", "lock"])
def test_no_lock_file_is_followed_through_a_symlink(lock_tmp, tmp_path, which):
    target = victim(tmp_path)
    folder = locks.release_lock_dir()
    lock, holder = release_paths(folder)
    planted = holder if which == "holder" else lock
    planted.unlink(missing_ok=True)
    planted.symlink_to(target)
    with (
        pytest.raises(HubfleetError, match="is a symlink: refusing to follow it"),
        locks.release_lock("k1", "alpha", "alpha"),
    ):
        pass
    assert target.read_text() == "keep me\n"


def test_a_fresh_lock_folder_is_private_and_locks_still_exclude(lock_tmp):
    folder = locks.release_lock_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with (
        locks.release_lock("k1", "alpha", "alpha"),
        pytest.raises(HubfleetError, match=r"is being deployed by another process \(pid \d+"),
        locks.release_lock("k1", "alpha", "alpha"),
    ):
        pass
    with locks.release_lock("k1", "alpha", "alpha"):  # free again
        pass


@as_root
def test_a_deploy_lock_folder_of_another_user_is_refused(tmp_path):
    state = tmp_path / "state"
    (state / "locks").mkdir(parents=True)
    os.chown(state / "locks", NOBODY, NOBODY)
    with pytest.raises(HubfleetError, match="belongs to uid 65534"), locks.deploy_lock(state, "x"):
        pass


# --- 4: all or none ----------------------------------------------------------------------


def files(root: Path, n: int) -> list[tuple[str, str]]:
    for i in range(n):
        (root / f"f{i}").mkdir(exist_ok=True)
        (root / f"f{i}/out.yaml").write_text(f"old {i}\n")
    return [(f"f{i}/out.yaml", f"new {i}\n") for i in range(n)]


def contents(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_failed_rename_puts_back_the_files_already_replaced(tmp_path, monkeypatch):
    wanted = [*files(tmp_path, 5), ("new/folder/out.yaml", "brand new\n")]
    before = contents(tmp_path)
    real, calls = os.replace, []

    def third_fails(src, dst, **kw):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real(src, dst, **kw)

    monkeypatch.setattr(userfiles.os, "replace", third_fails)
    with pytest.raises(HubfleetError) as e:
        userfiles.replace_all(tmp_path, wanted)
    assert str(e.value) == (
        "f2/out.yaml: cannot write: Input/output error (the disk reported an error: check it); nothing was changed"
    )
    assert contents(tmp_path) == before  # no temp file, no backup, no new folder left either
    assert not (tmp_path / "new").exists()


def test_replace_all_writes_every_file(tmp_path):
    wanted = [*files(tmp_path, 3), ("new/folder/out.yaml", "brand new\n")]
    userfiles.replace_all(tmp_path, wanted)
    assert contents(tmp_path) == dict(wanted)


def test_new_folder_leaves_nothing_when_filling_fails(tmp_path):
    out = tmp_path / "a" / "b" / "bundle"

    def fill(tmp: Path) -> None:
        (tmp / "one").write_text("1")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "two"))

    with pytest.raises(HubfleetError) as e:
        userfiles.new_folder(out, fill)
    assert str(e.value) == (
        f"{out}/two: cannot write: No space left on device (free space on its filesystem); "
        f"nothing was written to {out}"
    )
    assert list(tmp_path.iterdir()) == []


def test_write_file_is_whole_or_absent(tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    path.write_text("old\n")

    def fails(src, dst, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(userfiles.os, "replace", fails)
    with pytest.raises(HubfleetError, match="No space left on device"):
        userfiles.write_file(path, "new\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    monkeypatch.undo()
    userfiles.write_file(path, "new\n")
    assert path.read_text() == "new\n"


def test_write_file_to_a_fifo_writes_through_it(tmp_path):
    import threading

    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    userfiles.write_file(fifo, "streamed\n")
    reader.join(timeout=10)
    assert got == ["streamed\n"] and fifo.is_fifo()
