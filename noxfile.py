"""Nox sessions: `nox -l` lists them. Each installs what it needs into its own venv."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["validate", "lint", "unit"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
SHARED = Path(os.environ.get("HUBFLEET_SHARED") or ROOT.parent / "shared")  # as tests/conftest.py
SHARED_CHART = SHARED / "charts" / "jupyterhub-4.4.0"
# The example fleet's support charts (fleet.yaml key -> packaged chart in ../shared/charts/repo).
SUPPORT_CHARTS = {
    "ingress-nginx": "ingress-nginx-4.15.1.tgz",
    "cert-manager": "cert-manager-v1.19.6.tgz",
    "prometheus": "prometheus-29.27.0.tgz",
}


def _seed_offline_charts(session: nox.Session) -> None:
    """No network to the chart repositories (CI): seed the real charts from ../shared: the packaged
    jupyterhub chart (its templates too, for `validate --server` and dry runs; else its schema and
    defaults), and the support releases' packaged charts."""
    repo = SHARED_CHART.parent / "repo"
    packaged = repo / "jupyterhub-4.4.0.tgz"
    seeds = [f"--seed-chart=jupyterhub={packaged if packaged.is_file() else SHARED_CHART}"]
    seeds = seeds if packaged.is_file() or SHARED_CHART.is_dir() else []
    for key, archive in SUPPORT_CHARTS.items():
        if (repo / archive).is_file():
            seeds.append(f"--seed-chart={key}={repo / archive}")
    if seeds:
        session.run("invoke", "setup", *seeds, silent=True)


@nox.session
def validate(session: nox.Session) -> None:
    """Every check of `invoke validate` on the whole fleet, rendered files up to date included."""
    session.install("-e", ".")
    _seed_offline_charts(session)
    session.run("invoke", "validate", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on the code, yamllint on the fleet, actionlint on the workflows."""
    session.install("ruff", "yamllint")
    session.run("ruff", "check", "lib", "devtools", "tests", "tasks.py", "noxfile.py")
    session.run("ruff", "format", "--check", "lib", "devtools", "tests", "tasks.py", "noxfile.py")
    session.run("yamllint", "--strict", "-c", ".yamllint.yaml", ".")
    session.install("-e", ".")
    session.run("invoke", "lint-workflows")


@nox.session
def unit(session: nox.Session) -> None:
    """The fast tests (tests/unit: pure, no processes, seconds): run these while you work."""
    session.install("-e", ".", "pytest", "hypothesis")
    session.run("pytest", "-p", "no:cacheprovider", "tests/unit", *session.posargs)


@nox.session
def base(session: nox.Session) -> None:
    """A base install (`pip install .`, no extras): every shipped module imports, and a rollout over
    remote clusters deploys (stand-ins for helm, sops and the hub)."""
    session.install(".")  # not editable, no extras: what `pip install hubfleet` gives
    session.install("pytest")
    session.run(
        "pytest", "-p", "no:cacheprovider", "tests/integration/test_base_install.py", *session.posargs
    )


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite: unit, real helm/sops/git, real JupyterHub processes, hub folders' tests."""
    session.install("-e", ".[test]")
    # With Go on PATH, the test clusters' binary too (built once into the user cache; reused);
    # without, the real-cluster tests skip and say so.
    session.run("invoke", "setup", *(["--kube"] if shutil.which("go") else []))
    _seed_offline_charts(session)
    if session.posargs:
        session.run("pytest", *session.posargs)
        return
    session.run("pytest", "tests")
    # Hub folders' own tests (the pytest plugin): their file names repeat across hubs.
    hub_tests = sorted(str(p) for p in ROOT.glob("hubs/*/tests"))
    if hub_tests:
        session.run("pytest", "--import-mode=importlib", "-p", "no:cacheprovider", *hub_tests)


# The JupyterHub releases the component-testing plugin supports: each in its own session.
JUPYTERHUB_VERSIONS = ["4.1", "5", "6"]
HUBTRAF_REPEATS = 3  # extra whole runs of the hubtraf port per plugin session
PLUGIN_DEPS = [
    "pytest-asyncio>=0.23",
    "jupyterhub-tmpauthenticator>=1",
    "jupyterhub-nativeauthenticator>=1.2",
    "jupyterhub-idle-culler>=1.4",
    "aiohttp>=3.9",
    "batchspawner>=1.3",
    "structlog",  # hubtraf's vendored client
    "colorama",
    "jupyterlab",  # hubtraf's test extra: its spawn ends on the server's /lab page
]


@nox.session(default=False)
@nox.parametrize("jupyterhub", JUPYTERHUB_VERSIONS)
def plugin(session: nox.Session, jupyterhub: str) -> None:
    """The component-testing pytest plugin and the ported suites, on JupyterHub 4.1, 5 and 6."""
    session.install("-e", ".[components]", *PLUGIN_DEPS, f"jupyterhub=={jupyterhub}.*")
    session.run("invoke", "setup", silent=True)  # configurable-http-proxy, never installed mid-test
    session.run("python", "-c", "import jupyterhub; print('JupyterHub', jupyterhub.__version__)")
    if session.posargs:
        session.run("pytest", "-p", "no:cacheprovider", *session.posargs)
        return
    session.run("pytest", "-p", "no:cacheprovider", "tests/testing", "tests/ports")
    # hubtraf's suite ends with a kernel shutting down: more whole sessions, each of which
    # fails if the session-end leftover check finds a process (issue 24's flake).
    for _ in range(HUBTRAF_REPEATS):
        session.run("pytest", "-p", "no:cacheprovider", "-q", "tests/ports/hubtraf")


@nox.session(default=False)
def compare(session: nox.Session) -> None:
    """The ported suites against their originals on their own harnesses, timed in one run."""
    session.install("-e", ".[components]", *PLUGIN_DEPS, "pytest-jupyterhub")
    session.run("python", "-m", "devtools.compare_ports", *session.posargs)


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """Fuzz loading, rendering and validation for a bounded time (default 120 s); any traceback fails.

    `nox -s fuzz -- --seconds 30 --seed 7` (CI runs it with a small budget)."""
    session.install("-e", ".")
    session.run("python", "-m", "devtools.fuzz", *(session.posargs or ["--seconds", "120"]))


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Speed and memory against baselines in the same run (2000 synthetic hubs; test hubs vs MockHub)."""
    # JupyterHub and pytest-jupyterhub: the test-hub start-up figures (a first test on each)
    session.install("-e", ".[components]", "pytest-asyncio>=0.23", "pytest-jupyterhub")
    session.run("invoke", "setup", silent=True)  # configurable-http-proxy
    session.run("python", "-m", "devtools.bench", *session.posargs)


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Deploy the demo hub on the local cluster and check its health."""
    session.install("-e", ".[local]")
    session.run("invoke", "setup")
    session.run("invoke", "deploy", "--hub", "demo")
