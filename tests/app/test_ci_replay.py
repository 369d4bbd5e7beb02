"""The deploy workflow never drops a merge: its plan and record steps, replayed on a git history.

The steps' shell scripts are read from `.github/workflows/` and run as GitHub would run them
(`bash -e -o pipefail`), with `origin` a local bare repository holding `refs/deployed/<cluster>`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.fleetbuild import render_all

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
GIT_ID = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


def step(workflow: str, job: str, name_start: str) -> dict:
    doc = yaml.safe_load((REPO / ".github" / "workflows" / workflow).read_text())
    [found] = [s for s in doc["jobs"][job]["steps"] if s.get("name", "").startswith(name_start)]
    return found


def replay(s: dict, cwd: Path, expressions: dict[str, str], tmp: Path) -> dict[str, str]:
    """Run a step's `run:` with its `env:` (each `${{ expr }}` looked up); returns its outputs."""
    env = {**os.environ, **GIT_ID}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for key, value in (s.get("env") or {}).items():
        env[key] = re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: expressions[m.group(1)], str(value))
    out, summary = tmp / "github-output", tmp / "summary.md"
    out.write_text("")
    env.update(GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary))
    script = re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: expressions[m.group(1)], s["run"])
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ID}, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit(root: Path, message: str) -> str:
    render_all(root)
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


def planned(root: Path, cluster: str) -> list[str]:
    path = root / "plans" / f"{cluster}.json"
    return [h["name"] for h in json.loads(path.read_text())["hubs"]] if path.exists() else []


def test_a_failed_runs_hubs_are_deployed_by_the_next_run(standin_fleet, tmp_path):
    root = standin_fleet.root
    shutil.copy(REPO / "tasks.py", root / "tasks.py")  # a fork of the template carries tasks.py
    (root / ".gitignore").write_text("plans/\n")
    git(root, "init", "-q", "-b", "main")
    a = commit(root, "fleet")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main", f"{a}:refs/deployed/k1", f"{a}:refs/deployed/k2")

    fetch = step("deploy.yaml", "plan", "Fetch what each cluster runs")
    plan = step("deploy.yaml", "plan", "invoke ci-plan")
    record = step("deploy-cluster.yaml", "deploy", "Record what the cluster runs")

    def run_plan(before: str, sha: str) -> dict[str, str]:
        exprs = {
            "github.token": "unused-locally",
            "github.event.before": before,
            "github.sha": sha,
            "inputs.hubs": "",
            "inputs.clusters": "",
            "inputs.all": "false",
            "inputs.prune": "false",
            "inputs.force": "false",
        }
        replay(fetch, root, exprs, tmp_path)
        return replay(plan, root, exprs, tmp_path)

    # push 1 changes beta (k1); its deploy job fails, so refs/deployed/k1 stays at A
    (root / "hubs/beta/values.yaml").write_text("config: {size: 2}\n")
    b = commit(root, "beta bigger")
    git(root, "push", "-q", "origin", "main")
    out = run_plan(a, b)
    assert planned(root, "k1") == ["beta"] and json.loads(out["rest"])["include"][0]["cluster"] == "k1"

    # push 2 changes eps (k2); it plans from each cluster's deployed ref, so beta is planned again
    (root / "hubs/eps/values.yaml").write_text("config: {size: 3}\n")
    c = commit(root, "eps bigger")
    git(root, "push", "-q", "origin", "main")
    out = run_plan(b, c)
    assert planned(root, "k1") == ["beta"] and planned(root, "k2") == ["eps"]
    assert sorted(e["cluster"] for e in json.loads(out["rest"])["include"]) == ["k1", "k2"]

    # k1's job succeeds this time and records C; the next run has nothing left for k1
    replay(
        record, root, {"github.token": "unused-locally", "inputs.cluster": "k1", "github.sha": c}, tmp_path
    )
    assert git(origin, "rev-parse", "refs/deployed/k1") == c
    run_plan(c, c)
    assert planned(root, "k1") == [] and planned(root, "k2") == ["eps"]
