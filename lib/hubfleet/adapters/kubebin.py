"""The control-plane binary of test clusters: found, or built once from `kubebin/` with Go.

`kubebin/` (a Go module in the repository, not in the wheel) pins Kubernetes, etcd and KWOK;
`invoke setup --kube` builds it into the user's cache under a key made of the pinned release
and go.sum, records its sha256 beside it, and reuses it after (the sha256 checked once per
process). `HUBFLEET_KUBE` names a binary built elsewhere (the same module, see README).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.core.errors import HubfleetError
from hubfleet.core.testcluster import KUBE_VERSION, binary_key

__all__ = ["BINARY", "KubeUnavailable", "build", "cache_root", "find", "source_dir"]

BINARY = "hubfleet-kube"
_VERSION_PKG = "k8s.io/component-base/version"
_BUILD_TIMEOUT = 3600  # a cold build on 2 cores takes tens of minutes


class KubeUnavailable(HubfleetError):
    """No binary and no way to build one here (no Go, or no kubebin/ source)."""


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hubfleet" / "kube"


def source_dir(root: Path | None) -> Path | None:
    """kubebin/ of the fleet repository (hubfleet's own checkout, or a fork of the template)."""
    for base in [root, Path(__file__).resolve().parents[3]]:
        if base is not None and (base / "kubebin" / "go.mod").is_file():
            return base / "kubebin"
    return None


def _key(source: Path) -> str:
    return binary_key((source / "go.sum").read_bytes())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.cache
def _verified(path: Path) -> Path:
    recorded = path.with_name(BINARY + ".sha256")
    try:
        expected = recorded.read_text().split()[0]
    except (OSError, IndexError):
        raise KubeUnavailable(f"{path}: no recorded sha256 beside it; rebuild: invoke setup --kube") from None
    if _sha256(path) != expected:
        raise KubeUnavailable(f"{path} does not match its recorded sha256; rebuild: invoke setup --kube")
    return path


def find(root: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """`HUBFLEET_KUBE`, else the cached build of this checkout's kubebin/ (else of the pinned
    release, for a hubfleet installed without the source), else None."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("HUBFLEET_KUBE")
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise KubeUnavailable(f"HUBFLEET_KUBE={explicit} is not an executable file")
        return path
    cache = cache_root(environ)
    source = source_dir(root)
    if source is not None:
        candidates = [cache / _key(source) / BINARY]
    else:
        candidates = sorted(cache.glob(f"{KUBE_VERSION}-*/{BINARY}"), key=lambda p: p.stat().st_mtime)[::-1]
    for path in candidates:
        if path.is_file():
            return _verified(path)
    return None


def build(root: Path | None, *, runner: Runner = run, environ: Mapping[str, str] | None = None) -> Path:
    """Build kubebin/ into the cache (once: an existing build of the same key is reused)."""
    environ = os.environ if environ is None else environ
    found = find(root, {k: v for k, v in environ.items() if k != "HUBFLEET_KUBE"})
    if found:
        return found
    source = source_dir(root)
    if source is None:
        raise KubeUnavailable("no kubebin/ folder (the Go module of the test clusters) to build from")
    go = shutil.which("go", path=environ.get("PATH"))
    if not go:
        raise KubeUnavailable("building the test-cluster binary needs Go (1.26) on PATH; see README")
    dest = cache_root(environ) / _key(source) / BINARY
    dest.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(dest.parent / ".build.lock"), timeout=_BUILD_TIMEOUT):
        if dest.is_file():
            return _verified(dest)
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".build-") as tmp:
            out = Path(tmp) / BINARY
            _go_build(go, source, out, runner, environ)
            digest = _sha256(out)
            (dest.parent / (BINARY + ".sha256")).write_text(f"{digest}  {BINARY}\n")
            os.replace(out, dest)
    return _verified(dest)


def _go_build(go: str, source: Path, out: Path, runner: Runner, environ: Mapping[str, str]) -> None:
    minor = KUBE_VERSION.split(".")[1]
    ldflags = " ".join(
        [
            "-s -w",
            # Without these the server reports v0.0.0 and Helm refuses charts' kubeVersion.
            f"-X {_VERSION_PKG}.gitVersion={KUBE_VERSION}",
            f"-X {_VERSION_PKG}.gitMajor=1",
            f"-X {_VERSION_PKG}.gitMinor={minor}",
            f"-X {_VERSION_PKG}.gitTreeState=clean",
        ]
    )
    env = {**environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly -buildvcs=false"}
    argv = [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(out), "."]
    try:
        runner(argv, cwd=source, env=env, timeout=_BUILD_TIMEOUT)
    except CommandError as e:
        raise HubfleetError(f"building the test-cluster binary failed: {e}") from None
