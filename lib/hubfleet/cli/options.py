"""Command-line values checked before any work: an empty `--hub ""` is a mistake, not "all hubs"."""

from __future__ import annotations

from hubfleet.core.errors import HubfleetError

__all__ = ["named"]


def named(value: str | None, flag: str) -> str | None:
    """`value` of `--<flag>`, None when the option was not given; empty or blank is an error."""
    if value is None:
        return None
    if not str(value).strip():
        raise HubfleetError(f"--{flag} is empty: name one (leave --{flag} out for all)")
    return value
