"""The fleet's own folders read once into memory: every read of a run served from one walk.

`Snapshot.take(root)` walks `fleet.yaml`, `clusters/`, `hubs/` and `support/` once (scandir, no
symlink followed) and keeps each plain file's bytes. It is a `Source` that answers exactly as
`DirSource` does: a plain file, folder or absence from memory; anything unusual (a symlink, a
FIFO, an oversized or unreadable file, a path outside the walked folders or with `..`) goes to a
`DirSource` of the same root, whose checks and messages stay the one place those rules live.

Why: 2000 hubs read ~10 files each through `DirSource`'s checks (stat, realpath), in the parent
and again in every forked worker; a walk reads each file once and the workers inherit the bytes.
`digest` (None when anything had to be delegated) keys a whole validate run (`app.validate`).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from hubfleet.adapters.source import MAX_FILE_BYTES, DirSource
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError

__all__ = ["Snapshot"]

WALKED = (paths.CLUSTERS, paths.HUBS, paths.SUPPORT)  # with FLEET_FILE: where a fleet's inputs live


class Snapshot:
    """A `Source` over one walk of the fleet's folders (see the module's note)."""

    def __init__(
        self,
        root: Path,
        files: dict[str, bytes],
        dirs: dict[str, list[str]],
        odd: set[str],
        unread: dict[str, tuple[int, int, int]] | None = None,
    ):
        self.root = root
        self.label = "working tree"
        self.files = files  # plain file -> bytes
        self.dirs = dirs  # plain folder -> its entries' names, sorted ("" is the root)
        self.odd = odd  # entries not plain (symlink, special, oversized, unreadable): DirSource's
        # plain files left unread (large, or past the walk's budget): (size, mtime, inode) stand for
        # their bytes in `digest`; reading one goes to DirSource
        self.unread = unread or {}
        self.delegated = False  # whether any answer came from DirSource (then `digest` is not enough)
        self._dir_source: DirSource | None = None
        self._digest: str | None = None
        self._file_digests: dict[str, bytes] = {}

    @classmethod
    def take(cls, root: Path) -> Snapshot:
        walk = _Walk(os.fspath(root))  # str paths: pathlib costs more than the reads for 4000 files
        top = []
        for name in (paths.FLEET_FILE, *WALKED):
            try:
                info = os.lstat(f"{walk.root}/{name}")
            except FileNotFoundError:
                continue
            except OSError:
                walk.odd.add(name)
                continue
            top.append(name)
            if stat.S_ISDIR(info.st_mode):
                walk.folder(name)
            else:
                walk.entry(name, info)
        walk.dirs[""] = sorted(top)  # only what was walked: the root's other entries are not ours
        return cls(root, walk.files, walk.dirs, walk.odd, walk.unread)

    # --- the Source protocol ----------------------------------------------------------

    def read(self, path: str) -> bytes | None:
        data = self.files.get(path)
        if data is not None:
            return data
        if not self._mine(path) or path in self.unread:
            return self._delegate().read(path)
        if path in self.dirs:
            raise HubfleetError.at(path, "is a folder, not a file: remove or rename it")
        return None

    def subdirs(self, path: str) -> list[str]:
        path = path.strip("/")
        if not self._mine(path, listing=True):
            return self._delegate().subdirs(path)
        return [n for n in self.dirs.get(path, ()) if not n.startswith(".") and _join(path, n) in self.dirs]

    def hidden(self, path: str) -> list[str]:
        path = path.strip("/")
        if not self._mine(path, listing=True):
            return self._delegate().hidden(path)
        return [n for n in self.dirs.get(path, ()) if n.startswith(".") and _join(path, n) in self.dirs]

    def files_under(self, path: str) -> Iterator[str]:
        path = path.strip("/")
        prefix = path + "/"
        if not self._mine(path, listing=True) or any(o.startswith(prefix) for o in self.odd):
            yield from self._delegate().files_under(path)
            return
        # DirSource's order: folders by their path text (os.walk sorted), files by name in each.
        folders, todo = [], [path] if path in self.dirs else []
        while todo:  # the folders below `path` (not a scan of every folder: 2000 hubs' worth)
            folder = todo.pop()
            folders.append(folder)
            todo += [sub for n in self.dirs[folder] if (sub := _join(folder, n)) in self.dirs]
        for folder in sorted(folders):
            for name in self.dirs[folder]:
                if (file := _join(folder, name)) in self.files or file in self.unread:
                    yield file

    # --- whole-run identity -------------------------------------------------------------

    @property
    def digest(self) -> str | None:
        """Every walked path and byte; None when something is not plain (then each read decides)."""
        if self.odd or self.delegated:
            return None
        if self._digest is None:
            self._digest = self._hash()
        return self._digest

    def file_digest(self, path: str) -> bytes | None:
        """blake2b-160 of a walked file's bytes (None: not held in memory), hashed once: the
        whole-run digest and validate's per-file digests (`app.validate.FileDigests`) share it."""
        known = self._file_digests.get(path)
        if known is None:
            data = self.files.get(path)
            if data is None:
                return None
            known = self._file_digests[path] = hashlib.blake2b(data, digest_size=20).digest()
        return known

    def _hash(self) -> str:
        h = hashlib.blake2b(digest_size=20)
        for folder in sorted(self.dirs):
            h.update(b"d" + folder.encode() + b"\0")
        for path in sorted(self.files):
            h.update(b"f" + path.encode() + b"\0" + self.file_digest(path))  # type: ignore[operator]
        for path in sorted(self.unread):
            h.update(b"u" + path.encode() + b"\0" + repr(self.unread[path]).encode())
        return h.hexdigest()

    # --- what goes to DirSource ---------------------------------------------------------

    def _mine(self, path: str, *, listing: bool = False) -> bool:
        """Whether memory answers for `path`: inside the walk, normalised, past no odd entry, and
        (for a listing) holding no odd entry either."""
        parts = path.split("/")
        if parts[0] not in (paths.FLEET_FILE, *WALKED) or any(p in ("", ".", "..") for p in parts):
            return False  # the root's other entries, `..` and the like: DirSource decides
        if any("/".join(parts[: i + 1]) in self.odd for i in range(len(parts))):
            return False
        return not listing or not any(_join(path, n) in self.odd for n in self.dirs.get(path, ()))

    def _delegate(self) -> DirSource:
        self.delegated = True
        if self._dir_source is None:
            self._dir_source = DirSource(self.root)
        return self._dir_source


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


WALK_FILE_BYTES = 1024 * 1024  # larger files are read when asked for (a layer is a few kB)
WALK_TOTAL_BYTES = 64 * 1024 * 1024  # a hub folder holding data is not read whole


class _Walk:
    """One pass over the walked folders: what `Snapshot` holds, gathered."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: dict[str, bytes] = {}
        self.dirs: dict[str, list[str]] = {}
        self.odd: set[str] = set()
        self.unread: dict[str, tuple[int, int, int]] = {}
        self.budget = WALK_TOTAL_BYTES

    def folder(self, top: str) -> None:
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(f"{self.root}/{folder}") as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                self.odd.add(folder)
                continue
            self.dirs[folder] = [e.name for e in entries]
            for e in entries:
                rel = f"{folder}/{e.name}"
                try:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(rel)
                    else:
                        self.entry(rel, e.stat(follow_symlinks=False))
                except OSError:
                    self.odd.add(rel)

    def entry(self, rel: str, info: os.stat_result) -> None:
        """A non-folder: read it, leave it for later (large), or hand it to DirSource (not plain)."""
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            self.odd.add(rel)  # a symlink, FIFO, device, socket, or over the limit of a fleet file
        elif info.st_size > min(WALK_FILE_BYTES, self.budget):
            self.unread[rel] = (info.st_size, info.st_mtime_ns, info.st_ino)
        else:
            self.read(rel)

    def read(self, rel: str) -> None:
        try:
            fd = os.open(f"{self.root}/{rel}", os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            self.odd.add(rel)
            return
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                self.odd.add(rel)  # swapped for something else since the listing
                return
            data = os.read(fd, info.st_size + 1)  # one read to the end, when the size holds
            if len(data) != info.st_size:  # it changed meanwhile, or a short read: read to the end
                chunks = [data]
                while (chunk := os.read(fd, 1 << 20)) and sum(map(len, chunks)) <= MAX_FILE_BYTES:
                    chunks.append(chunk)
                data = b"".join(chunks)
            if len(data) > MAX_FILE_BYTES:
                self.odd.add(rel)
            else:
                self.files[rel] = data
                self.budget -= len(data)
        except OSError:
            self.odd.add(rel)
        finally:
            os.close(fd)
