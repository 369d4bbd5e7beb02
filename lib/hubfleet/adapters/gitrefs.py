"""Commit ids of HEAD and origin/main read from the .git folder's files, without running git.

Validation keys small caches by them (one `git` process costs more than a warm validate's whole
budget allows for it). Loose refs, packed-refs and linked worktrees (`.git` a file, `commondir`)
are read; anything unexpected gives None, and the caller runs git as usual.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["head_and_upstream"]


def head_and_upstream(root: Path) -> tuple[str, str] | None:
    """(HEAD's commit, origin/main's commit or "") of the repository holding `root`, or None."""
    try:
        git_dir = _git_dir(root)
        if git_dir is None:
            return None
        common = git_dir
        if (git_dir / "commondir").is_file():
            common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
        head = (git_dir / "HEAD").read_text().strip()
        sha = _ref(common, git_dir, head[5:].strip()) if head.startswith("ref:") else head
        if not sha:
            return None
        return sha, _ref(common, git_dir, "refs/remotes/origin/main") or ""
    except OSError:
        return None


def _git_dir(root: Path) -> Path | None:
    for folder in (root.resolve(), *root.resolve().parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            text = dot.read_text().strip()
            if text.startswith("gitdir:"):
                return (folder / text[7:].strip()).resolve()
            return None
    return None


def _ref(common: Path, git_dir: Path, name: str) -> str | None:
    for base in (git_dir, common):
        loose = base / name
        if loose.is_file():
            return loose.read_text().strip() or None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            if line.endswith(" " + name) and not line.startswith(("#", "^")):
                return line.split(" ", 1)[0]
    return None
