"""What a base install (`pip install .`, no extras) must do: import, and deploy over remote clusters.

`nox -s base` runs this file in a venv holding only hubfleet and pytest; the full suite runs it
too. No real helm, kubectl, sops or hub: the recording stand-ins for helm (`HelmStandin`) and kubectl, a stand-in
sops that prints a file without its metadata, and a stand-in hub (`HubStandin`) for the
health check, each named as a stand-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers.kubectl_standin import make_kubectl_standin

LIB = Path(__file__).resolve().parents[2] / "lib" / "hubfleet"

# Shipped modules that need more than the base dependencies, and what they need.
NEEDS_EXTRA = {"hubfleet.testing.plugin": "pytest (it is the pytest plugin)"}
EXTRAS = ("psutil", "jupyterhub", "jupyter_server", "ipykernel", "tornado", "jupyterlab", "idle_culler")

TOKEN = "stand-in-health-token-0123"


def shipped_modules() -> list[str]:
    out = []
    for path in sorted(LIB.rglob("*.py")):
        parts = path.relative_to(LIB.parent).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_every_shipped_module_imports_without_the_extras():
    """In a subprocess where the `[local]` extra's modules cannot be imported (as on a base install)."""
    blocked = [m for m in EXTRAS]
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not in a base install)")
        sys.meta_path.insert(0, Block())
        failed = []
        for name in {[m for m in shipped_modules() if m not in NEEDS_EXTRA]!r}:
            try:
                importlib.import_module(name)
            except Exception as e:
                failed.append(f"{{name}}: {{type(e).__name__}}: {{e}}")
        print("\\n".join(failed))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
    assert len(shipped_modules()) > 40  # the walk found the package


SOPS_STANDIN = """#!{python}
# A STAND-IN for sops (not sops): `--decrypt FILE` prints FILE without its `sops:` metadata.
import sys, yaml
argv = [a for a in sys.argv[1:] if a != "--disable-version-check"]
assert argv[0] == "--decrypt", argv
doc = yaml.safe_load(open(argv[1]))
doc.pop("sops", None)
sys.stdout.write(yaml.safe_dump(doc))
"""

FAKE_SOPS_META = {"mac": "ENC[stand-in]", "age": [{"recipient": "age1standin", "enc": "stand-in"}]}


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def remote_fleet(tmp_path, monkeypatch):
    """Two kubeconfig clusters, each a staging and a prod hub (each with the health token)."""
    from hubfleet.adapters.source import DirSource
    from hubfleet.app.load import load_fleet
    from hubfleet.app.render import render_hub
    from hubfleet.testing.standins.helm import HelmStandin

    root = tmp_path / "fleet"
    write(
        root,
        "fleet.yaml",
        "charts:\n  jupyterhub:\n    repo: https://hub.jupyter.org/helm-chart/\n    name: jupyterhub\n"
        "    version: 4.4.0\ndefault_chart: jupyterhub\nrollout:\n  timeout: 60\n"
        "  health: {timeout: 20, retries: 1}\n",
    )
    for cluster in ("west", "east"):
        write(
            root,
            f"clusters/{cluster}/cluster.yaml",
            f"name: {cluster}\nprovider: kubeconfig\nkubeconfig: {{context: ctx-{cluster}}}\n",
        )
        write(
            root,
            f"hubs/{cluster}-staging/hub.yaml",
            f"name: {cluster}-staging\ncluster: {cluster}\ndomain: staging.{cluster}.example.org\nstage: staging\n",
        )
        secrets = {"hub": {"services": {"hubfleet-health": {"apiToken": TOKEN}}}, "sops": FAKE_SOPS_META}
        write(root, f"hubs/{cluster}-staging/secrets.yaml", json.dumps(secrets))
        write(root, f"hubs/{cluster}-prod/secrets.yaml", json.dumps(secrets))
        write(
            root,
            f"hubs/{cluster}-prod/hub.yaml",
            f"name: {cluster}-prod\ncluster: {cluster}\ndomain: {cluster}.example.org\n",
        )
        write(root, f"hubs/{cluster}-prod/values.yaml", "singleuser:\n  memory: {limit: 4G}\n")
    fleet = load_fleet(DirSource(root))
    assert not [p for p in fleet.problems if p.severity == "error"], fleet.problems
    for hub in fleet.hubs.values():
        r = render_hub(fleet, hub)
        (root / r.path).write_text(r.text)

    helm = HelmStandin(tmp_path / "helm-state")
    bindir = tmp_path / "bin"
    monkeypatch.setenv("HUBFLEET_HELM", str(helm.install(bindir)))
    # kubectl (the ownership mark after each release): a STAND-IN too, as no cluster exists here
    kubectl = make_kubectl_standin(bindir, tmp_path / "kubectl.jsonl")
    monkeypatch.setenv("HUBFLEET_KUBECTL", str(kubectl))
    sops = bindir / "sops"
    sops.write_text(SOPS_STANDIN.format(python=sys.executable))
    sops.chmod(0o755)
    monkeypatch.setenv("HUBFLEET_SOPS", str(sops))
    monkeypatch.setenv("HUBFLEET_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("STANDIN_REAL", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.chdir(root)
    return root, helm


def test_rollout_over_remote_clusters_staging_healthy_then_prod(remote_fleet):
    """The deploy path of a base install: helm (stand-in) per hub, the health check of each staging
    hub against a stand-in hub, then that cluster's prod hub."""
    import io

    from rich.console import Console

    from hubfleet.adapters import runner
    from hubfleet.app.deploy import deploy_hub
    from hubfleet.app.health import health_for_hub
    from hubfleet.app.load import load_work_tree
    from hubfleet.core.rollout import Target, run_rollout
    from hubfleet.testing.standins.hub import HubStandin

    _, helm = remote_fleet
    root, fleet = load_work_tree()
    hub = HubStandin(token=TOKEN)
    targets = [Target(name, h.cluster, h.stage) for name, h in sorted(fleet.hubs.items())]
    report = run_rollout(
        targets,
        lambda name: deploy_hub(root, fleet, name),
        lambda name: health_for_hub(root, fleet, name, transport=hub.transport, connect=hub.connect),
        fleet.config.rollout,
        console=Console(file=io.StringIO(), width=200),
        interrupted=runner.interrupted,
    )
    outcomes = {o.hub: (o.status, o.health) for o in report.outcomes}
    assert report.ok, report.outcomes
    assert outcomes == {name: ("ok", "healthy") for name in fleet.hubs}

    # Helm (the stand-in) now holds one deployed revision per hub, on its own cluster.
    assert sorted(helm.releases()) == [
        ("ctx-east", "east-prod", "east-prod"),
        ("ctx-east", "east-staging", "east-staging"),
        ("ctx-west", "west-prod", "west-prod"),
        ("ctx-west", "west-staging", "west-staging"),
    ]
    upgrades = [c for c in helm.calls("upgrade")]
    order = [c["argv"][c["argv"].index("--install") + 1] for c in upgrades]
    for cluster in ("west", "east"):
        assert order.index(f"{cluster}-staging") < order.index(f"{cluster}-prod")
    # The health check ran against each hub's https://<domain>/ with its token, and ran 1+1;
    # a staging hub was healthy before its cluster's prod hub was checked.
    hosts = [host for _, host, _ in hub.requests]
    assert set(hosts) == {h.domain for h in fleet.hubs.values()}
    for cluster in ("west", "east"):
        assert hosts.index(f"staging.{cluster}.example.org") < hosts.index(f"{cluster}.example.org")
    assert hub.executed == ["1+1"] * 4
    assert hub.users == {}  # every temporary user was deleted


def test_an_unhealthy_staging_hub_stops_its_clusters_prod(remote_fleet):
    import io

    from rich.console import Console

    from hubfleet.app.deploy import deploy_hub
    from hubfleet.app.health import health_for_hub
    from hubfleet.app.load import load_work_tree
    from hubfleet.core.rollout import Target, run_rollout
    from hubfleet.testing.standins.hub import HubStandin

    root, fleet = load_work_tree()
    sick = HubStandin(token="not-the-token")  # the token in secrets.yaml is refused
    targets = [
        Target(name, h.cluster, h.stage) for name, h in sorted(fleet.hubs.items()) if h.cluster == "west"
    ]
    report = run_rollout(
        targets,
        lambda name: deploy_hub(root, fleet, name),
        lambda name: health_for_hub(root, fleet, name, transport=sick.transport, connect=sick.connect),
        fleet.config.rollout,
        console=Console(file=io.StringIO(), width=200),
    )
    outcomes = {o.hub: (o.status, o.message) for o in report.outcomes}
    assert outcomes["west-staging"][0] == "failed" and "step `api`" in outcomes["west-staging"][1]
    assert outcomes["west-prod"] == ("skipped", "staging failed on west")
    assert os.environ["HUBFLEET_HELM"].endswith("helm")
