"""STAND-INS for `kubectl` and the cloud CLIs `gcloud`, `aws`, `az` (not the tools): they talk to
no cluster and record every call.

    kube = KubeStandins(tmp_path / "kube-state")
    bindir = kube.install(tmp_path / "bin")      # kubectl, gcloud, aws, az; point HUBFLEET_* at them
    kube.add_user_pod("uni-staging", "jupyter-ada", "Ada@uni.example")
    kube.calls("kubectl")                         # [{"argv": [...], "KUBECONFIG": ..., "kubeconfig": ...}]

What each does:
- the cloud CLIs write a kubeconfig with one context named after the cluster they are asked for
  (`--kubeconfig`, `--file`, else `$KUBECONFIG`), as the real `get-credentials` /
  `update-kubeconfig` do; `STANDIN_FAIL=1` makes them fail;
- `kubectl config view --minify --flatten [--context C] [--kubeconfig F]`: prints F (else the
  `$KUBECONFIG` file) reduced to one context (C, else its current-context), or fails like kubectl
  when there is none;
- `kubectl get pods ... -o json`: the pods added with `add_user_pod` in that namespace;
- `kubectl logs --namespace N TARGET --container C [--follow]`: prints `log of TARGET/C in N`;
- every call records its argv, `KUBECONFIG` (kubectl: `--kubeconfig` if given), and the content of
  the kubeconfig it names (read while the call runs, when a temporary or in-memory file exists).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

__all__ = ["KubeStandins", "main"]

TOOLS = ("kubectl", "gcloud", "aws", "az")
_SHIM = """#!{python}
# A STAND-IN for {tool} (hubfleet.testing.standins.kube), not {tool}. State: {state}
import sys
sys.path.insert(0, {lib!r})
from hubfleet.testing.standins.kube import main
sys.exit(main({tool!r}, sys.argv[1:], {state!r}))
"""


class KubeStandins:
    def __init__(self, state: Path) -> None:
        self.state = Path(state)
        self.state.mkdir(parents=True, exist_ok=True)

    def install(self, bindir: Path) -> Path:
        """Write the four executables into `bindir`; returns `bindir`."""
        bindir.mkdir(parents=True, exist_ok=True)
        lib = str(Path(__file__).resolve().parents[3])
        for tool in TOOLS:
            exe = bindir / tool
            exe.write_text(_SHIM.format(python=sys.executable, tool=tool, lib=lib, state=str(self.state)))
            exe.chmod(0o755)
        return bindir

    def add_user_pod(self, namespace: str, pod: str, user: str) -> None:
        pods = _read(self.state / "pods.json", {})
        pods.setdefault(namespace, []).append(
            {"metadata": {"name": pod, "annotations": {"hub.jupyter.org/username": user}}}
        )
        (self.state / "pods.json").write_text(json.dumps(pods))

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        path = self.state / "calls.jsonl"
        if not path.is_file():
            return []
        out = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [c for c in out if tool is None or c["tool"] == tool]


def _read(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return default


def _flag(argv: list[str], *names: str) -> str | None:
    for name in names:
        if name in argv[:-1]:
            return argv[argv.index(name) + 1]
    return None


def _record(state: Path, tool: str, argv: list[str]) -> None:
    kubeconfig = (_flag(argv, "--kubeconfig") if tool == "kubectl" else None) or os.environ.get("KUBECONFIG")
    content = None
    if kubeconfig and os.path.isfile(kubeconfig):
        content = Path(kubeconfig).read_text()
    line = {"tool": tool, "argv": argv, "KUBECONFIG": kubeconfig, "kubeconfig": content}
    with open(state / "calls.jsonl", "a") as f:
        f.write(json.dumps(line) + "\n")


def _kubeconfig(name: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": f"https://{name}.standin.invalid"}}],
            "users": [{"name": name, "user": {"token": f"standin-token-{name}"}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        }
    )


def main(tool: str, argv: list[str], state: str) -> int:
    root = Path(state)
    _record(root, tool, argv)
    if tool == "kubectl":
        return _kubectl(root, argv)
    if os.environ.get("STANDIN_FAIL"):
        sys.stderr.write(f"ERROR: ({tool}) stand-in failure\n")
        return 1
    cloud_cluster = {
        "gcloud": argv[3] if len(argv) > 3 else "gke",
        "aws": _flag(argv, "--name"),
        "az": _flag(argv, "--name"),
    }
    target = _flag(argv, "--kubeconfig", "--file") or os.environ.get("KUBECONFIG")
    if not target:
        sys.stderr.write(f"{tool} stand-in: no kubeconfig to write (it would be ~/.kube/config)\n")
        return 2
    Path(target).write_text(_kubeconfig(cloud_cluster[tool] or tool))
    return 0


def _kubectl(root: Path, argv: list[str]) -> int:
    if argv[:2] == ["config", "view"]:
        return _config_view(argv)
    if argv[:2] == ["get", "pods"]:
        namespace = _flag(argv, "--namespace", "-n") or "default"
        items = _read(root / "pods.json", {}).get(namespace, [])
        print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        return 0
    if argv[:1] == ["logs"]:
        namespace = _flag(argv, "--namespace", "-n") or "default"
        container = _flag(argv, "--container", "-c")
        flags_with_values = {"--namespace", "-n", "--container", "-c"}
        target = next(
            a
            for i, a in enumerate(argv[1:], start=1)
            if not a.startswith("-") and argv[i - 1] not in flags_with_values
        )
        print(f"log of {target}/{container} in {namespace}")
        return 0
    sys.stderr.write(f"kubectl stand-in: {' '.join(argv)}: not a verb it knows\n")
    return 1


def _config_view(argv: list[str]) -> int:
    path = _flag(argv, "--kubeconfig") or os.environ.get("KUBECONFIG")  # the flag wins, as in kubectl
    try:
        doc = yaml.safe_load(Path(path).read_text()) if path else None
    except OSError:
        doc = None
    doc = doc or {}
    context = _flag(argv, "--context") or doc.get("current-context")
    contexts = {c["name"]: c["context"] for c in doc.get("contexts", [])}
    if not context or context not in contexts:
        sys.stderr.write(
            f'error: context "{context}" does not exist\n'
            if context
            else "error: current-context must exist in order to minify\n"
        )
        return 1
    picked = contexts[context]
    out = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [c for c in doc.get("clusters", []) if c["name"] == picked.get("cluster")],
        "users": [u for u in doc.get("users", []) if u["name"] == picked.get("user")],
        "contexts": [{"name": context, "context": picked}],
    }
    sys.stdout.write(yaml.safe_dump(out))
    return 0
