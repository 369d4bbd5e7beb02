"""Where fleet files come from: the working tree, or a commit's git objects.

The loader only sees a `Source` (relative path -> bytes), so `invoke plan` can
load two commits in memory exactly as `invoke validate` loads the work tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Source  # noqa: F401 - the protocol lives with the model (a Fleet holds one)
from hubfleet.core.paths import FLEET_FILE


class DirSource:
    """The working tree."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = "working tree"

    def read(self, path: str) -> bytes | None:
        """None when absent; a folder or a dangling symlink in a file's place is an error."""
        target = self.root / path
        try:
            return target.read_bytes()
        except IsADirectoryError:
            raise HubfleetError.at(path, "is a folder, not a file: remove or rename it") from None
        except (FileNotFoundError, NotADirectoryError):
            if target.is_symlink():
                raise HubfleetError.at(
                    path, f"is a symlink to {os.readlink(target)}, which does not exist"
                ) from None
            return None

    def subdirs(self, path: str) -> list[str]:
        try:
            with os.scandir(self.root / path) as it:
                return sorted(e.name for e in it if e.is_dir() and not e.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def files_under(self, path: str) -> Iterator[str]:
        base = self.root / path
        for dirpath, dirnames, filenames in sorted(os.walk(base)):
            dirnames.sort()
            for name in sorted(filenames):
                yield Path(dirpath, name).relative_to(self.root).as_posix()


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
