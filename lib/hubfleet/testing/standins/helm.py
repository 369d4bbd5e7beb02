"""A STAND-IN for `helm` (not Helm): release state per (cluster, namespace, release) in a folder.

Tests of rollouts need what a cluster would remember: revisions, statuses, a release left
`pending-upgrade` by a killed upgrade, the values and manifest a revision was made from. This
stand-in is an executable (`HelmStandin.install(bindir)`) that keeps exactly that in plain JSON
files, records every call, and can be told to fail or hang. It talks to no cluster.

    standin = HelmStandin(tmp_path / "helm-state")
    exe = standin.install(tmp_path / "bin")          # point HUBFLEET_HELM at it
    standin.inject("uni-staging", "fail")            # the next upgrade of that release fails
    standin.seed("uni-west", "uni-staging", "uni-staging", ["deployed", "pending-upgrade"])
    standin.history("uni-west", "uni-staging", "uni-staging")   # [{"revision": 1, ...}, ...]

State layout (one file per revision, so a killed process leaves what real Helm would):

    <state>/releases/<cluster>/<namespace>/<release>/<revision>.json
    <state>/inject.json     {"<release>": {"mode": "fail" | "hang" | "hang-hard", "times": 1}}
    <state>/calls.jsonl     one JSON line per call: argv, cluster, values files' content

The cluster is `--kube-context`, else the `current-context` of `$KUBECONFIG`, else `default`.
Verbs kept like Helm 3.18 (the JSON shapes of `-o json` included): `upgrade --install`, `status`,
`history`, `rollback`, `get values [--all]`, `get manifest`, `list`, `uninstall`. An upgrade
while the release is `pending-*` fails with Helm's own "another operation ... is in progress".

Injection modes, for the next `times` upgrades of a release (on any cluster):
- `fail`: the new revision ends `failed` (with `--atomic`, Helm's rollback follows);
- `hang`: the new revision stays `pending-upgrade` until SIGTERM, which (like Helm, which
  cancels its context on SIGTERM) marks it `failed` and exits 1; SIGKILL leaves it pending
  (without injection too, SIGTERM mid-upgrade records `failed`, as Helm does);
- `hang-hard`: ignores SIGTERM too, so only SIGKILL ends it, leaving `pending-upgrade`.

With `STANDIN_REAL=<real helm>` every other verb (`repo`, `pull`, `template`, `show`,
`dependency`, ...) goes to real Helm, and an upgrade stores the manifest real `helm template`
makes and, for `get values --all`, the chart's real defaults; without it, a small synthetic
manifest (a ConfigMap of the values) and no defaults.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["HelmStandin", "main"]

PENDING = ("pending-install", "pending-upgrade", "pending-rollback")
_SHIM = """#!{python}
# A STAND-IN for helm (hubfleet.testing.standins.helm), not Helm. State: {state}
import sys
sys.path.insert(0, {lib!r})
from hubfleet.testing.standins.helm import main
sys.exit(main(sys.argv[1:], {state!r}))
"""


class HelmStandin:
    """The test's handle on the stand-in's folder: install it, inject faults, read state."""

    def __init__(self, state: Path) -> None:
        self.state = Path(state)
        self.state.mkdir(parents=True, exist_ok=True)

    def install(self, bindir: Path, name: str = "helm") -> Path:
        """Write the executable stand-in as `bindir/name`; returns its path."""
        bindir.mkdir(parents=True, exist_ok=True)
        exe = bindir / name
        lib = str(Path(__file__).resolve().parents[3])  # the folder holding the hubfleet package
        exe.write_text(_SHIM.format(python=sys.executable, lib=lib, state=str(self.state)))
        exe.chmod(0o755)
        return exe

    def inject(self, release: str, mode: str, times: int = 1) -> None:
        if mode not in ("fail", "hang", "hang-hard"):
            raise ValueError(f"unknown injection mode {mode!r}")
        doc = _read_json(self.state / "inject.json", {})
        doc[release] = {"mode": mode, "times": times}
        _write_json(self.state / "inject.json", doc)

    def seed(
        self,
        cluster: str,
        namespace: str,
        release: str,
        statuses: Sequence[str],
        *,
        values: Mapping[str, Any] | None = None,
        manifest: str = "",
        chart: str = "jupyterhub-4.4.0",
    ) -> None:
        """Give a release a history, one revision per status (oldest first)."""
        folder = _release_dir(self.state, cluster, namespace, release)
        for i, status in enumerate(statuses, start=1):
            _write_revision(
                folder,
                _revision(i, status, chart, f"seeded {status}", dict(values or {}), manifest or "", {}),
            )

    def history(self, cluster: str, namespace: str, release: str) -> list[dict[str, Any]]:
        return [_history_entry(r) for r in _revisions(_release_dir(self.state, cluster, namespace, release))]

    def statuses(self, cluster: str, namespace: str, release: str) -> list[str]:
        return [r["status"] for r in self.history(cluster, namespace, release)]

    def revision(self, cluster: str, namespace: str, release: str, number: int | None = None) -> dict:
        """A stored revision (the latest by default): status, values, manifest, defaults."""
        revs = _revisions(_release_dir(self.state, cluster, namespace, release))
        if not revs:
            raise KeyError(f"{cluster}/{namespace}/{release}: no such release")
        return revs[-1] if number is None else next(r for r in revs if r["revision"] == number)

    def edit(self, cluster: str, namespace: str, release: str, **changes: Any) -> None:
        """Change the latest revision in place (drift made by hand on the cluster, in a test)."""
        folder = _release_dir(self.state, cluster, namespace, release)
        rev = _revisions(folder)[-1]
        rev.update(changes)
        _write_revision(folder, rev)

    def releases(self, cluster: str | None = None) -> list[tuple[str, str, str]]:
        """(cluster, namespace, release) of every release with at least one revision."""
        base = self.state / "releases"
        out = []
        for rev in sorted(base.glob("*/*/*/*.json")) if base.is_dir() else []:
            c, ns, rel = rev.parent.parent.parent.name, rev.parent.parent.name, rev.parent.name
            if (cluster is None or c == cluster) and (c, ns, rel) not in out:
                out.append((c, ns, rel))
        return out

    def calls(self, verb: str | None = None) -> list[dict[str, Any]]:
        path = self.state / "calls.jsonl"
        if not path.is_file():
            return []
        out = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [c for c in out if verb is None or c["argv"][:1] == [verb]]


# --- the executable ---------------------------------------------------------------------------


def main(argv: list[str], state: str) -> int:
    """The stand-in's entry point: `helm <verb> ...` against the state folder."""
    root = Path(state)
    flags, positional = _parse(argv)
    cluster = _cluster(flags)
    _record(root, argv, cluster, flags)
    verb = positional[0] if positional else ""
    handler = _VERBS.get(verb)
    if handler is None:
        real = os.environ.get("STANDIN_REAL")
        if real:
            os.execv(real, [real, *argv])
        if verb == "version":
            print('version.BuildInfo{Version:"v3.18.0-standin"}')
        return 0  # repo add, dependency build, ...: nothing to remember
    try:
        return handler(root, cluster, flags, positional[1:])
    except _HelmError as e:
        sys.stderr.write(f"Error: {e}\n")
        return 1


class _HelmError(Exception):
    pass


_VALUE_FLAGS = {
    "--namespace",
    "-n",
    "--values",
    "-f",
    "--version",
    "--timeout",
    "--kube-context",
    "--kubeconfig",
    "-o",
    "--output",
    "--max",
    "--filter",
    "--revision",
    "--set",
}


def _parse(argv: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    flags: dict[str, list[str]] = {}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and "=" in a:
            k, v = a.split("=", 1)
            flags.setdefault(k, []).append(v)
        elif a in _VALUE_FLAGS and i + 1 < len(argv):
            flags.setdefault(a, []).append(argv[i + 1])
            i += 1
        elif a.startswith("-"):
            flags.setdefault(a, []).append("true")
        else:
            positional.append(a)
        i += 1
    return flags, positional


def _flag(flags: Mapping[str, list[str]], *names: str, default: str = "") -> str:
    for n in names:
        if n in flags:
            return flags[n][-1]
    return default


def _cluster(flags: Mapping[str, list[str]]) -> str:
    context = _flag(flags, "--kube-context")
    if context:
        return context
    path = _flag(flags, "--kubeconfig") or os.environ.get("KUBECONFIG", "")
    try:
        m = re.search(r"(?m)^current-context:\s*[\"']?([^\"'\s]+)", Path(path).read_text()) if path else None
    except OSError:
        m = None
    return m.group(1) if m else "default"


def _namespace(flags: Mapping[str, list[str]]) -> str:
    return _flag(flags, "--namespace", "-n", default="default")


def _record(root: Path, argv: Sequence[str], cluster: str, flags: Mapping[str, list[str]]) -> None:
    values = {}
    for p in flags.get("--values", []) + flags.get("-f", []):
        try:
            values[p] = Path(p).read_text()
        except OSError as e:
            values[p] = f"<unreadable: {e}>"
    line = json.dumps({"argv": list(argv), "cluster": cluster, "values": values, "time": time.time()})
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / "calls.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


# --- state ------------------------------------------------------------------------------------


def _release_dir(root: Path, cluster: str, namespace: str, release: str) -> Path:
    return root / "releases" / cluster / namespace / release


def _revisions(folder: Path) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    revs = [_read_json(p, None) for p in folder.glob("*.json")]
    return sorted((r for r in revs if r), key=lambda r: r["revision"])


def _write_revision(folder: Path, rev: Mapping[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / f"{rev['revision']}.json", rev)


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def _write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, path)  # atomic: a SIGKILL never leaves half a revision


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat()


def _revision(
    number: int, status: str, chart: str, description: str, values: dict, manifest: str, defaults: dict
) -> dict[str, Any]:
    return {
        "revision": number,
        "status": status,
        "chart": chart,
        "app_version": "",
        "description": description,
        "updated": _now(),
        "values": values,
        "defaults": defaults,
        "manifest": manifest,
    }


def _history_entry(rev: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("revision", "updated", "status", "chart", "app_version", "description")
    return {k: rev[k] for k in keys}


def _take_injection(root: Path, release: str) -> str:
    path = root / "inject.json"
    doc = _read_json(path, {})
    entry = doc.get(release)
    if not entry:
        return ""
    entry["times"] -= 1
    if entry["times"] <= 0:
        del doc[release]
    _write_json(path, doc)
    return entry["mode"]


# --- verbs ------------------------------------------------------------------------------------


def _load_values(paths: Iterable[str]) -> dict[str, Any]:
    import yaml

    merged: dict[str, Any] = {}
    for p in paths:
        doc = yaml.safe_load(Path(p).read_text()) or {}
        merged = _merge(merged, doc)
    return merged


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of values files: maps merge, the rest replaces, `null` deletes."""
    out = dict(a)
    for k, v in b.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _real(argv: Sequence[str]) -> str | None:
    real = os.environ.get("STANDIN_REAL")
    if not real:
        return None
    fds = tuple(int(m.group(1)) for a in argv if (m := re.fullmatch(r"/dev/fd/(\d+)", a)))
    done = subprocess.run([real, *argv], capture_output=True, text=True, pass_fds=fds)
    if done.returncode != 0:
        raise _HelmError(done.stderr.strip().removeprefix("Error: "))
    return done.stdout


def _made_from(release: str, chart: str, flags: Mapping[str, list[str]], values: dict) -> tuple[str, dict]:
    """The manifest and chart defaults a revision is made from (real Helm when STANDIN_REAL)."""
    import yaml

    files = [a for f in ("--values", "-f") for p in flags.get(f, []) for a in ("--values", p)]
    version = ["--version", _flag(flags, "--version")] if _flag(flags, "--version") else []
    ns = ["--namespace", _namespace(flags)]
    manifest = _real(["template", release, chart, *version, *ns, *files])
    if manifest is None:
        body = yaml.safe_dump({"values.json": json.dumps(values, sort_keys=True)})
        manifest = (
            f"---\n# Source: standin/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            f"  name: {release}-values\ndata:\n" + "".join(f"  {line}\n" for line in body.splitlines())
        )
        return manifest, {}
    shown = _real(["show", "values", chart, *version]) or ""
    return manifest, yaml.safe_load(shown) or {}


def _upgrade(root: Path, cluster: str, flags: dict, args: list[str]) -> int:
    release, chart = args[0], args[1]
    ns = _namespace(flags)
    folder = _release_dir(root, cluster, ns, release)
    revs = _revisions(folder)
    if revs and revs[-1]["status"] in PENDING:
        raise _HelmError("UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress")
    if not revs and "--install" not in flags:
        raise _HelmError(f'UPGRADE FAILED: "{release}" has no deployed releases')
    mode = _take_injection(root, release)
    atomic = "--atomic" in flags or "--rollback-on-failure" in flags
    if mode == "hang-hard":  # from the start: however slow this stand-in starts, SIGTERM is ignored
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:  # before anything is recorded, SIGTERM just ends it (nothing changed)
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    values = _load_values(flags.get("--values", []) + flags.get("-f", []))
    label = f"{chart.rsplit('/', 1)[-1]}-{_flag(flags, '--version', default='0.0.0')}"
    number = revs[-1]["revision"] + 1 if revs else 1
    first = not revs
    new = _revision(number, "pending-install" if first else "pending-upgrade", label, "", values, "", {})
    new["description"] = "Initial install underway" if first else "Preparing upgrade"
    _write_revision(folder, new)  # pending first, as Helm records it before touching the cluster
    if mode != "hang-hard":  # like Helm 3: SIGTERM cancels the operation and records it failed
        signal.signal(
            signal.SIGTERM,
            lambda signum, frame: sys.exit(_failed(folder, new, release, "context canceled", atomic)),
        )
    if mode in ("hang", "hang-hard"):
        _hang(folder, new, release, atomic, ignore_term=mode == "hang-hard")
    new["manifest"], new["defaults"] = _made_from(release, chart, flags, values)
    if mode == "fail":
        return _failed(folder, new, release, "stand-in failure (injected)", atomic)
    for old in revs:
        if old["status"] == "deployed":
            old["status"] = "superseded"
            _write_revision(folder, old)
    new["status"] = "deployed"
    new["description"] = "Install complete" if first else "Upgrade complete"
    _write_revision(folder, new)
    print(f'Release "{release}" has been upgraded. Happy Helming!\nREVISION: {number}')
    return 0


def _hang(folder: Path, new: dict, release: str, atomic: bool, *, ignore_term: bool) -> None:
    def on_term(signum: int, frame: Any) -> None:
        sys.exit(_failed(folder, new, release, "context canceled", atomic))

    signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore_term else on_term)
    while True:
        time.sleep(3600)


def _failed(folder: Path, new: dict, release: str, why: str, atomic: bool) -> int:
    new["status"] = "failed"
    new["description"] = f'Upgrade "{release}" failed: {why}'
    _write_revision(folder, new)
    if atomic:
        deployed = [r for r in _revisions(folder) if r["status"] == "deployed"]
        if not deployed:  # Helm uninstalls a first install that failed under --atomic
            for p in folder.glob("*.json"):
                p.unlink()
            sys.stderr.write(
                f"Error: INSTALLATION FAILED: release {release} failed, and has been uninstalled "
                f"due to atomic being set: {why}\n"
            )
            return 1
        if deployed:
            _rollback_to(folder, deployed[-1]["revision"])
            sys.stderr.write(
                f"Error: UPGRADE FAILED: release {release} failed, and has been rolled back due to "
                f"atomic being set: {why}\n"
            )
            return 1
    sys.stderr.write(f"Error: UPGRADE FAILED: {why}\n")
    return 1


def _rollback_to(folder: Path, target: int) -> int:
    revs = _revisions(folder)
    source = next((r for r in revs if r["revision"] == target), None)
    if source is None:
        raise _HelmError(f"release has no {target} version")
    for r in revs:
        if r["status"] in ("deployed", *PENDING):
            r["status"] = "superseded"
            _write_revision(folder, r)
    number = revs[-1]["revision"] + 1
    new = {**source, "revision": number, "status": "deployed", "updated": _now()}
    new["description"] = f"Rollback to {target}"
    _write_revision(folder, new)
    return number


def _rollback(root: Path, cluster: str, flags: dict, args: list[str]) -> int:
    release = args[0]
    folder = _release_dir(root, cluster, _namespace(flags), release)
    revs = _revisions(folder)
    if not revs:
        raise _HelmError("release: not found")
    target = int(args[1]) if len(args) > 1 and int(args[1]) > 0 else max(revs[-1]["revision"] - 1, 1)
    _rollback_to(folder, target)
    print("Rollback was a success! Happy Helming!")
    return 0


def _latest(root: Path, cluster: str, flags: dict, release: str) -> dict[str, Any]:
    revs = _revisions(_release_dir(root, cluster, _namespace(flags), release))
    if not revs:
        raise _HelmError("release: not found")
    return revs[-1]


def _status(root: Path, cluster: str, flags: dict, args: list[str]) -> int:
    rev = _latest(root, cluster, flags, args[0])
    doc = {
        "name": args[0],
        "info": {
            "first_deployed": rev["updated"],
            "last_deployed": rev["updated"],
            "deleted": "",
            "description": rev["description"],
            "status": rev["status"],
        },
        "config": rev["values"],
        "manifest": rev["manifest"],
        "version": rev["revision"],
        "namespace": _namespace(flags),
    }
    print(json.dumps(doc) if _flag(flags, "-o", "--output") == "json" else f"STATUS: {rev['status']}")
    return 0


def _history(root: Path, cluster: str, flags: dict, args: list[str]) -> int:
    revs = _revisions(_release_dir(root, cluster, _namespace(flags), args[0]))
    if not revs:
        raise _HelmError("release: not found")
    limit = int(_flag(flags, "--max", default="256"))
    print(json.dumps([_history_entry(r) for r in revs[-limit:]]))
    return 0


def _get(root: Path, cluster: str, flags: dict, args: list[str]) -> int:
    import yaml

    what, release = args[0], args[1]
    rev = _latest(root, cluster, flags, release)
    if what == "manifest":
        sys.stdout.write(rev["manifest"])
        return 0
    if what != "values":
        raise _HelmError(f"the stand-in does not keep `get {what}`")
    values = _merge(rev.get("defaults") or {}, rev["values"]) if "--all" in flags else rev["values"]
    if _flag(flags, "-o", "--output") == "json":
        print(json.dumps(values))
    else:
        sys.stdout.write(
            ("COMPUTED VALUES:\n" if "--all" in flags else "USER-SUPPLIED VALUES:\n") + yaml.safe_dump(values)
        )
    return 0


def _list(root: Path, cluster: str, flags: dict, args: list[str]) -> int:
    base = root / "releases" / cluster
    everywhere = "--all-namespaces" in flags or "-A" in flags
    pattern = re.compile(_flag(flags, "--filter", default=""))
    out = []
    for folder in sorted(base.glob("*/*")) if base.is_dir() else []:
        if not everywhere and folder.parent.name != _namespace(flags):
            continue
        revs = _revisions(folder)
        if revs and pattern.search(folder.name):
            last = revs[-1]
            out.append(
                {
                    "name": folder.name,
                    "namespace": folder.parent.name,
                    "revision": str(last["revision"]),
                    "updated": last["updated"],
                    "status": last["status"],
                    "chart": last["chart"],
                    "app_version": last["app_version"],
                }
            )
    print(json.dumps(out))
    return 0


def _uninstall(root: Path, cluster: str, flags: dict, args: list[str]) -> int:
    release = args[0]
    folder = _release_dir(root, cluster, _namespace(flags), release)
    if not _revisions(folder):
        raise _HelmError(f"uninstall: Release not loaded: {release}: release: not found")
    for p in folder.glob("*.json"):
        p.unlink()
    folder.rmdir()
    print(f'release "{release}" uninstalled')
    return 0


_VERBS = {
    "upgrade": _upgrade,
    "rollback": _rollback,
    "status": _status,
    "history": _history,
    "get": _get,
    "list": _list,
    "ls": _list,
    "uninstall": _uninstall,
}
