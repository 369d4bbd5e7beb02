"""The pre-commit hooks, run by the real `pre-commit` against a temporary fleet repository.

The hook repository is a git copy of this project's package (what `repo: <url>` would clone);
pre-commit installs it into its own virtualenv, as it would for any user.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.git import git

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

pytestmark = pytest.mark.slow

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "greeting": {"type": "string"},
        "config": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"color": {"type": "string"}},
        },
    },
}


def _write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This project as a hook repository: its package and its .pre-commit-hooks.yaml, committed."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(REPO / name, repo / name)
    shutil.copytree(REPO / "lib", repo / "lib", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hubfleet")
    return repo, git(repo, "rev-parse", "HEAD")


@pytest.fixture
def fleet_repo(tmp_path, hook_repo, monkeypatch) -> Path:
    """A fleet repository (chart folder: no network) whose config uses the hooks, committed clean."""
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.render import render_hub

    root = tmp_path / "fleet"
    _write(root, "fleet.yaml", "charts:\n  tiny: {path: charts/tiny}\ndefault_chart: tiny\n")
    _write(root, "charts/tiny/Chart.yaml", "apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    _write(root, "charts/tiny/values.schema.json", json.dumps(SCHEMA))
    _write(root, "charts/tiny/values.yaml", "greeting: hi\n")
    _write(root, "clusters/k1/cluster.yaml", "name: k1\nprovider: kubeconfig\nkubeconfig: {context: k1}\n")
    for hub in ("alpha", "beta"):
        _write(root, f"hubs/{hub}/hub.yaml", f"name: {hub}\ncluster: k1\ndomain: {hub}.example.org\n")
        _write(root, f"hubs/{hub}/values.yaml", "config:\n  color: blue\n")
    fleet = load_fleet(DirSource(root))
    for hub in fleet.hubs.values():
        r = render_hub(fleet, hub)
        (root / r.path).write_text(r.text)
    repo, rev = hook_repo
    config = {
        "repos": [
            {
                "repo": str(repo),
                "rev": rev,
                "hooks": [{"id": "hubfleet-render-check"}, {"id": "hubfleet-validate"}],
            }
        ]
    }
    _write(root, ".pre-commit-config.yaml", yaml.safe_dump(config))
    _write(root, ".gitignore", ".hubfleet/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fleet")
    monkeypatch.setenv(
        "PRE_COMMIT_HOME", str(tmp_path.parent / "pre-commit-home")
    )  # shared by this module's tests
    monkeypatch.delenv("HUBFLEET_STATE", raising=False)
    return root


def _pre_commit(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PRE_COMMIT), "run", "--color", "never"], cwd=root, capture_output=True, text=True, timeout=900
    )


def test_the_hooks_pass_on_a_good_change_and_look_only_at_touched_hubs(fleet_repo):
    # beta is stale in the committed tree, but the staged change touches only alpha
    (fleet_repo / "hubs/beta/values.yaml").write_text("config:\n  color: green\n")
    git(fleet_repo, "commit", "-qam", "beta stale")
    (fleet_repo / "hubs/alpha/values.yaml").write_text("# a comment only\nconfig:\n  color: blue\n")
    git(fleet_repo, "add", "hubs/alpha/values.yaml")
    proc = _pre_commit(fleet_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hubfleet render --check" in proc.stdout and "Passed" in proc.stdout


def test_render_check_fails_on_a_stale_rendered_file(fleet_repo):
    (fleet_repo / "hubs/alpha/values.yaml").write_text("config:\n  color: red\n")
    git(fleet_repo, "add", "hubs/alpha/values.yaml")
    proc = _pre_commit(fleet_repo)
    assert proc.returncode == 1
    assert "hubs/alpha/rendered.values.yaml: stale or missing: run `invoke render`" in proc.stdout
    assert "beta" not in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_validate_fails_with_one_located_line(fleet_repo):
    (fleet_repo / "hubs/beta/values.yaml").write_text("config:\n  colour: red\n")
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.render import render_hub

    fleet = load_fleet(DirSource(fleet_repo))
    r = render_hub(fleet, fleet.hubs["beta"])  # rendered up to date: only validate fails
    (fleet_repo / r.path).write_text(r.text)
    git(fleet_repo, "add", "-A")
    proc = _pre_commit(fleet_repo)
    assert proc.returncode == 1
    out = proc.stdout
    assert "hubs/beta/values.yaml:2: config.colour: unknown key for this chart (did you mean `color`?)" in out
    assert "1 hub(s) checked: 1 error(s)" in out
    assert "Traceback" not in out + proc.stderr


def test_this_repositorys_config_runs_the_same_hooks():
    """`.pre-commit-config.yaml` (repo: local, from ./dev) mirrors `.pre-commit-hooks.yaml`."""
    offered = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    used = {h["id"]: h for repo in config["repos"] if repo["repo"] == "local" for h in repo["hooks"]}
    assert set(used) == set(offered) == {"hubfleet-render-check", "hubfleet-validate"}
    for hook_id, hook in used.items():
        assert hook["entry"] == "./dev " + offered[hook_id]["entry"]
        for key in ("files", "require_serial"):
            assert hook[key] == offered[hook_id][key], (hook_id, key)
        assert hook["args"][-1] == offered[hook_id]["args"][-1] == "--"  # the staged files follow it
        assert set(hook["args"]) - set(offered[hook_id]["args"]) <= {"--offline"}
    for path in (".pre-commit-hooks.yaml", ".pre-commit-config.yaml"):
        verb = "validate-manifest" if "hooks" in path else "validate-config"
        proc = subprocess.run([str(PRE_COMMIT), verb, str(REPO / path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
