"""A recording stand-in for `kubectl` (not the real tool): it answers `get secret` from a table.

Each call appends one JSON line to a log: argv, and the content of a `--kubeconfig` file
read while the call runs (so a `/dev/fd/N` kubeconfig must really reach it). It answers
`kubectl get secret S --namespace NS --output jsonpath={.data.<key>}` with the base64 of
the value that STANDIN_KUBECTL_SECRETS (JSON: {"NS/S/key": "value"}) gives, else prints
nothing (as kubectl does for a missing key). STANDIN_KUBECTL_FAIL=1: exit 1 like a refused login.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCRIPT = r"""#!{python}
import base64, json, os, re, sys
argv = sys.argv[1:]
record = {{"tool": "kubectl", "argv": argv}}
if "--kubeconfig" in argv:
    p = argv[argv.index("--kubeconfig") + 1]
    try:
        record["kubeconfig"] = open(p).read()
    except OSError as e:
        record["kubeconfig"] = "<unreadable: %s>" % e
with open({log!r}, "a") as f:
    f.write(json.dumps(record) + "\n")
if os.environ.get("STANDIN_KUBECTL_FAIL"):
    sys.stderr.write("error: You must be logged in to the server (Unauthorized)\n")
    sys.exit(1)
if argv[:2] == ["get", "secret"]:
    name = argv[2]
    ns = argv[argv.index("--namespace") + 1]
    out = argv[argv.index("--output") + 1]
    m = re.match(r"jsonpath=\{{\.data\.(.*)\}}$", out)
    key = m.group(1).replace("\\.", ".")
    table = json.loads(os.environ.get("STANDIN_KUBECTL_SECRETS", "{{}}"))
    value = table.get(f"{{ns}}/{{name}}/{{key}}")
    if value is None and name not in {{k.split("/")[1] for k in table if k.startswith(ns + "/")}}:
        sys.stderr.write(f'Error from server (NotFound): secrets "{{name}}" not found\n')
        sys.exit(1)
    if value is not None:
        sys.stdout.write(base64.b64encode(value.encode()).decode())
"""


def make_kubectl_standin(folder: Path, log: Path) -> Path:
    """Write the executable stand-in `kubectl` into `folder`, recording to `log`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kubectl"
    path.write_text(SCRIPT.format(python=sys.executable, log=str(log)))
    path.chmod(0o755)
    return path


def kubectl_records(log: Path) -> list[dict]:
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
