"""The `hubfleet` console script and the invoke tasks are one collection: same commands, options,
help and error boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HUBFLEET, INVOKE = BIN / "hubfleet", BIN / "invoke"


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_tasks_py_is_the_packages_collection():
    sys.path.insert(0, str(REPO))
    try:
        import tasks

        from hubfleet.cli.tasks import ns
    finally:
        sys.path.remove(str(REPO))
    assert set(tasks.ns.task_names) == {*ns.task_names, *tasks.DEV_ONLY}  # plus tasks not shipped
    assert all(tasks.ns[name] is ns[name] for name in ns.task_names)
    assert {"new-hub", "new-cluster", "status", "shell", "logs", "render", "validate"} <= set(ns.task_names)


def _in_process(program, argv: list[str], capsys) -> str:
    program.run(argv, exit=False)
    return capsys.readouterr().out


def test_the_same_commands_and_help(capsys, monkeypatch):
    from invoke.main import program as invoke_program

    from hubfleet.cli.main import program
    from hubfleet.cli.tasks import ns

    monkeypatch.chdir(REPO)
    ours = _in_process(program(), ["hubfleet", "--list"], capsys)
    theirs = _in_process(invoke_program, ["invoke", "--list"], capsys)
    dev_only = ("lint-workflows",)  # this repository's own tasks (tasks.py), not shipped

    def names(text: str) -> set[str]:  # "  render        Render each hub's ..." (continuations indented more)
        return {line.split()[0] for line in text.splitlines() if line.startswith("  ") and line[2] != " "}

    assert names(ours) == names(theirs) - set(dev_only) == set(ns.task_names)
    for name in ns.task_names:
        ours = _in_process(program(), ["hubfleet", "--help", name], capsys)
        theirs = _in_process(invoke_program, ["invoke", "--help", name], capsys)
        usage, _, rest = ours.partition("\n")
        their_usage, _, their_rest = theirs.partition("\n")
        assert usage.replace("hubfleet", "inv[oke]") == their_usage, name
        assert rest == their_rest and "Options:" in rest, name


@pytest.mark.parametrize("front", [HUBFLEET, INVOKE], ids=["hubfleet", "invoke"])
def test_the_same_error_boundary(front, example_fleet):
    (example_fleet / "hubs/oceans/hub.yaml").write_text("- not a mapping\n")
    argv = [front, "render"] if front == HUBFLEET else [front, "--search-root", REPO, "render"]
    proc = _run(argv, example_fleet)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "hubs/oceans/hub.yaml:1: holds a list, not a mapping" in proc.stderr


def test_the_console_script_works_in_a_fleet_without_tasks_py(example_fleet):
    assert not (example_fleet / "tasks.py").exists()
    proc = _run([HUBFLEET, "status", "--cluster", "uni-west"], example_fleet)
    assert proc.returncode == 0, proc.stderr
    hubs = [line.split()[0] for line in proc.stdout.splitlines()[1:] if line.split()[3] != "support"]
    assert hubs == ["uni-staging", "uni-research", "uni-teaching"]


def test_files_after_double_dash_pick_the_hubs_they_touch(example_fleet):
    proc = _run(
        [HUBFLEET, "render", "--check", "--", "clusters/gcp-eu/common.values.yaml", "README.md"],
        example_fleet,
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 rendered file(s) up to date" in proc.stdout  # eu-staging and climate
    proc = _run([HUBFLEET, "render", "--check", "--", "README.md"], example_fleet)
    assert proc.returncode == 0 and "nothing to render" in proc.stdout


def test_the_new_tasks_pass_their_options_on(example_fleet):
    """Every day-two task through the console script: options reach the command."""
    proc = _run([HUBFLEET, "new-hub", "Bad", "--cluster", "uni-west"], example_fleet)
    assert proc.returncode == 1 and "hub name: `Bad` is not usable" in proc.stderr
    proc = _run(
        [
            HUBFLEET,
            "new-cluster",
            "east",
            "--provider",
            "eks",
            "--region",
            "us-east-1",
            "--role-arn",
            "arn:x",
        ],
        example_fleet,
    )
    assert proc.returncode == 0, proc.stderr
    text = (example_fleet / "clusters/east/cluster.yaml").read_text()
    assert "region: us-east-1" in text and "role_arn: arn:x" in text and "cluster: east" in text
    proc = _run([HUBFLEET, "status", "--json", "--cluster", "east"], example_fleet)
    assert proc.returncode == 0, proc.stderr
    assert {r["kind"] for r in json.loads(proc.stdout)} == {"support"}  # no hubs yet: its support releases
    proc = _run([HUBFLEET, "logs", "--hub", "uni-staging", "--component", "nope"], example_fleet)
    assert (
        proc.returncode == 1
        and "--component nope: use one of hub, proxy, autohttps, user:NAME" in proc.stderr
    )
