"""`invoke plan --markdown` for a chart bump, for real: jupyterhub 4.3.5 -> 4.4.0 from ../shared/charts/repo,
served on 127.0.0.1, templated by real helm (no cluster), Secret data redacted."""

from __future__ import annotations

import os
import subprocess

import pytest

from helpers.chartrepo import _serve
from helpers.fleetbuild import render_all, write
from helpers.shared import shared_dir
from hubfleet.cli.commands import plan as plan_cmd

pytestmark = pytest.mark.slow

GIT_ID = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}


@pytest.fixture(scope="module")
def shared_repo_url():
    shared = shared_dir()
    if shared is None or not (shared / "charts" / "repo" / "jupyterhub-4.3.5.tgz").is_file():
        pytest.skip("../shared/charts/repo (jupyterhub 4.3.5 and 4.4.0) is absent (set HUBFLEET_SHARED)")
    server, url = _serve(shared / "charts" / "repo")
    yield url
    server.shutdown()


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ID})


def fleet_yaml(url: str, version: str) -> str:
    return f"charts:\n  jupyterhub:\n    repo: {url}\n    version: {version}\ndefault_chart: jupyterhub\n"


def test_chart_bump_shows_each_hubs_manifest_diff_and_inherited_default_changes(
    shared_repo_url, helm_bin, tmp_path, monkeypatch
):
    root = tmp_path / "fleet"
    write(root, "fleet.yaml", fleet_yaml(shared_repo_url, "4.3.5"))
    for c in ("k1", "k2"):
        write(
            root,
            f"clusters/{c}/cluster.yaml",
            f"name: {c}\nprovider: kubeconfig\nkubeconfig: {{context: {c}}}\n",
        )
    write(root, "hubs/s1/hub.yaml", "name: s1\ncluster: k1\ndomain: s1.example.org\nstage: staging\n")
    write(root, "hubs/p1/hub.yaml", "name: p1\ncluster: k1\ndomain: p1.example.org\n")
    write(root, "hubs/p1/values.yaml", "singleuser:\n  networkTools:\n    image: {tag: pinned-by-us}\n")
    write(root, "hubs/q1/hub.yaml", "name: q1\ncluster: k2\ndomain: q1.example.org\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("HUBFLEET_HELM", str(helm_bin))
    render_all(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    write(root, "fleet.yaml", fleet_yaml(shared_repo_url, "4.4.0"))
    render_all(root)
    git(root, "commit", "-qam", "jupyterhub 4.4.0")

    md = tmp_path / "plan.md"
    assert plan_cmd.run(base="HEAD~1", head="HEAD", markdown_out=str(md)) == 0
    text = md.read_text()
    summary = "<details><summary><code>p1</code>: chart jupyterhub 4.3.5 -> 4.4.0: manifests ("
    assert summary in text and "Secret data redacted)</summary>" in text
    p1 = text[text.index(summary) :].split("</details>", 1)[0]
    assert (
        "-        image: quay.io/jupyterhub/k8s-hub:4.3.5" in p1
        and "+        image: quay.io/jupyterhub/k8s-hub:4.4.0" in p1
    )
    assert "helm.sh/chart: jupyterhub-4" not in p1  # the version labels every object carries are left out
    assert "--- base/jupyterhub-4.3.5/Deployment/hub" in p1 and "Service/hub" not in p1
    assert all("<redacted>" in line for line in text.splitlines() if "cookie_secret" in line)
    assert "checksum/" not in text.replace("<checksum>", "") or "<checksum>" in text
    # the defaults a hub inherits are listed; one it pins is not
    assert "- `hub.image.tag: 4.3.5 -> 4.4.0`" in p1
    assert "singleuser.networkTools.image.tag" not in p1.split("Chart defaults that changed", 1)[1]
    assert "cluster k2 has no staging hub" in text
