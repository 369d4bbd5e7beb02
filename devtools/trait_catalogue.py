"""Regenerate the trait catalogue of a jupyterhub chart version (NOT shipped: a developer's tool).

    python devtools/trait_catalogue.py 4.4.0 4.3.5           # writes lib/hubfleet/data/traits/*.json.gz
    python devtools/trait_catalogue.py 4.4.0 --venvs /tmp/v  # where the cache venvs live

For each chart version it creates a cache venv (default `.hubfleet/trait-venvs/<version>`, never
committed), installs from PyPI the exact package versions that the chart's hub image pins (the
table below, copied from `images/hub/requirements.txt` of jupyterhub/zero-to-jupyterhub-k8s at
that tag), and runs this same file inside it with `--introspect`: that imports every module of
those packages once and writes, as compact JSON, every configurable class, its configurable
traits with their value kinds and allowed values, its import paths, and the entry-point aliases
(`github`, `tmp`, `kubespawner`, ...). The result is package data: `hubfleet.core.traits` reads it.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import subprocess
import sys
import venv
from pathlib import Path

# The hub image's pins per chart version, from the chart's images/hub/requirements.txt at that
# tag (only the packages that define configurable classes or entry points, plus traitlets).
# mwoauth is in the image (oauthenticator[mediawiki]) so that MWOAuthenticator imports.
PINS: dict[str, dict[str, str]] = {
    "4.4.0": {
        "jupyterhub": "5.5.0",
        "oauthenticator": "17.4.0",
        "jupyterhub-kubespawner": "7.0.0",
        "jupyterhub-ldapauthenticator": "2.0.2",
        "jupyterhub-ltiauthenticator": "1.6.3",
        "jupyterhub-nativeauthenticator": "1.3.0",
        "jupyterhub-tmpauthenticator": "1.0.0",
        "jupyterhub-firstuseauthenticator": "1.1.1",
        "jupyterhub-hmacauthenticator": "1.0",
        "jupyterhub-idle-culler": "1.4.0",
        "traitlets": "5.15.1",
        "mwoauth": "0.4.0",
    },
    "4.3.5": {
        "jupyterhub": "5.4.6",
        "oauthenticator": "17.4.0",
        "jupyterhub-kubespawner": "7.0.0",
        "jupyterhub-ldapauthenticator": "2.0.2",
        "jupyterhub-ltiauthenticator": "1.6.3",
        "jupyterhub-nativeauthenticator": "1.3.0",
        "jupyterhub-tmpauthenticator": "1.0.0",
        "jupyterhub-firstuseauthenticator": "1.1.1",
        "jupyterhub-hmacauthenticator": "1.0",
        "jupyterhub-idle-culler": "1.4.0",
        "traitlets": "5.15.0",
        "mwoauth": "0.4.0",
    },
}
HUB_IMAGE = "quay.io/jupyterhub/k8s-hub"
# Import packages to walk (the distributions above provide these).
TOP_MODULES = (
    "traitlets",
    "jupyterhub",
    "oauthenticator",
    "kubespawner",
    "ldapauthenticator",
    "ltiauthenticator",
    "nativeauthenticator",
    "tmpauthenticator",
    "firstuseauthenticator",
    "hmacauthenticator",
)
ALIAS_GROUPS = {
    "jupyterhub.authenticators": "authenticators",
    "jupyterhub.spawners": "spawners",
    "jupyterhub.proxies": "proxies",
}
# Value kinds, one letter each: s str, i int, f float, b bool, l list, d dict, n null, * anything.
# Each trait is probed with YAML-like values of each kind (its own validate(), as traitlets runs
# it when it loads config); a trait whose validation needs its real instance accepts anything.
PROBES = {
    "s": ("x", "1G", "/x/", "http://x/"),  # ByteSpecification, URLPrefix want their own shapes
    "i": (7, 100000, 2),  # not 0 or 1, which Bool takes too
    "f": (7.5, 0.5),
    "b": (True, False),
    "l": ([], ["x"]),
    "d": ({},),
    "n": (None,),
}
# Import paths or entry-point names, resolved by importing: probing cannot tell, checks resolve them.
STRING_TRAITS = ("Type", "EntryPointType", "ForwardDeclaredType", "DottedObjectName")


# --- runs inside the cache venv -------------------------------------------------------


def introspect() -> dict:
    """Every configurable class of the installed packages, as plain data."""
    import importlib
    import importlib.metadata as md
    import pkgutil
    import warnings

    from traitlets import Enum
    from traitlets.config import Configurable

    warnings.simplefilter("ignore")
    failed: dict[str, str] = {}
    modules = []
    for top in TOP_MODULES:
        pkg = importlib.import_module(top)
        modules.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, top + "."):
            if ".tests" in info.name or info.name.endswith(".conftest") or ".alembic" in info.name:
                continue
            try:
                modules.append(importlib.import_module(info.name))
            except BaseException as e:  # an optional dependency the image lacks: noted, skipped
                failed[info.name] = f"{type(e).__name__}: {e}"[:200]

    def all_subclasses(cls: type) -> list[type]:
        out, todo = [], [cls]
        while todo:
            c = todo.pop()
            out.append(c)
            todo.extend(c.__subclasses__())
        return out

    wanted = tuple(t.split(".")[0] for t in TOP_MODULES)
    classes = [c for c in dict.fromkeys(all_subclasses(Configurable)) if c.__module__.split(".")[0] in wanted]
    paths: dict[type, set[str]] = {}
    for mod in modules:
        for attr, obj in list(vars(mod).items()):
            if isinstance(obj, type) and obj in classes and not attr.startswith("_"):
                paths.setdefault(obj, set()).add(f"{mod.__name__}.{attr}")
    dists = md.packages_distributions()

    from traitlets import HasTraits, TraitError

    def kinds(trait) -> str:
        """The kinds of YAML value this trait's own validation accepts."""
        if any(k.__name__ in STRING_TRAITS for k in type(trait).__mro__):
            return "s" + ("n" if trait.allow_none else "")
        probe = type("Probe", (HasTraits,), {"t": copy.deepcopy(trait)})()
        accepted = ""
        for kind, values in PROBES.items():
            for value in values:
                try:
                    probe.t = copy.deepcopy(value)
                except TraitError:
                    continue
                except Exception:  # needs its real instance: say nothing about it
                    return "*"
                accepted += kind
                break
        if (
            accepted in ("", "n")
            and not isinstance(trait, Enum)
            and type(trait).__name__ not in ("Callable", "UseEnum")
        ):
            return "*"  # e.g. a Tuple of fixed members: its shape is more than a kind
        return "*" if accepted == "".join(PROBES) else accepted

    def spec(trait) -> dict:
        s: dict = {"y": type(trait).__name__, "k": kinds(trait)}
        if isinstance(trait, Enum):
            s["e"] = [
                v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for v in trait.values
            ]
            name = type(trait).__name__
            if name in ("CaselessStrEnum", "FuzzyEnum"):
                s["ci"] = 1
            if name == "FuzzyEnum":
                s["fz"] = 1
        if type(trait).__name__ == "UseEnum":  # a Python Enum: its member names, or their values
            members = trait.enum_class.__members__.values()
            s["e"] = [m.name for m in members] + [m.value for m in members if isinstance(m.value, (int, str))]
        inner = getattr(trait, "_trait", None)
        if inner is not None and type(trait).__name__ in ("List", "Set", "Command"):
            s["it"] = kinds(inner)
        value = getattr(trait, "_value_trait", None)
        if value is not None and type(trait).__name__ == "Dict":
            s["v"] = kinds(value)
        return s

    out_classes: dict[str, dict] = {}
    for cls in sorted(classes, key=lambda c: (c.__name__, c.__module__)):
        own = cls.class_own_traits(config=True)
        bases = [b.__name__ for b in cls.__bases__ if issubclass(b, Configurable)]
        # a trait a subclass redefines without config=True no longer reads config
        shadow = [
            n
            for n, t in cls.class_own_traits().items()
            if not t.metadata.get("config")
            and any(n in b.class_traits(config=True) for b in cls.__mro__[1:] if issubclass(b, Configurable))
        ]
        top = cls.__module__.split(".")[0]
        entry = {
            "m": cls.__module__,
            "p": (dists.get(top) or [top])[0],
            "b": bases,
            "t": {n: spec(t) for n, t in sorted(own.items())},
            "i": sorted(paths.get(cls, set()) | {f"{cls.__module__}.{cls.__qualname__}"}),
        }
        if shadow:
            entry["x"] = sorted(shadow)
        # traits that read no config but can be set (a profile's kubespawner_override setattr()s them)
        plain = sorted(
            n
            for n, t in cls.class_own_traits().items()
            if not t.metadata.get("config") and n not in own and not n.startswith("_")
        )
        if plain:
            entry["n"] = plain
        # config names a class accepts with a warning (or refuses, same=False), and what replaces them
        deprecated = {}
        for attr in ("_deprecated_aliases", "_deprecated_oauth_aliases", "_deprecated_traits"):
            for old, (new, version, *same) in (vars(cls).get(attr) or {}).items():
                deprecated[old] = [new, str(version), bool(same[0]) if same else True]
        if deprecated:
            entry["d"] = dict(sorted(deprecated.items()))
        name = cls.__name__
        if name in out_classes:  # one section name, several classes: config applies to all of them
            prev = out_classes[name]
            prev["t"] = {**entry["t"], **prev["t"]}
            prev["b"] = list(dict.fromkeys(prev["b"] + entry["b"]))
            prev["i"] = sorted(set(prev["i"]) | set(entry["i"]))
        else:
            out_classes[name] = entry
    aliases: dict[str, dict[str, str]] = {}
    for group, key in ALIAS_GROUPS.items():
        aliases[key] = {}
        for ep in md.entry_points(group=group):
            try:
                aliases[key][ep.name.lower()] = ep.load().__name__
            except BaseException as e:
                failed[f"entry point {group}:{ep.name}"] = f"{type(e).__name__}: {e}"[:200]
    packages = {d.metadata["Name"].lower(): d.version for d in md.distributions()}
    return {
        "python": sys.version.split()[0],
        "classes": out_classes,
        "aliases": aliases,
        "installed": dict(sorted(packages.items())),
        "import_failures": dict(sorted(failed.items())),
    }


# --- runs in the developer's environment ----------------------------------------------


def build(version: str, venvs: Path, out_dir: Path) -> Path:
    pins = PINS[version]
    where = venvs / version
    python = where / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
    argv = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*argv, *(f"{n}=={v}" for n, v in pins.items())], check=True)
    found = subprocess.run(
        [str(python), __file__, "--introspect"], check=True, capture_output=True, text=True
    )
    data = json.loads(found.stdout)
    catalogue = {
        "format": 1,
        "chart": {"name": "jupyterhub", "version": version, "hub_image": f"{HUB_IMAGE}:{version}"},
        "packages": pins,
        **data,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"jupyterhub-{version}.json.gz"
    raw = json.dumps(catalogue, separators=(",", ":"), sort_keys=True).encode()
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(
        f"{path}: {len(data['classes'])} classes, {sum(len(c['t']) for c in data['classes'].values())} "
        f"traits, {len(raw)} bytes JSON, {path.stat().st_size} gzipped; "
        f"{len(data['import_failures'])} module(s) skipped"
    )
    return path


def main() -> None:
    if sys.argv[1:] == ["--introspect"]:
        json.dump(introspect(), sys.stdout)
        return
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", default=sorted(PINS), help="chart versions (default: all)")
    parser.add_argument("--venvs", type=Path, default=repo / ".hubfleet" / "trait-venvs")
    parser.add_argument("--out", type=Path, default=repo / "lib" / "hubfleet" / "data" / "traits")
    args = parser.parse_args()
    for version in args.versions:
        if version not in PINS:
            parser.error(f"no pins for chart {version}: add them to PINS (images/hub/requirements.txt)")
        build(version, args.venvs, args.out)


if __name__ == "__main__":
    main()
