"""plan-comment.yaml (issue 14 item 13): the PR comes from GitHub's record of the run, never from
the artifact a PR's code wrote, and the artifact must be for that run's head commit.

The workflow's own shell steps run here with bash, `gh` replaced by a stand-in (not gh) that
answers the pulls API as GitHub would and records what it was asked.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github/workflows/plan-comment.yaml"
SHA = "a" * 40

GH_STANDIN = """#!/bin/sh
# A stand-in for gh (not gh): logs its argv; `api` answers with $GH_PRS filtered by --jq's sha.
printf '%s\\n' "$*" >> "$GH_LOG"
if [ "$1" = api ]; then printf '%s\\n' $GH_PRS; fi
"""


def steps() -> dict[str, dict]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    return {s.get("name", s.get("uses")): s for s in doc["jobs"]["comment"]["steps"]}


def run_step(step: dict, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    gh = bindir / "gh"
    gh.write_text(GH_STANDIN)
    gh.chmod(0o755)
    output = tmp_path / "github-output"
    output.touch()
    environ = {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "GH_LOG": str(tmp_path / "gh.log"),
        "GITHUB_OUTPUT": str(output),
        "GH_TOKEN": "t",
        "REPO": "org/fleet",
        **env,
    }
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def artifact(tmp_path):
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "plan.md").write_text("## plan\n")
    (plan / "pr-number").write_text("999\n")  # what a hostile PR's code could write: never read
    return plan


FIND = "Find the pull request of this run (from GitHub, not from the artifact)"
RUN = {"HEAD_SHA": SHA, "HEAD_OWNER": "forker", "HEAD_BRANCH": "feature"}


def test_no_step_reads_a_pr_number_from_the_artifact():
    text = WORKFLOW.read_text()
    assert "pr-number" not in text.replace("plan/pr-number", "") and "plan/pr-number" not in text
    assert "github.event.workflow_run.head_sha" in text
    plan = (REPO / ".github/workflows/plan.yaml").read_text()
    assert "out/head-sha" in plan and "pr-number" not in plan


def test_the_pr_is_found_from_the_run_and_checked(artifact, tmp_path):
    (artifact / "head-sha").write_text(SHA + "\n")
    done = run_step(steps()[FIND], tmp_path, {**RUN, "GH_PRS": "42"})
    assert done.returncode == 0, done.stderr + done.stdout
    assert (tmp_path / "github-output").read_text() == "number=42\n"
    asked = (tmp_path / "gh.log").read_text()
    assert "repos/org/fleet/pulls" in asked and "head=forker:feature" in asked and SHA in asked


@pytest.mark.parametrize(
    ("made_for", "prs", "why"),
    [
        ("b" * 40, "42", "not made for this run's head commit"),
        (None, "42", "not made for this run's head commit"),
        (SHA, "", "found 0"),
        (SHA, "42 43", "found 2"),
    ],
)
def test_a_foreign_artifact_or_no_single_pr_posts_nothing(artifact, tmp_path, made_for, prs, why):
    if made_for is not None:
        (artifact / "head-sha").write_text(made_for)
    done = run_step(steps()[FIND], tmp_path, {**RUN, "GH_PRS": prs})
    assert done.returncode == 1 and why in done.stdout + done.stderr
    assert (tmp_path / "github-output").read_text() == ""


def test_the_comment_goes_to_the_pr_found(artifact, tmp_path):
    done = run_step(steps()["Comment on the pull request"], tmp_path, {"PR": "42"})
    assert done.returncode == 0, done.stderr
    assert (
        (tmp_path / "gh.log")
        .read_text()
        .startswith("pr comment 42 --repo org/fleet --body-file plan/plan.md")
    )
