"""The ported suites against their originals, in one run: tests, harness lines, wall time.

For each ported project this downloads the sdist of the installed version (`pip download`,
into a temporary folder; nothing is kept or committed), runs its own test suite on its
own harness, then the port in tests/ports/ on hubfleet's plugin, and prints a Markdown
table. Harness lines are counted the same way on both sides: every top-level statement of
a conftest or config file, and of a test module every top-level statement that is not a
test, an import or a docstring (helpers, fixtures, module config).

The originals need what their CI gives them: configurable-http-proxy on PATH; the idle
culler's hub binds the fixed port 8000, so it runs in a private network namespace
(`unshare --net`, as root); its servers run as root here, so a jupyter-server config file
allowing root is put in this environment for the duration of the run (and removed).
tmpauthenticator's sdist ships no conftest: its two fixtures are written here as upstream
has them, and its suite runs twice, on pytest-jupyterhub and unchanged on hubfleet.
Run with `nox -s compare` (it installs pytest-jupyterhub, which these tests never load).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from hubfleet.adapters.runner import run

ROOT = Path(__file__).resolve().parents[1]

TMPAUTH_CONFTEST = """
import aiohttp
import pytest
from traitlets.config import Config

pytest_plugins = ["jupyterhub-spawners-plugin"]


@pytest.fixture
async def hub_config():
    config = Config()
    config.JupyterHub.authenticator_class = "tmp"
    config.JupyterHub.base_url = "/prefix/"
    return config


@pytest.fixture
async def web_client_session():
    async with aiohttp.ClientSession() as web_client_session:
        yield web_client_session
"""


@dataclass(frozen=True)
class Suite:
    project: str  # PyPI name
    kind: str
    tests: str  # the original's tests folder inside the sdist
    harness: tuple[str, ...]  # the original's harness files (relative to the sdist)
    port: str  # tests/ports/<port>
    isolated_net: bool = False  # binds fixed ports: run in its own network namespace


SUITES = (
    Suite(
        "jupyterhub-tmpauthenticator", "authenticator", "tests", ("tests/conftest.py",), "tmpauthenticator"
    ),
    Suite(
        "jupyterhub-idle-culler",
        "service",
        "tests",
        ("tests/conftest.py", "tests/jupyterhub_config.py"),
        "idle_culler",
        isolated_net=True,
    ),
    Suite(
        "jupyterhub-nativeauthenticator",
        "authenticator (ORM, MockHub db)",
        "nativeauthenticator/tests",
        ("nativeauthenticator/tests/conftest.py",),
        "nativeauthenticator",
    ),
)


def harness_lines(path: Path, whole: bool) -> int:
    """Non-blank source lines of a harness file, or of a test module's non-test statements."""
    text = path.read_text()
    lines = text.splitlines()
    if whole:
        return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))
    count = 0
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
            continue
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
            continue
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        chunk = lines[start - 1 : node.end_lineno]
        count += sum(1 for line in chunk if line.strip() and not line.strip().startswith("#"))
    return count


def sdist(project: str, work: Path) -> Path:
    spec = f"{project}=={version(project)}"
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    run([*pip, "-d", str(work), spec], timeout=600)
    archive = next(work.glob("*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    archive.unlink()
    return next(p for p in work.iterdir() if p.is_dir())


def pytest_run(cwd: Path, args: list[str], env: dict[str, str], isolated_net: bool) -> tuple[float, str]:
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q", *args]
    if isolated_net:
        argv = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]
    t0 = time.perf_counter()
    done = run(argv, cwd=cwd, env=env, timeout=1800, check=False)
    took = time.perf_counter() - t0
    tail = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return took, (tail[-1] if tail else f"exit {done.returncode}: {done.stderr[-300:]}")


def counts(summary: str) -> str:
    found = dict((k, int(n)) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", summary))
    return ", ".join(f"{n} {k}" for k, n in found.items()) or summary


def main() -> int:
    from hubfleet.testing.components import find_chp
    from hubfleet.testing.launcher import MARKER, kill, leftovers

    chp = find_chp(ROOT)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(chp.parent), str(Path(sys.executable).parent), env["PATH"]])
    allow_root = Path(sys.prefix) / "etc/jupyter/jupyter_server_config.d/zz-compare-allow-root.json"
    rows = []
    work = Path(tempfile.mkdtemp(prefix="hubfleet-compare-"))
    try:
        allow_root.parent.mkdir(parents=True, exist_ok=True)
        allow_root.write_text(json.dumps({"ServerApp": {"allow_root": True}}))
        for suite in SUITES:
            src = sdist(suite.project, work / suite.port)
            if suite.project == "jupyterhub-tmpauthenticator":
                (src / "tests" / "conftest.py").write_text(TMPAUTH_CONFTEST)
            before = sum(harness_lines(src / f, True) for f in suite.harness) + sum(
                harness_lines(p, False) for p in (src / suite.tests).glob("test_*.py")
            )
            marked = {**env, MARKER: str(work)}  # what the original leaves running is found and ended
            orig_t, orig = pytest_run(
                src, ["-p", "no:hubfleet", suite.tests, "-o", "asyncio_mode=auto"], marked, suite.isolated_net
            )
            left = leftovers(work)
            if left:
                print(f"{suite.project}: its harness left {len(left)} process(es) running; ended them")
                kill(left)
            port_dir = ROOT / "tests" / "ports" / suite.port
            after = sum(harness_lines(p, p.name == "conftest.py") for p in port_dir.glob("*.py"))
            port_t, port = pytest_run(
                ROOT, ["-p", "no:jupyterhub-spawners-plugin", str(port_dir)], env, False
            )
            rows.append((suite, orig, orig_t, before, port, port_t, after))
            if suite.project == "jupyterhub-tmpauthenticator":  # pytest-jupyterhub style, unchanged
                conftest = src / "tests" / "conftest.py"
                conftest.write_text(
                    TMPAUTH_CONFTEST.replace('pytest_plugins = ["jupyterhub-spawners-plugin"]', "")
                )
                same_t, same = pytest_run(
                    src,
                    ["-p", "no:jupyterhub-spawners-plugin", "tests", "-o", "asyncio_mode=auto"],
                    env,
                    False,
                )
                rows.append((suite, orig, orig_t, before, same, same_t, before))
    finally:
        allow_root.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    import jupyterhub

    load = os.getloadavg()[0]
    print(f"JupyterHub {jupyterhub.__version__}, load average {load:.1f}, {os.cpu_count()} cores\n")
    print(
        "| project (kind) | original: tests, harness lines, time | on hubfleet: tests, harness lines, time |"
    )
    print("|---|---|---|")
    for suite, orig, orig_t, before, port, port_t, after in rows:
        how = "unchanged suite" if after == before else "port"
        print(
            f"| {suite.project} {version(suite.project)} ({suite.kind}) | {counts(orig)}, {before} lines, "
            f"{orig_t:.1f} s | {how}: {counts(port)}, {after} lines, {port_t:.1f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
