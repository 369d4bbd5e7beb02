"""sops adapter: decrypt a committed file into memory for one Helm call.

The clear text never reaches any filesystem: sops writes it to a pipe, and Helm reads it
from an anonymous in-memory file (`adapters.memfile`: `/dev/fd/N`, passed to the command with
`pass_fds=`), which the kernel frees on every way out, SIGKILL included. Leaf strings of the
decrypted data serve as the runner's `mask=`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from hubfleet.adapters import tools, yamlio
from hubfleet.adapters.memfile import MemFile, memfile
from hubfleet.adapters.runner import CommandError, Runner, remember_secrets, run
from hubfleet.core import paths
from hubfleet.core.errors import HubfleetError

__all__ = [
    "MemFile",
    "decrypt_doc",
    "decrypt_file",
    "decrypted",
    "decrypted_in_memory",
    "decrypted_with_mask",
    "is_encrypted",
    "load_secret_strings",
    "plaintext_problem",
    "private_dir",
    "secret_strings",
]

# Key groups a sops file can name its recipients under.
RECIPIENT_KEYS = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "key_groups")


def is_encrypted(data: bytes) -> bool:
    """A sops-encrypted YAML/JSON document: a `sops:` mapping with a `mac` and some recipient."""
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError:
        return False
    meta = doc.get("sops") if isinstance(doc, dict) else None
    if not isinstance(meta, dict) or not meta.get("mac"):
        return False
    return any(meta.get(k) for k in RECIPIENT_KEYS)


def plaintext_problem(rel: str, data: bytes) -> str | None:
    """Why a committed secrets file may not be used, None if it may: the one rule validate, the
    support checks and replicate apply (deploy's `decrypt_file` refuses the same files)."""
    if is_encrypted(data):
        return None
    return (
        "is not sops-encrypted (a leaked secret?): encrypt it with "
        f"`sops --encrypt --in-place {rel}` and rotate what it holds"
    )


def secret_strings(data: Any) -> list[str]:
    """Every leaf string (and number) of decrypted data, longest first, for masking."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            out.add(node)
            out.update(line for line in node.splitlines() if len(line.strip()) >= 4)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.add(str(node))

    walk(data)
    return sorted((s for s in out if len(s) >= 4), key=len, reverse=True)


@contextlib.contextmanager
def private_dir() -> Iterator[Path]:
    """A fresh 0700 folder outside any repository, removed on every path."""
    folder = Path(tempfile.mkdtemp(prefix="hubfleet-"))
    try:
        os.chmod(folder, 0o700)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def decrypt_file(root: Path, path: Path, *, runner: Runner = run, remember: bool = True) -> bytes:
    """The clear bytes of a sops file (held in memory only), or a clear error.

    `remember`: its values are masked in every later message of the command (`runner.remembering`);
    a kubeconfig passes False (`kind: Config`, context names: its mask stays with its own calls)."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    data = path.read_bytes()
    if not is_encrypted(data):
        raise HubfleetError(
            f"{rel}: is not sops-encrypted: encrypt it (`sops --encrypt --in-place {rel}`) before using it"
        )
    argv = [*tools.sops_argv(root, runner=runner), "--decrypt", str(path)]
    try:
        clear = runner(argv, cwd=root, timeout=120).stdout.encode()
    except CommandError as e:
        raise HubfleetError(
            f"{rel}: sops cannot decrypt it ({e}): is your age key in SOPS_AGE_KEY_FILE "
            "(or ~/.config/sops/age/keys.txt) and one of the file's recipients?"
        ) from None
    if remember:
        remember_secrets(load_secret_strings(clear))
    return clear


def load_secret_strings(clear: bytes) -> list[str]:
    try:
        return secret_strings(yaml.safe_load(clear))
    except yaml.YAMLError:
        return [line for line in clear.decode("utf-8", "replace").splitlines() if len(line) >= 4]


def decrypt_doc(root: Path, rel: str, *, runner: Runner = run) -> dict[str, Any]:
    """A sops file's clear values as data (in memory only); `{}` for an empty document."""
    clear = decrypt_file(root, root / rel, runner=runner)
    return yamlio.parse(clear, rel, allow_empty=True)


@contextlib.contextmanager
def decrypted_in_memory(
    root: Path, path: Path, *, runner: Runner = run, remember: bool = True
) -> Iterator[tuple[MemFile, list[str]]]:
    """(in-memory file holding the clear text, its strings to mask); closed on exit."""
    clear = decrypt_file(root, path, runner=runner, remember=remember)
    with memfile(clear, path.name) as mem:
        yield mem, load_secret_strings(clear)


@contextlib.contextmanager
def decrypted(root: Path, hub: str, *, runner: Runner = run) -> Iterator[MemFile | None]:
    """`hubs/<hub>/secrets.yaml` decrypted into memory, or None if the hub has none."""
    with decrypted_with_mask(root, hub, runner=runner) as (mem, _mask):
        yield mem


@contextlib.contextmanager
def decrypted_with_mask(
    root: Path, hub: str, *, runner: Runner = run
) -> Iterator[tuple[MemFile | None, list[str]]]:
    path = root / paths.hub(hub).secrets
    if not path.is_file():
        yield None, []
        return
    with decrypted_in_memory(root, path, runner=runner) as found:
        yield found
