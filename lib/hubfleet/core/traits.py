"""The trait catalogue of one jupyterhub chart version: what its hub image can be configured with.

Pure: `Catalogue(data)` takes the plain mapping that `devtools/trait_catalogue.py` wrote (from the
exact packages the chart's hub image pins) and answers questions about classes and traits. Reading
the package data is `hubfleet.adapters.traitdata`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

__all__ = ["KIND_NAMES", "Catalogue", "Trait", "kind_of"]

# One letter per value kind a YAML document can hold (see the generator): `*` accepts anything.
KIND_NAMES = {
    "s": "a string",
    "i": "an integer",
    "f": "a number",
    "b": "true or false",
    "l": "a list",
    "d": "a mapping",
    "n": "null",
}


def kind_of(value: Any) -> str:
    """The kind letter of a parsed YAML value."""
    if value is None:
        return "n"
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    if isinstance(value, float):
        return "f"
    if isinstance(value, str):
        return "s"
    if isinstance(value, list):
        return "l"
    return "d" if isinstance(value, Mapping) else "?"


@dataclass(frozen=True)
class Trait:
    name: str
    owner: str  # the most derived class (in the MRO asked about) that defines it
    type: str  # the traitlets type, e.g. `Unicode`, `Set`, `CaselessStrEnum`
    kinds: str  # accepted kind letters, `*` anything
    enum: tuple[Any, ...] | None = None
    caseless: bool = False
    fuzzy: bool = False  # FuzzyEnum: a unique prefix is enough
    items: str | None = None  # kinds of a list's items
    values: str | None = None  # kinds of a mapping's values

    @classmethod
    def from_spec(cls, name: str, owner: str, spec: Mapping[str, Any]) -> Trait:
        enum = spec.get("e")
        return cls(
            name,
            owner,
            spec.get("y", "?"),
            spec.get("k", "*"),
            tuple(enum) if enum is not None else None,
            bool(spec.get("ci")),
            bool(spec.get("fz")),
            spec.get("it"),
            spec.get("v"),
        )


class Catalogue:
    """Classes, traits and aliases of one chart version's hub image (read-only)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        chart = data.get("chart") or {}
        self.chart_version: str = str(chart.get("version", "?"))
        image = str(chart.get("hub_image", ""))
        self.hub_image_name, _, self.hub_image_tag = image.rpartition(":")
        self.packages: Mapping[str, str] = data.get("packages") or {}
        self.classes: Mapping[str, Mapping[str, Any]] = data.get("classes") or {}
        self.aliases: Mapping[str, Mapping[str, str]] = data.get("aliases") or {}
        self._traits: dict[str, dict[str, Trait]] = {}
        self._mro: dict[str, tuple[str, ...]] = {}
        self._deprecated: dict[str, dict[str, tuple[str, str, bool]]] = {}
        self._settable: dict[str, frozenset[str]] = {}
        self.memo: dict[tuple, Any] = {}  # findings per (class, trait, value...): see core.hubconfig

    def __contains__(self, name: object) -> bool:
        return name in self.classes

    def package_of(self, name: str) -> str:
        """`oauthenticator 17.4.0`: where a class comes from in the chart's hub image."""
        dist = str(self.classes.get(name, {}).get("p", "?"))
        version = self.packages.get(dist)
        return f"{dist} {version}" if version else dist

    def mro(self, name: str) -> tuple[str, ...]:
        """The class and its configurable ancestors, most derived first (Python's C3 order)."""
        if name not in self._mro:
            bases = [b for b in self.classes.get(name, {}).get("b", ()) if b in self.classes]
            self._mro[name] = (name, *_c3([list(self.mro(b)) for b in bases] + [bases]))
        return self._mro[name]

    def is_a(self, name: str, ancestor: str) -> bool:
        return ancestor in self.mro(name)

    def traits(self, name: str) -> dict[str, Trait]:
        """Every configurable trait of the class, inherited ones included."""
        if name not in self._traits:
            out: dict[str, Trait] = {}
            for owner in reversed(self.mro(name)):
                for trait, spec in (self.classes[owner].get("t") or {}).items():
                    out[trait] = Trait.from_spec(trait, owner, spec)
            self._traits[name] = out
        return self._traits[name]

    def settable(self, name: str) -> frozenset[str]:
        """Traits an instance has, configurable or not (a profile's override may set any)."""
        if name not in self._settable:
            plain = {t for c in self.mro(name) for t in self.classes[c].get("n") or ()}
            self._settable[name] = frozenset(self.traits(name)) | plain
        return self._settable[name]

    def deprecated(self, name: str) -> dict[str, tuple[str, str, bool]]:
        """Old config names the class still reads: old -> (new, since version, same type)."""
        if name not in self._deprecated:
            out: dict[str, tuple[str, str, bool]] = {}
            for owner in reversed(self.mro(name)):
                for old, (new, version, same) in (self.classes[owner].get("d") or {}).items():
                    out[old] = (new, version, bool(same))
            self._deprecated[name] = out
        return self._deprecated[name]

    @cached_property
    def _paths(self) -> dict[str, str]:
        return {path: name for name, c in self.classes.items() for path in c.get("i") or ()}

    def resolve(self, value: str, group: str) -> str | None:
        """The class an `authenticator_class`/`spawner_class`/`proxy_class` value names, if known.

        As JupyterHub's EntryPointType: an entry-point name (case-insensitive), else an import path.
        """
        by_alias = (self.aliases.get(group) or {}).get(value.lower())
        return by_alias or self._paths.get(value)

    def names_for(self, group: str) -> list[str]:
        """What may be written for a group: its aliases and the import paths of its classes."""
        base = {"authenticators": "Authenticator", "spawners": "Spawner", "proxies": "Proxy"}[group]
        paths = [p for p, c in self._paths.items() if self.is_a(c, base)]
        return [*(self.aliases.get(group) or {}), *paths]


def _c3(seqs: list[list[str]]) -> list[str]:
    """C3 linearisation of the bases' MROs (what Python computes for a class's __mro__)."""
    out: list[str] = []
    seqs = [s for s in seqs if s]
    while seqs:
        for seq in seqs:
            head = seq[0]
            if not any(head in s[1:] for s in seqs):
                break
        else:  # inconsistent (cannot happen for real classes): fall back to first-seen order
            head = seqs[0][0]
        out.append(head)
        seqs = [[c for c in s if c != head] for s in seqs]
        seqs = [s for s in seqs if s]
    return out
