"""Careless-user input to every command: one located line and exit 1, never exit 3."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from hubfleet.adapters import runner
from hubfleet.adapters.source import DirSource
from hubfleet.app.load import load_fleet
from hubfleet.cli.boundary import boundary
from hubfleet.cli.commands import deploy as deploy_cmd
from hubfleet.cli.commands import health as health_cmd
from hubfleet.cli.commands import plan as plan_cmd
from hubfleet.cli.commands import render as render_cmd
from hubfleet.cli.commands import replicate as replicate_cmd
from hubfleet.cli.commands import stop as stop_cmd
from hubfleet.cli.commands import validate as validate_cmd
from hubfleet.core.errors import HubfleetError
from hubfleet.local import launch


def _err(capsys) -> str:
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return out.err


@pytest.mark.parametrize(
    ("command", "kwargs"),
    [(stop_cmd, {}), (health_cmd, {}), (replicate_cmd, {"out": "replica"}), (render_cmd, {})],
)
def test_hub_on_a_missing_cluster_is_one_located_line(example_fleet, capsys, command, kwargs):
    (example_fleet / "hubs/demo/hub.yaml").write_text("name: demo\ncluster: lokal\ndomain: d.localhost\n")
    assert boundary(command.run, hub="demo", **kwargs) == 1
    assert "hubs/demo/hub.yaml:2: cluster: no cluster `lokal` in clusters/ (did you mean `local`?)" in _err(
        capsys
    )
    assert not (example_fleet / "replica").exists()


def test_a_hub_whose_hub_yaml_is_broken_is_not_called_unknown(example_fleet, capsys):
    (example_fleet / "hubs/demo/hub.yaml").write_text("name: [demo\n")
    assert boundary(stop_cmd.run, hub="demo") == 1
    err = _err(capsys)
    assert "hubs/demo/hub.yaml:2: YAML syntax error" in err and "no hub" not in err


def test_validate_counts_each_hub_once(seeded_fleet, capsys):
    (seeded_fleet / "hubs/demo/hub.yaml").write_text("name: demo\ncluster: lokal\ndomain: d.localhost\n")
    hubs = len([p for p in (seeded_fleet / "hubs").iterdir() if p.is_dir()])
    assert boundary(validate_cmd.run) == 1
    assert f"{hubs} hub(s) checked: 1 error(s)" in capsys.readouterr().out


@pytest.mark.parametrize("rel", ["hubs/oceans/values.yaml", "hubs/oceans/hub.yaml"])
def test_a_folder_where_a_file_belongs_is_an_error_not_absent(seeded_fleet, capsys, rel):
    (seeded_fleet / rel).unlink()
    (seeded_fleet / rel).mkdir()
    assert boundary(validate_cmd.run) == 1
    assert f"{rel}: is a folder, not a file" in _err(capsys)


def test_a_dangling_symlink_layer_is_an_error_not_absent(seeded_fleet, capsys):
    layer = seeded_fleet / "hubs/oceans/values.yaml"
    layer.unlink()
    layer.symlink_to(seeded_fleet / "nowhere.yaml")
    assert boundary(render_cmd.run, hub="oceans") == 1
    assert "hubs/oceans/values.yaml: is a symlink to" in _err(capsys)


@pytest.mark.parametrize("kind", ["folder", "dangling symlink"])
def test_validate_reports_an_unreadable_layer_for_its_hub_and_checks_the_others(seeded_fleet, capsys, kind):
    layer = seeded_fleet / "hubs/oceans/values.yaml"
    layer.unlink()
    if kind == "folder":
        layer.mkdir()
    else:
        layer.symlink_to(seeded_fleet / "nowhere.yaml")
    other = seeded_fleet / "hubs/climate/values.yaml"
    other.write_text(other.read_text().replace("    tag:", "    tagg:"))
    hubs = len([p for p in (seeded_fleet / "hubs").iterdir() if p.is_dir()])
    for _ in range(2):  # the second run answers from the cache: the same lines
        assert boundary(validate_cmd.run) == 1
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err
        assert f"hubs/oceans/values.yaml: is a {kind.split()[-1]}" in out.err
        assert "hubs/climate/values.yaml:13: singleuser.image.tagg: unknown key for this chart" in out.err
        assert "hubs/climate/rendered.values.yaml: stale" in out.err  # its layer changed
        assert f"{hubs} hub(s) checked: 3 error(s)" in out.out


def test_a_folder_in_place_of_a_rendered_file_writes_nothing(example_fleet, capsys):
    rendered = example_fleet / "hubs/oceans/rendered.values.yaml"
    rendered.unlink()
    rendered.mkdir()
    (example_fleet / "hubs/climate/values.yaml").write_text("custom: {changed: true}\n")
    before = (example_fleet / "hubs/climate/rendered.values.yaml").read_text()
    assert boundary(render_cmd.run) == 1
    assert "hubs/oceans/rendered.values.yaml: is a folder, not a file" in _err(capsys)
    assert (example_fleet / "hubs/climate/rendered.values.yaml").read_text() == before
    assert boundary(render_cmd.run, check=True) == 1


def test_replicate_out_below_a_file(example_fleet, capsys):
    (example_fleet / "a-file").write_text("x")
    assert boundary(replicate_cmd.run, hub="climate", out="a-file/replica") == 1
    assert "a-file/replica: cannot create the --out folder: Not a directory" in _err(capsys)


def _git_fleet(root: Path) -> None:
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True)


@pytest.mark.parametrize("option", ["json_out", "markdown_out"])
def test_plan_output_to_a_folder_is_one_line(example_fleet, capsys, option):
    _git_fleet(example_fleet)
    assert boundary(plan_cmd.run, base="HEAD", **{option: str(example_fleet / "hubs")}) == 1
    assert "hubs: cannot write: Is a directory" in _err(capsys)


def test_plan_on_a_first_commit_says_so(example_fleet, capsys):
    _git_fleet(example_fleet)
    assert boundary(plan_cmd.run) == 1
    assert "HEAD has no parent commit here" in _err(capsys)


def test_a_plan_from_another_fleet_is_refused(example_fleet):
    fleet = load_fleet(DirSource(example_fleet))
    moved = [{"name": "climate", "cluster": "aws-us", "stage": "prod", "reasons": []}]
    with pytest.raises(HubfleetError, match="the plan puts hub climate on cluster aws-us"):
        deploy_cmd.select(fleet, cluster="aws-us", plan_hubs=moved)
    gone = [{"name": "gone", "cluster": "aws-us", "stage": "prod", "reasons": []}]
    with pytest.raises(HubfleetError, match="the plan names hub `gone`, which is not in hubs/"):
        deploy_cmd.select(fleet, plan_hubs=gone)


@pytest.fixture
def interrupt_soon():
    """Sets `runner.interrupted` 0.3 s after the test starts; the timer is cancelled and joined at
    teardown, so a test that ends early never sets it during a later test."""
    timer = threading.Timer(0.3, runner.interrupted.set)
    timer.start()
    yield
    timer.cancel()
    timer.join()
    runner.interrupted.clear()


def test_ctrl_c_kills_a_command_running_in_a_worker_thread(interrupt_soon):
    """Ctrl-C reaches only the main thread; the rollout sets `interrupted` for the workers."""
    start = time.monotonic()
    with pytest.raises(runner.Interrupted):
        runner.run(["sleep", "30"])
    assert time.monotonic() - start < 5


def test_ctrl_c_ends_the_wait_for_a_starting_hub(tmp_path, interrupt_soon):
    proc = subprocess.Popen(["sleep", "30"])
    start = time.monotonic()
    try:
        with httpx.Client() as http, pytest.raises(runner.Interrupted):
            launch._wait_ready(http, "demo", "http://127.0.0.1:9/", "t", proc.pid, tmp_path / "log", 30)
    finally:
        proc.kill()
        proc.wait()
    assert time.monotonic() - start < 10  # the wait ended on Ctrl-C, not at its 30 s deadline


def test_a_number_key_under_a_key_pattern_is_one_clear_error(jupyterhub_schema):
    """hub.config keys must match ^[A-Z]: `1:` is reported, the valid class names are not."""
    errors = jupyterhub_schema.errors({"hub": {"config": {1: "x", "Authenticator": {"admin_users": ["a"]}}}})
    assert [(e.keypath, e.message.split(";")[0]) for e in errors] == [
        (("hub", "config", "1"), "unknown key for this chart")
    ]
