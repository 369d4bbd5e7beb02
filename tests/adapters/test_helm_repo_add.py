"""`helm repo add --force-update` rewrites the repository's index: run once per chart and Helm home
in a process, never while a concurrent `helm upgrade` of the same rollout reads that index (the
bench's 60-hub rollout on real control planes failed 2 releases with `empty index.yaml file`)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hubfleet.adapters import helm
from hubfleet.adapters.runner import CommandError, Completed
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Chart

CHART = Chart(
    key="jupyterhub", repo="https://hub.jupyter.org/helm-chart/", name="jupyterhub", version="4.4.0"
)


def test_concurrent_releases_add_the_repository_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HUBFLEET_HELM", "/bin/true")
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    calls: list[list[str]] = []
    release = threading.Event()

    def runner(argv, **kw) -> Completed:
        calls.append(argv)
        release.wait(10)  # the first add still running while the others ask
        return Completed(argv, 0, "", "")

    threads = [
        threading.Thread(target=helm.repo_add, args=(tmp_path, CHART), kwargs={"runner": runner})
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert [a[1:3] for a in calls] == [["repo", "add"]]


def test_another_helm_home_or_a_failed_add_runs_it_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HUBFLEET_HELM", "/bin/true")
    calls: list[str] = []
    outcomes = iter([1, 0, 0])

    def runner(argv, **kw) -> Completed:
        calls.append(kw["env"]["HELM_REPOSITORY_CACHE"])
        done = Completed(tuple(argv), next(outcomes), "", "")
        if done.returncode:
            raise CommandError(done)
        return done

    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "a"))
    with pytest.raises(HubfleetError, match="cannot reach chart repository"):
        helm.repo_add(tmp_path, CHART, runner=runner)
    helm.repo_add(tmp_path, CHART, runner=runner)
    helm.repo_add(tmp_path, CHART, runner=runner)
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "b"))
    helm.repo_add(tmp_path, CHART, runner=runner)
    assert [Path(c).parts[-4] for c in calls] == ["a", "a", "b"]  # failed, then added once; then b
