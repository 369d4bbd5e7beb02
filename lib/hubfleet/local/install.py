"""Node tools a local hub needs, installed with npm into `<state>/node/` when not on PATH."""

from __future__ import annotations

import shutil
from pathlib import Path

from filelock import FileLock

from hubfleet.adapters.runner import Runner, run
from hubfleet.adapters.source import state_dir
from hubfleet.core.errors import HubfleetError

CHP = "configurable-http-proxy"
CHP_VERSION = "^4.6"  # JupyterHub 5/6 speak to 4.x


def node_prefix(root: Path) -> Path:
    return state_dir(root) / "node"


def ensure_npm_package(
    root: Path, package: str, *, binary: str | None = None, version: str = "", runner: Runner = run
) -> Path:
    """`<state>/node/node_modules/<package>` (or its bin), installing it with npm once."""
    prefix = node_prefix(root)
    target = prefix / "node_modules" / ".bin" / binary if binary else prefix / "node_modules" / package
    if target.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise HubfleetError(
            f"{package} is needed and npm is not installed: install Node.js and npm "
            "(Debian: `apt-get install -y nodejs npm`), or put it on PATH"
        )
    prefix.mkdir(parents=True, exist_ok=True)
    with FileLock(str(prefix / ".install.lock")):
        if not target.exists():
            spec = f"{package}@{version}" if version else package
            argv = [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", spec]
            runner(argv, timeout=600)
    if not target.exists():
        raise HubfleetError(f"`npm install {package}` ran but {target} is missing")
    return target


def ensure_chp(root: Path, *, runner: Runner = run) -> Path:
    """configurable-http-proxy from PATH, else the copy under `<state>/node/`."""
    found = shutil.which(CHP)
    if found:
        return Path(found)
    return ensure_npm_package(root, CHP, binary=CHP, version=CHP_VERSION, runner=runner)
