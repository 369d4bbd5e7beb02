"""Chart versions, compared as SemVer orders them (what a downgrade is). Pure."""

from __future__ import annotations

import re

__all__ = ["is_downgrade", "version_key"]

_VERSION = re.compile(r"(\d+(?:\.\d+)*)(-[0-9A-Za-z.-]+)?")


def version_key(version: str) -> tuple:
    """`4.3.5` < `4.4.0` < `4.10.0`; `4.4.0-beta.1` < `4.4.0`; a range (`~4.4`, `>=4.0`) sorts by
    the first version it names; text with no number sorts first."""
    found = _VERSION.search(version or "")
    if found is None:
        return ((0, 0, 0), 0, ())
    nums = tuple(int(p) for p in found.group(1).split("."))
    nums = (*nums, *(0,) * (3 - len(nums)))
    pre = found.group(2)
    # SemVer: a pre-release sorts before its release; its dot-separated parts compare numerically
    # where numeric, numbers before words
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre[1:].split(".")) if pre else ()
    return (nums, 0 if pre else 1, parts)


def is_downgrade(before: str | None, after: str | None) -> bool:
    """Whether going from `before` to `after` goes back (both must be versions)."""
    if not before or not after:
        return False
    return version_key(after) < version_key(before)
