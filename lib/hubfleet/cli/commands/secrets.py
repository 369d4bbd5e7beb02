"""`invoke secrets --hub H`: open a hub's secrets.yaml in $EDITOR through sops.

sops decrypts to its own temp file, runs the editor, and re-encrypts on save; a
new file is created encrypted to the recipients of `.sops.yaml`'s creation rules.
The editor needs the terminal, so this is the one interactive runner call.
"""

from __future__ import annotations

from pathlib import Path

from hubfleet.adapters import tools
from hubfleet.adapters.runner import Runner
from hubfleet.adapters.runner import run as run_command
from hubfleet.adapters.sops import is_encrypted
from hubfleet.adapters.source import find_root
from hubfleet.app.load import load_work_tree
from hubfleet.cli.boundary import console
from hubfleet.cli.options import named
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError


def edit_argv(root: Path, hub: str, *, runner: Runner = run_command) -> list[str]:
    """sops' edit command for the hub's file, after checking it can work."""
    _, fleet = load_work_tree(root)
    target = fleet.hub(hub)
    rel = paths.hub(target.name).secrets
    path = root / rel
    if path.is_file() and not is_encrypted(path.read_bytes()):
        raise HubfleetError(f"{rel}: is not sops-encrypted: run `sops --encrypt --in-place {rel}` first")
    if not path.is_file() and not (root / ".sops.yaml").is_file():
        raise HubfleetError(
            ".sops.yaml: missing: add creation rules for hubs/*/secrets.yaml "
            "(see README, Secrets) so sops knows whom to encrypt to"
        )
    return [*tools.sops_argv(root, runner=runner), rel]


def run(hub: str, runner: Runner = run_command) -> int:
    hub = named(hub, "hub")
    root = find_root()
    argv = edit_argv(root, hub, runner=runner)
    runner(argv, cwd=root, interactive=True)  # type: ignore[call-arg]
    console.print(f"{argv[-1]}: saved (encrypted)", markup=False)
    return 0
