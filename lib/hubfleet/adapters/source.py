"""Where fleet files come from: the working tree, or a commit's git objects.

The loader only sees a `Source` (relative path -> bytes), so `invoke plan` can
load two commits in memory exactly as `invoke validate` loads the work tree.

A working-tree file is read only if it is a regular file of at most `MAX_FILE_BYTES` that
resolves inside the fleet root: a symlink out of the fleet, a symlink loop, a FIFO or a device
(`/dev/zero`) is one clear line, found before reading a byte. Git sources follow the same rules
(`gitsource`), so `validate` and `plan` agree on the same commit.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Source  # noqa: F401 - the protocol lives with the model (a Fleet holds one)
from hubfleet.core.paths import FLEET_FILE

MAX_FILE_BYTES = 8 * 1024 * 1024  # one fleet file; a real values file is a few kB


def outside_fleet(path: str, target: str) -> HubfleetError:
    """The one message for a link out of the fleet (working tree and git agree on it)."""
    return HubfleetError.at(
        path, f"is a symlink to {target}, outside the fleet: hubfleet reads only files inside the fleet root"
    )


def too_big(path: str, size: int) -> HubfleetError:
    return HubfleetError.at(
        path,
        f"is {size / 1024 / 1024:.1f} MB, over the {MAX_FILE_BYTES // 1024 // 1024} MB limit of a fleet file",
    )


def inside(root: Path, target: Path) -> bool:
    return Path(os.path.realpath(target)).is_relative_to(root)


class DirSource:
    """The working tree."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = Path(os.path.realpath(root))
        self.label = "working tree"
        self._real_dirs: dict[Path, Path] = {}  # folder -> its real path (2000 hubs: one realpath each)

    def _real(self, target: Path) -> Path:
        """os.path.realpath(target), resolving each folder once per run: a file that is no symlink
        itself is its real folder plus its name (realpath is pure Python and lstat()s every part)."""
        if os.path.islink(target):
            return Path(os.path.realpath(target))
        folder = target.parent
        real = self._real_dirs.get(folder)
        if real is None:
            real = self._real_dirs[folder] = Path(os.path.realpath(folder))
        return real / target.name

    def read(self, path: str) -> bytes | None:
        """None when absent; anything but a regular file inside the fleet is an error."""
        target = self.root / path
        try:
            info = os.stat(target)
        except (FileNotFoundError, NotADirectoryError):
            if target.is_symlink():
                raise HubfleetError.at(
                    path, f"is a symlink to {os.readlink(target)}, which does not exist"
                ) from None
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise HubfleetError.at(path, "is a symlink loop: point it at a real file") from None
            raise HubfleetError.at(path, f"cannot be read: {e.strerror}") from None
        if not self._real(target).is_relative_to(self.real_root):
            raise outside_fleet(
                path, os.readlink(target) if target.is_symlink() else os.path.realpath(target)
            )
        if stat.S_ISDIR(info.st_mode):
            raise HubfleetError.at(path, "is a folder, not a file: remove or rename it")
        if not stat.S_ISREG(info.st_mode):
            raise HubfleetError.at(
                path, "is not a regular file (a FIFO, device or socket): hubfleet reads only regular files"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise too_big(path, info.st_size)
        return _read_regular(path, target)

    def subdirs(self, path: str) -> list[str]:
        try:
            with os.scandir(self.root / path) as it:
                found = sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []
        for name in found:
            folder = self.root / path / name
            if not inside(self.real_root, folder):
                raise outside_fleet(f"{path}/{name}", os.readlink(folder) if folder.is_symlink() else "?")
        return found

    def hidden(self, path: str) -> list[str]:
        """Folders under `path` whose names start with `.`: not hubs or clusters, and said so."""
        try:
            with os.scandir(self.root / path) as it:
                return sorted(e.name for e in it if e.is_dir() and e.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def files_under(self, path: str) -> Iterator[str]:
        """Every entry but a folder under `path` (links, FIFOs too: `read` refuses those), folders
        by their path text, files by name in each. A link to a folder inside the fleet is listed
        through (once per real folder); one out of it raises."""
        for folder, names in sorted(self._walk(path)):
            for name in sorted(names):
                yield f"{folder}/{name}"

    def _walk(self, path: str) -> list[tuple[str, list[str]]]:
        out = []
        seen: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(self.root / path, followlinks=True):
            real = os.path.realpath(dirpath)
            rel = Path(dirpath).relative_to(self.root).as_posix()
            if not Path(real).is_relative_to(self.real_root):
                raise outside_fleet(rel, os.readlink(dirpath) if os.path.islink(dirpath) else real)
            if real in seen:  # a link back up (a loop) or a second link to one folder
                dirnames.clear()
                continue
            seen.add(real)
            out.append((rel, filenames))
        return out


def _read_regular(path: str, target: Path) -> bytes:
    """Open without blocking (a FIFO swapped in after the check cannot hang us), check again."""
    fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise HubfleetError.at(path, "is not a regular file: hubfleet reads only regular files")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise too_big(path, size)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class ListedSource:
    """`subdirs` and `files_under` for a source that lists every file up front (memory, git):
    its folders are derived from the file paths once."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._paths = sorted(paths)
        self._dirs: dict[str, set[str]] = {}
        for p in self._paths:
            parts = p.split("/")
            for i in range(1, len(parts)):
                self._dirs.setdefault("/".join(parts[: i - 1]), set()).add(parts[i - 1])

    def subdirs(self, path: str) -> list[str]:
        return sorted(d for d in self._dirs.get(path.strip("/"), ()) if not d.startswith("."))

    def hidden(self, path: str) -> list[str]:
        return sorted(d for d in self._dirs.get(path.strip("/"), ()) if d.startswith("."))

    def files_under(self, path: str) -> Iterator[str]:
        prefix = path.strip("/") + "/"
        yield from (p for p in self._paths if p.startswith(prefix))


class MappingSource(ListedSource):
    """Files held in memory: a test's dict literal."""

    def __init__(self, files: Mapping[str, bytes], label: str = "memory") -> None:
        self.files = dict(files)
        self.label = label
        super().__init__(self.files)

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder, from `start` upward, holding fleet.yaml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / FLEET_FILE).is_file():
            return folder
    raise HubfleetError(f"no {FLEET_FILE} in {here} or any folder above it: run inside a fleet repository")


def state_dir(root: Path) -> Path:
    """Uncommitted state (chart cache, local hubs, tools): `.hubfleet/` or $HUBFLEET_STATE."""
    env = os.environ.get("HUBFLEET_STATE")
    return Path(env).resolve() if env else root / ".hubfleet"
