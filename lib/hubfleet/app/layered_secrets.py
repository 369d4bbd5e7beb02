"""Layered secrets at deploy time (contract v1.1): decrypt, merge, hand over, all in memory.

A hub's secrets are up to three sops files (fleet, cluster, hub; `core.secretlayers`).
Each is decrypted into this process's memory (`sops --decrypt` writes to our pipe), the
levels merge like values layers, and the one merged document reaches Helm as the last
`--values` through an anonymous in-memory file (`adapters.memfile`): no decrypted
byte is ever written to a filesystem. The shared levels are decrypted once per deploy
(`SharedSecrets`); a cluster whose shared secrets do not decrypt deploys nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubfleet.adapters import sops, yamlio
from hubfleet.adapters.runner import Runner, run
from hubfleet.core import paths, secretlayers
from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Hub
from hubfleet.core.rollout import Result
from hubfleet.core.tree import merge

__all__ = ["Merged", "SharedSecrets", "merged_secrets"]


@dataclass(frozen=True)
class Merged:
    """A hub's merged secrets, in memory: the YAML bytes for Helm, what to mask, where they came from."""

    data: bytes
    mask: list[str]
    files: tuple[str, ...]
    values: dict[str, Any]


class SharedSecrets:
    """The fleet and cluster levels, each decrypted at most once per deploy (thread-safe).

    A failure is remembered too: every hub of that cluster fails with the same one line.
    """

    def __init__(self, root: Path, *, runner: Runner = run) -> None:
        self.root = root
        self.runner = runner
        self._docs: dict[str, dict[str, Any] | HubfleetError | None] = {}
        self._lock = threading.Lock()

    def level(self, rel: str) -> dict[str, Any] | None:
        """The decrypted values of one shared level, None if the file does not exist."""
        with self._lock:
            if rel not in self._docs:
                try:
                    self._docs[rel] = (
                        sops.decrypt_doc(self.root, rel, runner=self.runner)
                        if (self.root / rel).is_file()
                        else None
                    )
                except HubfleetError as e:
                    self._docs[rel] = e
            found = self._docs[rel]
        if isinstance(found, HubfleetError):
            raise found
        return found

    def for_cluster(self, cluster: str) -> list[tuple[str, dict[str, Any]]]:
        """(file, values) of the shared levels a hub on `cluster` inherits, lowest first."""
        out = []
        for rel in secretlayers.shared_paths(cluster):
            doc = self.level(rel)
            if doc is not None:
                out.append((rel, doc))
        return out

    def prepare(self, cluster: str) -> Result:
        """The rollout engine's per-cluster first step: the shared levels decrypt, or nothing deploys."""
        start = time.monotonic()
        try:
            self.for_cluster(cluster)
        except HubfleetError as e:
            return Result(cluster, False, f"shared secrets: {e}", time.monotonic() - start)
        return Result(cluster, True, "", time.monotonic() - start)


def merged_secrets(
    root: Path, hub: Hub, shared: SharedSecrets | None = None, *, runner: Runner = run
) -> Merged | None:
    """The hub's secrets levels merged (fleet < cluster < hub), or None when it has none."""
    shared = shared or SharedSecrets(root, runner=runner)
    levels = shared.for_cluster(hub.cluster)
    own = paths.hub(hub.name).secrets
    if (root / own).is_file():
        levels.append((own, sops.decrypt_doc(root, own, runner=runner)))
    if not levels:
        return None
    values = merge([doc for _, doc in levels])
    text = yamlio.dump(values) if values else "{}\n"
    return Merged(text.encode(), sops.secret_strings(values), tuple(f for f, _ in levels), values)


def secret_files(root: Path, hub: Hub) -> list[str]:
    """The hub's secrets levels that exist in the work tree, lowest first."""
    return [f for f in paths.secret_layers(hub.name, hub.cluster) if (root / f).is_file()]


def describe(files: Sequence[str]) -> str:
    """A dry run's stand-in for the in-memory document."""
    return f"<in-memory: decrypted {' + '.join(files)}>"
