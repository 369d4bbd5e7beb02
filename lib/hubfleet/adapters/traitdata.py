"""The trait catalogues shipped as package data (`hubfleet/data/traits/jupyterhub-<version>.json.gz`).

Read only by validation, on first use: commands that do not validate never open them.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from hubfleet.core.traits import Catalogue
from hubfleet.core.versions import version_key as _version_key

__all__ = ["catalogue", "digest", "known_versions", "nearest"]

_FOLDER = Path(__file__).resolve().parents[1] / "data" / "traits"  # package data, beside the code
_NAME = re.compile(r"jupyterhub-(.+)\.json\.gz")


def _files() -> Path:
    return _FOLDER


@functools.cache
def known_versions() -> tuple[str, ...]:
    """The jupyterhub chart versions hubfleet has a catalogue for, oldest first."""
    found = [m.group(1) for f in _files().iterdir() if (m := _NAME.fullmatch(f.name))]
    return tuple(sorted(found, key=_version_key))


@functools.cache
def catalogue(version: str) -> Catalogue | None:
    """The catalogue of exactly this chart version, or None."""
    if version not in known_versions():
        return None
    import gzip

    data = _files().joinpath(f"jupyterhub-{version}.json.gz").read_bytes()
    return Catalogue(json.loads(gzip.decompress(data)))


def nearest(version: str) -> Catalogue | None:
    """This version's catalogue, else the newest one not newer than it, else the oldest one."""
    exact = catalogue(version)
    if exact is not None or not known_versions():
        return exact
    key = _version_key(version)
    older = [v for v in known_versions() if _version_key(v) <= key]
    return catalogue(older[-1] if older else known_versions()[0])


@functools.cache
def digest() -> bytes:
    """Of every catalogue's bytes: a cached validation result from another catalogue is not reused."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    for version in known_versions():
        h.update(_files().joinpath(f"jupyterhub-{version}.json.gz").read_bytes())
    return h.digest()
