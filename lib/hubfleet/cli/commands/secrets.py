"""`invoke secrets --hub H | --cluster C [--support R] | --fleet`: edit a secrets file through sops.

sops decrypts to its own temp file, runs the editor, and re-encrypts on save; a
new file is created encrypted to the recipients of `.sops.yaml`'s creation rules.
The editor needs the terminal, so this is the one interactive runner call. The
three levels (contract v1.1): `clusters/secrets.yaml` (every hub), `clusters/<c>/secrets.yaml`
(every hub on that cluster), `hubs/<h>/secrets.yaml`; and a support release's own file.
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


def target_file(
    root: Path,
    hub: str | None = None,
    cluster: str | None = None,
    fleet_wide: bool = False,
    support: str | None = None,
) -> str:
    """The one secrets file the options name (checked against the fleet)."""
    if sum(x is not None and x is not False for x in (hub, cluster, fleet_wide or None)) != 1:
        raise HubfleetError(
            "give one of --hub H, --cluster C (with --support R for a support release) or --fleet"
        )
    if support is not None and cluster is None:
        raise HubfleetError("--support R names a support release of a cluster: give --cluster C too")
    _, fleet = load_work_tree(root)
    if hub is not None:
        return paths.hub(fleet.hub(hub).name).secrets
    if fleet_wide:
        return paths.FLEET_SECRETS
    assert cluster is not None
    fleet.cluster(cluster)
    if support is not None:
        return paths.support(cluster, fleet.support_target(cluster, support).name).secrets
    return paths.cluster(cluster).secrets


def edit_argv(root: Path, rel: str, *, runner: Runner = run_command) -> list[str]:
    """sops' edit command for a secrets file (relative to the root), after checking it can work."""
    path = root / rel
    if path.is_file() and not is_encrypted(path.read_bytes()):
        raise HubfleetError(f"{rel}: is not sops-encrypted: run `sops --encrypt --in-place {rel}` first")
    if not path.is_file() and not (root / ".sops.yaml").is_file():
        raise HubfleetError(
            f".sops.yaml: missing: add creation rules for {rel} "
            "(see README, Secrets) so sops knows whom to encrypt to"
        )
    path.parent.mkdir(parents=True, exist_ok=True)  # clusters/<c>/support/ may be new
    return [*tools.sops_argv(root, runner=runner), rel]


def run(
    hub: str | None = None,
    cluster: str | None = None,
    fleet: bool = False,
    support: str | None = None,
    runner: Runner = run_command,
) -> int:
    hub, cluster, support = named(hub, "hub"), named(cluster, "cluster"), named(support, "support")
    root = find_root()
    argv = edit_argv(root, target_file(root, hub, cluster, fleet, support), runner=runner)
    runner(argv, cwd=root, interactive=True)  # type: ignore[call-arg]
    console.print(f"{argv[-1]}: saved (encrypted)", markup=False)
    return 0
