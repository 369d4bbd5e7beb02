"""git for tests: a fixed identity and no signing, whatever the machine's own config says."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]


def git(root: Path, *args: str) -> str:
    """Run git in `root`; its output, stripped (a failure raises CalledProcessError)."""
    done = subprocess.run(["git", *IDENTITY, *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout.strip()
