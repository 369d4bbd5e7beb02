"""The one writer of a user's files and folders, and the one check of a private folder.

- `replace_all(root, files)`: files inside the fleet, all or none. Every new text goes to a temp
  file beside its target and every target's old bytes to a backup; only then are they renamed
  into place, and a rename that fails puts back the ones already replaced. Never through a
  symlink, never outside the fleet.
- `new_folder(out, fill)`: a folder built whole in a temp folder beside it, then renamed into
  place; on any failure nothing of it remains.
- `write_file(path, text)`: one file the user named, whole (temp file, then rename) or unchanged.
- `read_current(root, rel)`: what a target holds now, never through a link or blocking on a FIFO.
- `private_folder(path)` / `open_private(path, flags)`: lock and state folders that no other local
  user can plant or change (ours, not writable by group or others, no symlink followed).

Every OSError on a user's path is one line naming it and what to do (`errors.os_problem`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hubfleet.core.errors import HubfleetError, os_problem

__all__ = [
    "confined",
    "new_folder",
    "open_private",
    "private_folder",
    "read_current",
    "replace_all",
    "write_file",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
UNCHANGED = "nothing was changed"


def confined(root: Path, rel: str) -> Path:
    """`root/rel`, refused if its folder leads outside the fleet or it is a link: hubfleet writes
    only real files inside the fleet, never through a symlink."""
    path = root / rel
    real_root = Path(os.path.realpath(root))
    folder = Path(os.path.realpath(path.parent))
    if not folder.is_relative_to(real_root):
        raise HubfleetError.at(
            rel, f"its folder leads outside the fleet (to {folder}): hubfleet writes only inside it"
        )
    if path.is_symlink():
        raise HubfleetError.at(
            rel, f"is a symlink (to {os.readlink(path)}): hubfleet writes only real files; remove it"
        )
    return path


# --- files inside the fleet, all or none -------------------------------------------------


@dataclass
class _Staged:
    rel: str
    path: Path
    tmp: Path
    backup: Path | None = None  # the old bytes, while the new ones are renamed in
    replaced: bool = False


def replace_all(root: Path, files: Sequence[tuple[str, str]]) -> None:
    """Write each `(rel, text)` under `root`, every one or none (see the module's note)."""
    staged: list[_Staged] = []
    made: list[Path] = []  # folders created for new files, removed again on failure
    rel = ""
    try:
        for rel, text in files:
            path = confined(root, rel)
            made += _make_parents(path.parent)
            item = _Staged(rel, path, path.with_name(f".{path.name}.{os.getpid()}.tmp"))
            staged.append(item)
            _write_new(item.tmp, text.encode("utf-8"))
            old = _read_old(path, rel)
            if old is not None:
                item.backup = path.with_name(f".{path.name}.{os.getpid()}.bak")
                _write_new(item.backup, old)
        held = _hold_signals()
        try:
            _rename_all(staged)
        finally:
            _release_signals(held)
    except BaseException as e:
        _remove_temps(staged)
        _remove_folders(made)
        if isinstance(e, OSError):
            raise os_problem(rel, "write", e, UNCHANGED) from None
        raise
    _remove_temps(staged)


def _remove_temps(staged: list[_Staged]) -> None:
    for item in staged:
        for leftover in (item.tmp, item.backup):
            if leftover is not None:
                with contextlib.suppress(OSError):  # never made (ENOENT; EROFS on a read-only disk)
                    leftover.unlink()


def _rename_all(staged: list[_Staged]) -> None:
    """Rename every temp file into place; on a failure, put every replaced target back first."""
    for item in staged:
        try:
            os.replace(item.tmp, item.path)
        except BaseException as e:
            failed = [i.rel for i in staged if i.replaced and not _restore(i)]
            if failed:
                raise HubfleetError.at(
                    item.rel,
                    f"cannot write: {getattr(e, 'strerror', None) or e}; and {', '.join(failed)} could not "
                    "be put back: run `git checkout -- <file>` on them, then `invoke render` again",
                ) from None
            if isinstance(e, OSError):
                raise os_problem(item.rel, "write", e, UNCHANGED) from None
            raise
        item.replaced = True


def _restore(item: _Staged) -> bool:
    try:
        if item.backup is None:
            item.path.unlink()
        else:
            os.replace(item.backup, item.path)
        return True
    except OSError:
        return False


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and missing parents; the ones created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir()
    return list(reversed(missing))


def _write_new(path: Path, data: bytes) -> None:
    """A temp file: never through a planted link; flushed, so a full disk fails here, not later."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_current(root: Path, rel: str) -> bytes | None:
    """The bytes of `root/rel` as they are now, None if absent; never through a link, never
    blocking on a FIFO: anything but a plain file in its place is one line."""
    return _read_old(confined(root, rel), rel)


def _read_old(path: Path, rel: str) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise os_problem(rel, "read", e) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise HubfleetError.at(rel, "is a folder, not a file: remove it, then run the command again")
        raise HubfleetError.at(
            rel, "is not a regular file (a FIFO, device or socket): remove it, then run the command again"
        )
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _hold_signals() -> set[signal.Signals] | None:
    """Ctrl-C and SIGTERM wait for the few renames (and a restore), then arrive."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def _release_signals(previous: set[signal.Signals] | None) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a held signal is delivered now


def write_file(path: Path, text: str) -> None:
    """One file the user named (`--json F`, an editor schema), whole or not at all: a temp file
    beside it, renamed over it. A FIFO or device named (`/dev/stdout`) is written as it is."""
    if path.exists() and not path.is_file():
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            raise os_problem(path, "write", e) from None
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write_new(tmp, text.encode("utf-8"))
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise os_problem(path, "write", e, UNCHANGED) from None


# --- a new folder, whole or not at all ---------------------------------------------------


def new_folder(
    out: Path, fill: Callable[[Path], None], *, shown: str | None = None, role: str = "folder"
) -> None:
    """`fill(tmp)` writes the folder's content into a temp folder beside `out`, which is then
    renamed to `out` (absent or empty). On any failure or interrupt nothing remains, not even new
    parents. Messages name it `shown` (default: `out`), as "cannot create the <role>"."""
    name = shown or str(out)
    made: list[Path] = []
    try:
        made = _make_parents(out.parent)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    except OSError as e:
        _remove_folders(made)
        raise os_problem(name, f"create the {role}", e) from None
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)  # an empty `out` is replaced whole
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_folders(made)
        if not isinstance(e, OSError):
            raise
        where, label = Path(e.filename) if e.filename else tmp, name
        if not where.is_relative_to(tmp):
            label = str(where)
        elif where != tmp:
            label = f"{name}/{where.relative_to(tmp).as_posix()}"
        raise os_problem(label, "write", e, f"nothing was written to {name}") from None


def _remove_folders(made: list[Path]) -> None:
    """The folders `_make_parents` created, innermost first, where still empty."""
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


# --- private folders (locks, state) --------------------------------------------------------


def private_folder(path: Path, *, hint: str = "") -> Path:
    """`path` as a folder only this user can change: created (0700) if missing; refused if it is a
    symlink or not a folder, belongs to another user, or is writable by group or others."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        info = os.lstat(path)
    except OSError as e:
        raise os_problem(path, "create", e) from None
    why = _not_private(info) or _open_parent(path.parent)
    if why:
        raise HubfleetError(
            f"{path}: {why}, so another local user may have planted it: refusing to use it; remove it{hint}"
        )
    return path


def _not_private(info: os.stat_result) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return "is a symlink"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    if info.st_uid != os.geteuid():
        return f"belongs to uid {info.st_uid}, not to you (uid {os.geteuid()})"
    if info.st_mode & 0o022:
        return f"is writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _open_parent(folder: Path) -> str | None:
    """A folder others may write to without the sticky bit (unlike /tmp) lets them swap ours."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
        mode = stat.S_IMODE(info.st_mode)
        return f"is in {folder}, which others can write to (mode {mode:o}, no sticky bit)"
    return None


def open_private(path: Path, flags: int) -> int:
    """os.open of a file in a private folder, never through a symlink; it must be a plain file of
    ours. The caller closes the descriptor."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK, 0o600)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise HubfleetError(f"{path}: is a symlink: refusing to follow it; remove it") from None
        raise os_problem(path, "open", e) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        os.close(fd)
        raise HubfleetError(f"{path}: is not a plain file of yours: refusing to use it; remove it")
    return fd
