"""Test-hub start-up: hubfleet's in-process hubs against JupyterHub's own MockHub, same run.

Each round starts, in turn: MockHub (`jupyterhub.tests.mocking`, what component suites
used), a `hub_app` hub (the public `JupyterHub` in the running loop), a `make_hub` hub
(in-process, in the plugin's hub thread) and a `make_hub(process=True)` hub; each with
configurable-http-proxy, measured from "start" until it answers. Then the first test of a
fresh pytest session, `await hub_app()`, on hubfleet's plugin and on pytest-jupyterhub's
(MockHub), alternating. Prints JSON medians; `nox -s bench` shows them with the ratio to
MockHub (target: in-process and first start <= 1.5x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path


async def mockhub_once() -> float:
    from jupyterhub.tests.mocking import MockHub
    from traitlets.config import Config

    MockHub.clear_instance()
    app = MockHub.instance(config=Config())
    t0 = time.perf_counter()
    await app.initialize([])
    await app.start()
    took = time.perf_counter() - t0
    app.http_server.stop()
    await app.shutdown_cancel_tasks(sig=signal.SIGTERM)  # pytest-jupyterhub's teardown
    MockHub.clear_instance()
    return took


async def hub_app_once(state: Path, chp: Path) -> float:
    from hubfleet.testing import hubconfig, inprocess, launcher

    t0 = time.perf_counter()
    place = launcher.new_place(state, chp, in_process=True)
    app, _ = inprocess.new_app(hubconfig.harness_config(hubconfig.to_config(None), place, mockhub=True))
    await inprocess.start_app(app)
    took = time.perf_counter() - t0
    await inprocess.stop_app(app)
    return took


def make_hub_once(state: Path, chp: Path, loop, process: bool) -> float:
    from hubfleet.testing import client, hubconfig, launcher

    t0 = time.perf_counter()
    cfg = hubconfig.to_config(None)
    if process:
        running = launcher.start_process(cfg, state, chp)
    else:
        running = launcher.start_in_process(cfg, state, chp, loop)
    admin = client.HubClient(running.endpoint)
    admin.snapshot()  # what make_hub does before handing the hub out
    took = time.perf_counter() - t0
    admin.close()
    running.stop()
    return took


# The first test of a fresh pytest session: the same test on each plugin, timed from its setup
# until `await hub_app()` returned (setup + call), and the whole pytest process.
FIRST_TEST = """
import pytest


@pytest.mark.asyncio
async def test_first_hub(hub_app):
    app = await hub_app()
    assert app.bind_url
"""
FIRST_CONFTEST = """
import json
import os

SPENT = []


def pytest_runtest_logreport(report):
    if report.when in ("setup", "call"):
        SPENT.append(report.duration)
    if report.when == "call" and report.failed:
        SPENT.append(float("nan"))


def pytest_sessionfinish(session):
    with open(os.environ["HUBFLEET_BENCH_OUT"], "w") as f:
        json.dump(sum(SPENT), f)
"""
PYTEST_JUPYTERHUB = "jupyterhub-spawners-plugin"  # pytest-jupyterhub's entry point


def first_start(work: Path, chp: Path, harness: str) -> tuple[float, float]:
    """(first test's setup + call, whole pytest run) in a fresh process, on `harness`
    ("hubfleet" or "pytest-jupyterhub", the other plugin disabled)."""
    import subprocess

    folder = work / f"first-{harness}-{time.monotonic_ns()}"
    folder.mkdir()
    (folder / "test_first.py").write_text(FIRST_TEST)
    (folder / "conftest.py").write_text(FIRST_CONFTEST)
    out = folder / "spent.json"
    other = PYTEST_JUPYTERHUB if harness == "hubfleet" else "hubfleet"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", f"no:{other}"]
    argv += ["-o", "asyncio_mode=auto", "--rootdir", str(folder), str(folder)]
    env = {**os.environ, "HUBFLEET_BENCH_OUT": str(out), "HUBFLEET_CHP": str(chp)}
    env["PATH"] = os.pathsep.join([str(chp.parent), str(Path(sys.executable).parent), env["PATH"]])
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"first-start test on {harness} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return json.loads(out.read_text()), wall


def measure(rounds: int) -> dict[str, float]:
    from hubfleet.testing.components import find_chp
    from hubfleet.testing.inprocess import HubLoop

    chp = find_chp(Path.cwd())
    tools = [str(chp.parent), str(Path(sys.executable).parent)]  # MockHub's proxy and servers
    os.environ["PATH"] = os.pathsep.join([*tools, os.environ["PATH"]])
    work = Path(tempfile.mkdtemp(prefix="hubfleet-bench-hubs-"))
    os.chdir(work)  # MockHub writes its cookie secret and database into the working directory
    loop = HubLoop()
    times: dict[str, list[float]] = {"mockhub": [], "hub_app": [], "make_hub": [], "make_hub_process": []}
    try:
        asyncio.run(mockhub_once())  # warm imports and the disk cache for every kind alike
        for i in range(rounds):
            times["mockhub"].append(asyncio.run(mockhub_once()))
            times["hub_app"].append(asyncio.run(hub_app_once(work / f"a{i}", chp)))
            times["make_hub"].append(make_hub_once(work / f"m{i}", chp, loop, False))
            times["make_hub_process"].append(make_hub_once(work / f"p{i}", chp, loop, True))
    finally:
        loop.close()
    import importlib.util

    import jupyterhub

    out = {k: statistics.median(v) for k, v in times.items()}
    if importlib.util.find_spec("pytest_jupyterhub") is not None:  # `nox -s bench` installs it
        first: dict[str, list[tuple[float, float]]] = {"hubfleet": [], "pytest-jupyterhub": []}
        for _ in range(rounds):  # alternating, so both sides see the same machine
            for harness, runs in first.items():
                runs.append(first_start(work, chp, harness))
        for harness, runs in first.items():
            out[f"first:{harness}"] = statistics.median(r[0] for r in runs)
            out[f"first-wall:{harness}"] = statistics.median(r[1] for r in runs)
    out["rounds"] = rounds
    out["jupyterhub"] = jupyterhub.__version__
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5, help="start-ups of each kind (medians reported)")
    args = p.parse_args(argv)
    print(json.dumps(measure(args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
