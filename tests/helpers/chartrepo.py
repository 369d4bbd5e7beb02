"""A tiny real Helm chart, packaged and indexed with real helm, served over HTTP on 127.0.0.1."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHART_YAML = "apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: '1.0'\n"
VALUES = "greeting: hello\nconfig: {}\nsecretToken: ''\nreplicas: 1\n"
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "greeting": {"type": "string"},
        "config": {"type": "object"},
        "secretToken": {"type": "string"},
        "replicas": {"type": "integer"},
    },
}
TEMPLATES = {
    "configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
        "{{- with .Values.config }}\n{{ toYaml . | indent 2 }}\n{{- end }}\n"
    ),
    "secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-token\n"
        "stringData:\n  token: {{ .Values.secretToken | quote }}\n"
    ),
}


def write_chart(folder: Path, name: str = "tinyhub", version: str = "0.1.0") -> Path:
    """A hand-written chart with a values.schema.json (additionalProperties: false)."""
    chart = folder / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART_YAML.format(name=name, version=version))
    (chart / "values.yaml").write_text(VALUES)
    (chart / "values.schema.json").write_text(json.dumps(SCHEMA, indent=1))
    for fname, text in TEMPLATES.items():
        (chart / "templates" / fname).write_text(text)
    return chart


@dataclass(frozen=True)
class ChartRepo:
    url: str
    folder: Path  # holds index.yaml and the .tgz archives


def _serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def chart_repo(helm_bin, tmp_path_factory) -> ChartRepo:
    """tinyhub 0.1.0 and 0.2.0 in a served chart repository."""
    work = tmp_path_factory.mktemp("charts")
    repo = work / "repo"
    repo.mkdir()
    server, url = _serve(repo)
    env = {
        **os.environ,
        **{f"HELM_{k}_HOME": str(work / "helm" / k.lower()) for k in ("CACHE", "CONFIG", "DATA")},
    }
    for version in ("0.1.0", "0.2.0"):
        src = write_chart(work / f"src-{version}", version=version)
        subprocess.run(
            [str(helm_bin), "package", str(src), "-d", str(repo)], check=True, capture_output=True, env=env
        )
    subprocess.run(
        [str(helm_bin), "repo", "index", str(repo), "--url", url], check=True, capture_output=True, env=env
    )
    yield ChartRepo(url, repo)
    server.shutdown()


def free_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (an unreachable repository)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/charts/"


@pytest.fixture(scope="session")
def shared_chart_repo() -> Iterator[ChartRepo]:
    """The real packaged charts of ../shared/charts/repo (jupyterhub 4.3.5 and 4.4.0, ...), served on
    127.0.0.1 as a chart repository; skipped where ../shared is absent."""
    from helpers.shared import shared_dir

    shared = shared_dir()
    folder = shared / "charts" / "repo" if shared else None
    if folder is None or not (folder / "index.yaml").is_file():
        pytest.skip("../shared/charts/repo is absent (set HUBFLEET_SHARED to its parent)")
    server, url = _serve(folder)
    yield ChartRepo(url, folder)
    server.shutdown()


# The upstream repositories the example fleet's fleet.yaml names (jupyterhub and the support set).
EXAMPLE_UPSTREAMS = (
    "https://hub.jupyter.org/helm-chart/",
    "https://kubernetes.github.io/ingress-nginx",
    "https://charts.jetstack.io",
    "https://prometheus-community.github.io/helm-charts",
)


def point_at(fleet_yaml: Path, url: str) -> None:
    """Every upstream chart repository of the example fleet replaced by `url` (the served one)."""
    text = fleet_yaml.read_text()
    for upstream in EXAMPLE_UPSTREAMS:
        text = text.replace(f"repo: {upstream}\n", f"repo: {url}\n")
    fleet_yaml.write_text(text)
