"""A `Source` over one commit's git objects: load any commit like the working tree.

The tree is listed once (`git ls-tree -r -z`, through the runner). Blobs are read
lazily, cached, through one long-lived `git cat-file --batch` process: a process
per file would cost ~2 ms each, 16 s for 8000 files. The files the loader reads
anyway (fleet.yaml, every cluster.yaml and hub.yaml) are fetched in one pipelined
batch on first use.

Blob ids double as content digests (`digest`), so comparing two commits' inputs
needs no blob read at all; other sources get the same git-style sha1 of bytes.
"""

from __future__ import annotations

import hashlib
import posixpath
import subprocess
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path

from hubfleet.adapters.runner import CommandError, Runner, run, spawn
from hubfleet.adapters.source import MAX_FILE_BYTES, ListedSource, Source, outside_fleet, too_big
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError

__all__ = ["GitSource", "digest", "folder_digest", "git", "resolve_rev"]


GIT_TIMEOUT = 300  # seconds: git reads local objects; one that takes longer waits on a lock or a prompt


def git(args: list[str], cwd: Path, runner: Runner = run) -> str:
    """stdout of one git command run in `cwd`, stripped."""
    return runner(["git", *args], cwd=cwd, timeout=GIT_TIMEOUT).stdout.strip()


def resolve_rev(root: Path, rev: str, runner: Runner = run) -> str:
    """The full commit SHA of `rev`, or one clear line saying why not."""
    try:
        return git(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root, runner
        )
    except CommandError:
        raise HubfleetError(
            f"`{rev}` is not a commit in {root}: fetch it (CI: actions/checkout with fetch-depth: 0)"
        ) from None


class _CatFile:
    """One `git cat-file --batch` process; requests are serialised by a lock."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen[bytes]:
        if self.proc is None:
            # One long-lived git answers every blob request; it ends with its stdin (close()).
            self.proc = spawn(
                ["git", "cat-file", "--batch"], cwd=self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            weakref.finalize(self, _stop, self.proc)
        return self.proc

    def get_many(self, oids: list[str]) -> list[bytes]:
        """Blob contents in order; requests are written by a thread so pipes never fill both ways."""
        if not oids:
            return []
        with self.lock:
            proc = self._start()
            assert proc.stdin and proc.stdout
            stdin, stdout = proc.stdin, proc.stdout

            def write() -> None:
                stdin.write(b"".join(o.encode() + b"\n" for o in oids))
                stdin.flush()

            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            out = []
            for oid in oids:
                head = stdout.readline().split()
                if len(head) != 3:
                    raise HubfleetError(
                        f"git cat-file: cannot read object {oid} "
                        f"({b' '.join(head).decode('utf-8', 'replace')})"
                    )
                size = int(head[2])
                out.append(stdout.read(size))
                stdout.read(1)  # the newline after each object
            writer.join()
            return out

    def close(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


class GitSource(ListedSource):
    """The fleet as it is at commit `rev` (the fleet root may be a subfolder of the repo)."""

    def __init__(self, root: Path, rev: str, runner: Runner = run) -> None:
        self.root = Path(root)
        self.sha = resolve_rev(self.root, rev, runner)
        self.label = f"commit {self.sha[:12]}"
        prefix = git(["rev-parse", "--show-prefix"], self.root, runner)
        listing = runner(
            ["git", "ls-tree", "-r", "-z", "--full-tree", self.sha, *([prefix] if prefix else [])],
            cwd=self.root,
            timeout=GIT_TIMEOUT,
        ).stdout
        self.oids: dict[str, str] = {}
        self.links: set[str] = set()  # symbolic links (mode 120000): their blob is the target
        for entry in listing.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            mode, kind, oid = meta.split()
            if kind == "blob" and path.startswith(prefix):
                self.oids[path[len(prefix) :]] = oid
                if mode == "120000":
                    self.links.add(path[len(prefix) :])
        super().__init__(self.oids)
        self._blobs: dict[str, bytes] = {}
        self._cat = _CatFile(self.root)
        self._prefetched = False

    # --- Source ---------------------------------------------------------------------

    def read(self, path: str, _hops: int = 0) -> bytes | None:
        """As the working tree reads it: a link inside the fleet is followed, one out of it (or a
        loop) is the same error `DirSource` gives; a file over MAX_FILE_BYTES is refused."""
        if path in self.links:
            target = self._blob(self.oids[path]).decode("utf-8", "replace")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                raise outside_fleet(path, target)
            if _hops > 20:
                raise HubfleetError.at(path, "is a symlink loop: point it at a real file")
            return self.read(resolved, _hops + 1)
        oid = self.oids.get(path)
        if oid is None:
            return None
        data = self._blob(oid)
        if len(data) > MAX_FILE_BYTES:
            raise too_big(path, len(data))
        return data

    def _blob(self, oid: str) -> bytes:
        if not self._prefetched:
            self._prefetched = True
            self.prefetch(self._loader_files())
        data = self._blobs.get(oid)
        if data is None:
            (data,) = self._cat.get_many([oid])
            self._blobs[oid] = data
        return data

    # --- beyond Source --------------------------------------------------------------

    def oid(self, path: str) -> str | None:
        """The blob id of `path` (of its target, for a link): equal ids mean equal bytes, with no read.
        A link out of the fleet, or a loop, is the error `read` gives."""
        start = path
        for _ in range(20):
            if path not in self.links:
                return self.oids.get(path)
            target = self._blob(self.oids[path]).decode("utf-8", "replace")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                raise outside_fleet(start, target)
            path = resolved
        raise HubfleetError.at(start, "is a symlink loop: point it at a real file")

    def prefetch(self, paths: Iterable[str]) -> None:
        todo = sorted({o for p in paths if (o := self.oids.get(p)) and o not in self._blobs})
        for oid, data in zip(todo, self._cat.get_many(todo), strict=True):
            self._blobs[oid] = data

    def _loader_files(self) -> list[str]:
        wanted = ["fleet.yaml"]
        wanted += [paths.cluster(c).cluster_yaml for c in self.subdirs(paths.CLUSTERS)]
        wanted += [paths.hub(h).hub_yaml for h in self.subdirs(paths.HUBS)]
        return wanted

    def close(self) -> None:
        self._cat.close()

    def __enter__(self) -> GitSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- digests that work on any Source ----------------------------------------------------


def _blob_sha1(data: bytes) -> str:
    """Git's blob id, so digests from bytes and from git objects agree."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def digest(source: Source, path: str) -> str | None:
    """A content digest of one file (None if absent), free for a GitSource."""
    if isinstance(source, GitSource):
        return source.oid(path)
    data = source.read(path)
    return None if data is None else _blob_sha1(data)


def folder_digest(source: Source, folder: str) -> str:
    """One digest for every file (name and content) under `folder`: a chart folder."""
    h = hashlib.sha256()
    for path in source.files_under(folder):
        h.update(f"{path}\0{digest(source, path)}\n".encode())
    return h.hexdigest()
