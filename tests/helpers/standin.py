"""A recording stand-in for `helm upgrade` and cloud CLIs (not the real tools).

The stand-in is a small executable that appends one JSON line per call to a log:
its argv, the content and mode of every `--values` file (read while the call
runs, when temp files still exist), and KUBECONFIG. Environment knobs:
STANDIN_FAIL=1 exit 1 (stderr: STANDIN_STDERR), STANDIN_SLEEP=seconds,
STANDIN_REAL=<real helm>: hand every call but `upgrade` to the real helm. It keeps no release
state (`history` says "not found"); hubfleet.testing.standins.helm is the stand-in that does.
STANDIN_SCAN_FOR=<text> with STANDIN_SCAN_DIRS=<dirs, os.pathsep-separated>: while the call runs,
look for that text in every file under those folders (the log itself excepted) and record the
hits as `scan_hits`: proof that a secret is on no disk while Helm reads it. A `/dev/fd/N`
value also records what the descriptor is (`links`: `/memfd:...` for an in-memory file).
Cloud CLIs: writes the kubeconfig they are asked for (`--kubeconfig`, `--file`, $KUBECONFIG).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCRIPT = r"""#!{python}
import json, os, stat, sys, time
argv = sys.argv[1:]
real = os.environ.get("STANDIN_REAL")
if argv[:1] == ["history"]:  # keeps no releases: every release is new to it
    sys.stderr.write("Error: release: not found\n")
    sys.exit(1)
if real and (not argv or argv[0] != "upgrade"):
    os.execv(real, [real, *argv])
values = {{}}
modes = {{}}
links = {{}}
for i, a in enumerate(argv[:-1]):
    if a in ("--values", "-f", "--kubeconfig"):
        p = argv[i + 1]
        try:
            values[p] = open(p).read()
            if p.startswith("/dev/fd/"):
                links[p] = os.readlink("/proc/self/fd/" + p.rsplit("/", 1)[1])
            elif os.path.isfile(p):
                modes[p] = oct(stat.S_IMODE(os.stat(p).st_mode))
        except OSError as e:
            values[p] = "<unreadable: %s>" % e
hits = []
needle = os.environ.get("STANDIN_SCAN_FOR", "").encode()
for base in filter(None, os.environ.get("STANDIN_SCAN_DIRS", "").split(os.pathsep)) if needle else ():
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(dirpath, name)
            if path == {log!r} or not os.path.isfile(path) or os.path.islink(path):
                continue
            try:
                if needle in open(path, "rb").read():
                    hits.append(path)
            except OSError:
                pass
record = {{"tool": os.path.basename(sys.argv[0]), "argv": argv, "values": values, "modes": modes,
          "links": links, "scan_hits": hits, "KUBECONFIG": os.environ.get("KUBECONFIG")}}
with open({log!r}, "a") as f:
    f.write(json.dumps(record) + "\n")
target = None
for flag in ("--kubeconfig", "--file"):
    if flag in argv and os.path.basename(sys.argv[0]) != "helm":
        target = argv[argv.index(flag) + 1]
if os.path.basename(sys.argv[0]) == "gcloud":
    target = os.environ.get("KUBECONFIG")
if target:
    with open(target, "w") as f:
        f.write("apiVersion: v1\nkind: Config\n")
time.sleep(float(os.environ.get("STANDIN_SLEEP", "0")))
if os.environ.get("STANDIN_FAIL"):
    sys.stderr.write(os.environ.get("STANDIN_STDERR", "stand-in failure") + "\n")
    sys.exit(1)
print("stand-in: recorded")
"""


def make_standin(folder: Path, name: str, log: Path) -> Path:
    """Write an executable stand-in called `name` into `folder` that records to `log`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(SCRIPT.format(python=sys.executable, log=str(log)))
    path.chmod(0o755)
    return path


def records(log: Path, subcommand: str | None = None) -> list[dict]:
    if not log.is_file():
        return []
    out = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [r for r in out if subcommand is None or (r["argv"][:1] == [subcommand])]
