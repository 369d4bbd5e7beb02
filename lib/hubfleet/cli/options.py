"""Command-line values checked before any work: an empty `--hub ""` is a mistake, not "all hubs";
`--hub a,b` and `--hub a --hub b` both name two hubs."""

from __future__ import annotations

from collections.abc import Sequence

from hubfleet.core.errors import HubfleetError
from hubfleet.core.model import Fleet

__all__ = ["check_one_of", "hub_names", "named", "narrow", "selected_hubs"]


def named(value: str | None, flag: str) -> str | None:
    """`value` of `--<flag>`, None when the option was not given; empty or blank is an error."""
    if value is None:
        return None
    if not str(value).strip():
        raise HubfleetError(f"--{flag} is empty: name one (leave --{flag} out for all)")
    return value


def hub_names(given: str | Sequence[str] | None) -> list[str] | None:
    """The names `--hub` gave (Invoke: a list, one item per `--hub`), in order, each once; None when
    `--hub` was not given."""
    if given is None or (not isinstance(given, str) and not given):
        return None
    names: list[str] = []
    for item in [given] if isinstance(given, str) else given:
        named(item, "hub")
        parts = [p.strip() for p in str(item).split(",")]
        if not all(parts):
            raise HubfleetError(f"--hub {item}: an empty name (give --hub a,b or --hub a --hub b)")
        names += parts
    return list(dict.fromkeys(names))


def check_one_of(hubs: list[str] | None, cluster: str | None) -> None:
    if hubs is not None and cluster is not None:
        raise HubfleetError("give --hub or --cluster, not both")


def selected_hubs(fleet: Fleet, hubs: list[str] | None, cluster: str | None) -> list[str] | None:
    """Pure: the hubs `--hub` or `--cluster` select, each checked against the fleet (a mistyped
    name gets a suggestion); None when neither was given (every hub)."""
    check_one_of(hubs, cluster)
    if hubs is not None:
        return [fleet.hub(name).name for name in hubs]
    if cluster is not None:
        fleet.cluster(cluster)
        return [h.name for h in fleet.hubs.values() if h.cluster == cluster]
    return None


def narrow(names: list[str] | None, touched: list[str] | None) -> list[str] | None:
    """`-- FILES` (None: not given) narrows a selection to the hubs the files touch."""
    if touched is None:
        return names
    return touched if names is None else [n for n in names if n in touched]
