"""A test cluster's processes: start a control plane, prove it ready, stop it leaving nothing.

Each component is started from `hubfleet.core.testcluster`'s argv, in its own session, logging
to `<folder>/logs/<component>.log`, and `start` returns only once each answers (etcd's /health,
the API server's /readyz, every simulated node Ready). A cluster started for a test session dies
with the process that started it (`PR_SET_PDEATHSIG`), so even a killed pytest leaves none
behind; one started by `invoke testcluster up` is detached and lives until `down`.
`cluster.json` records each component's pid and start time: `down` and `list` act only on
processes that provably are the ones we started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from hubfleet.adapters.kubeapi import KubeAPI
from hubfleet.adapters.pki import write_cluster_pki
from hubfleet.adapters.runner import run, spawn
from hubfleet.core import testcluster as tc
from hubfleet.core.errors import HubfleetError
from hubfleet.local.process import free_port, log_tail, start_ticks

__all__ = ["ControlPlane", "TestClusterError", "is_running", "read_state", "running", "stop_folder"]

_START_TIMEOUT = 90.0  # seconds for the whole control plane on a loaded 2-core machine


class TestClusterError(HubfleetError):
    """A component that would not start: its name and its log's tail."""


@dataclass
class ControlPlane:
    """One test cluster: `start()`, use `kubeconfig`, `stop()`."""

    name: str
    folder: Path
    binary: Path
    nodes: int = 0
    die_with_parent: bool = False
    layout: tc.Layout = field(init=False)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    server: str = field(default="", init=False)
    token: str = field(default="", init=False)
    _client: KubeAPI | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.layout = tc.Layout(self.folder)

    @property
    def kubeconfig(self) -> Path:
        return self.layout.kubeconfig

    @property
    def context(self) -> str:
        return self.name

    @property
    def ca_pem(self) -> str:
        """The cluster CA's certificate (PEM), to verify the API server; known once started."""
        return self._ca

    # --- lifecycle -------------------------------------------------------------------

    def start(self, timeout: float = _START_TIMEOUT) -> ControlPlane:
        deadline = time.monotonic() + timeout
        try:
            self._prepare()
            ports: list[int] = []
            for _ in range(3):  # three distinct ones: etcd's two and the API server's
                ports.append(free_port(avoid=ports))
            port = tc.Ports(etcd_client=ports[0], etcd_peer=ports[1], apiserver=ports[2])
            self._launch("etcd", tc.etcd_argv(self.layout, port))
            self._wait("etcd", deadline, lambda: _etcd_healthy(port.etcd_client))
            self._launch("kube-apiserver", tc.apiserver_argv(self.layout, port))
            self.server = f"https://127.0.0.1:{port.apiserver}"
            self._wait("kube-apiserver", deadline, self._apiserver_ready)
            self._write_kubeconfig()
            if self.nodes:
                self._start_nodes(deadline)
            self._record()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Every component ended (reverse order, SIGTERM then SIGKILL), the folder removed."""
        if self._client is not None:
            self._client.close()
            self._client = None
        for name in reversed(list(self.procs)):
            _end(self.procs[name])
        self.procs.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- steps -------------------------------------------------------------------------

    def _prepare(self) -> None:
        if self.folder.exists():
            raise TestClusterError(f"test cluster {self.name}: {self.folder} already exists")
        self.folder.mkdir(mode=0o700, parents=True)
        (self.folder / "logs").mkdir(mode=0o700)
        pki = write_cluster_pki(self.layout.pki, tc.ADMIN_USER)
        self.token = pki.admin_token
        self._ca = pki.ca_pem
        self.layout.egress.write_text(yaml.safe_dump(tc.egress_config(self.layout)))

    def _launch(self, component: str, argv: list[str]) -> None:
        log = self.layout.log(component)
        with open(log, "ab") as out:
            self.procs[component] = spawn(
                [str(self.binary), *argv],
                cwd=self.folder,
                env=_component_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                die_with_parent=self.die_with_parent,
            )

    def _wait(self, component: str, deadline: float, ready: Callable[[], bool]) -> None:
        proc = self.procs.get(component)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise self._failed(component, f"exited with {proc.returncode}")
            with contextlib.suppress(OSError, ValueError, httpx.HTTPError, HubfleetError):
                if ready():
                    return
            time.sleep(0.1)
        raise self._failed(component, "not ready in time")

    def _failed(self, component: str, why: str) -> TestClusterError:
        tail = log_tail(self.layout.log(component), lines=15)
        return TestClusterError(f"test cluster {self.name}: {component} {why}; its log ends:\n{tail}")

    def _apiserver_ready(self) -> bool:
        return self.api("GET", "/readyz")[0] == 200

    def _write_kubeconfig(self) -> None:
        doc = tc.kubeconfig(self.name, self.server, self._ca, self.token)
        fd = os.open(self.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False)

    def _start_nodes(self, deadline: float) -> None:
        staged = run([str(self.binary), "kwok-stages"], timeout=30)
        self.layout.stages.write_text(staged.stdout)
        self._launch("kube-controller-manager", tc.controller_manager_argv(self.layout))
        self._launch("kube-scheduler", tc.scheduler_argv(self.layout))
        self._launch("kwok", tc.kwok_argv(self.layout))
        names = [f"kwok-node-{i}" for i in range(self.nodes)]
        for node in names:
            status, body = self.api("POST", "/api/v1/nodes", tc.node_manifest(node))
            if status not in (200, 201):
                raise TestClusterError(f"test cluster {self.name}: node {node} refused: {body}")
        self._wait("kwok", deadline, lambda: all(self._node_ready(n) for n in names))
        # Pods need their namespace's ServiceAccount only once the controller made it.
        self._wait("kube-controller-manager", deadline, self._default_service_account)

    def _node_ready(self, node: str) -> bool:
        status, body = self.api("GET", f"/api/v1/nodes/{node}")
        conditions = (body or {}).get("status", {}).get("conditions", []) if status == 200 else []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    def _default_service_account(self) -> bool:
        return self.api("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200

    def _record(self) -> None:
        state = {
            "name": self.name,
            "nodes": self.nodes,
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "detached": not self.die_with_parent,
            "processes": {n: {"pid": p.pid, "started": _started(p.pid)} for n, p in self.procs.items()},
        }
        self.layout.state.write_text(json.dumps(state, indent=1))

    # --- the API, for readiness and nodes (kubectl is for users and tests) ---------------

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, parsed body) of one call as the cluster's admin, through the Kubernetes API
        adapter (one connection pool for the readiness polls)."""
        if self._client is None:
            self._client = KubeAPI(self.server, self.token, self._ca, timeout=5.0)
        return self._client.request(method, path, **({"json": body} if body is not None else {}))


# --- finding and stopping a recorded cluster (list, down) ------------------------------


def read_state(folder: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(tc.Layout(folder).state.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _ours(record: dict[str, Any]) -> int | None:
    """The pid of a recorded component if that process is still the one we started."""
    try:
        pid, started = int(record["pid"]), float(record["started"])
    except (KeyError, TypeError, ValueError):
        return None
    return pid if _started(pid) == started else None


def is_running(folder: Path) -> bool:
    state = read_state(folder)
    procs = (state or {}).get("processes", {})
    return bool(procs) and all(_ours(r) for r in procs.values())


def stop_folder(folder: Path) -> list[str]:
    """Stop the cluster recorded in `folder` (only processes that are provably ours) and remove
    the folder; the names of the components that were still running."""
    state = read_state(folder) or {}
    stopped = []
    for name, record in reversed(list(state.get("processes", {}).items())):
        pid = _ours(record)
        if pid:
            _end_pid(pid)
            stopped.append(name)
    shutil.rmtree(folder, ignore_errors=True)
    return stopped


# --- helpers ------------------------------------------------------------------------------


def _component_env() -> dict[str, str]:
    # No proxy settings reach the components: everything they talk to is on 127.0.0.1.
    keep = ("PATH", "HOME", "TMPDIR", "LANG", "TZ")
    return {k: v for k, v in os.environ.items() if k in keep}


def _etcd_healthy(port: int) -> bool:
    r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0)
    return r.status_code == 200 and r.json().get("health") == "true"


def running(pid: int) -> bool:
    """A live process (not a zombie) with that pid."""
    return _started(pid) is not None


def _started(pid: int) -> float | None:
    """A live process's start time (`process.start_ticks`); None when it is gone or a zombie."""
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None
    except (OSError, IndexError):
        return None
    return start_ticks(pid)


def _end(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _end_pid(pid: int, grace: float = 10.0) -> None:
    """End a process we did not start in this Python process (a detached cluster's)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _started(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    if _started(pid) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
