"""Checks that know JupyterHub: `hub.config` traitlets, class names, profile overrides, extraConfig.

The chart's schema accepts anything under `hub.config`, and JupyterHub only logs a warning for an
unknown trait, so a typo silently changes who may log in. These checks hold the values against
the trait catalogue of the chart's hub image (`core.traits`). Pure: values and a catalogue in,
located Problems out; `file_of(keypath)` names the file that sets a key, or None for a key that
only the upstream chart's defaults set (not the fleet's to fix: nothing is reported there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import images
from .errors import KeyPath, Problem, Severity, did_you_mean
from .traits import KIND_NAMES, Catalogue, Trait, kind_of

__all__ = ["Z2jh", "check"]

FileOf = Callable[[KeyPath], "str | None"]
# The chart sets these before hub.config is loaded (files/hub/jupyterhub_config.py).
CHART_SPAWNER = "kubespawner.KubeSpawner"
CLASS_TRAITS = {
    "authenticator_class": "authenticators",
    "spawner_class": "spawners",
    "proxy_class": "proxies",
}
FAMILY = {"authenticators": "Authenticator", "spawners": "Spawner"}


@dataclass(frozen=True)
class Z2jh:
    """Where the jupyterhub chart's values sit in a hub's values, and the catalogue that applies."""

    prefix: KeyPath  # () for the jupyterhub chart, ("jupyterhub",) in a wrapper chart such as basehub
    catalogue: Catalogue
    chart_version: str  # the hub's jupyterhub chart version (the catalogue's, unless none was made for it)


def check(
    values: Mapping[str, Any],
    z2jh: Z2jh,
    file_of: FileOf,
    hub: str | None = None,
    layers: Sequence[str] = (),
) -> list[Problem]:
    """Every finding about one hub's effective values (the chart's defaults coalesced in).

    `layers`: the hub's layer files, lowest first. Shared layers may configure what only some of
    their hubs use, so notes about layering (a class this hub does not use, a parent-class value
    that a nearer class overrides) are only made where the hub's own or a higher layer says it.
    """
    root = _node(values, z2jh.prefix)
    if not isinstance(root, dict):
        return []
    config = _node(root, ("hub", "config"))
    config = config if isinstance(config, dict) else {}
    ctx = _Ctx(z2jh, file_of, hub, _custom_image(root, z2jh, file_of), tuple(layers))
    ctx.used = ["JupyterHub", *(c for t in CLASS_TRAITS if (c := ctx.configured(config, t)[1]))]
    ctx.sections(config)
    ctx.classes(config)
    ctx.profiles(root, config)
    ctx.extra_config(_node(root, ("hub", "extraConfig")))
    for keypath, message in images.problems(root):
        ctx.add(keypath, message, "warning")
    return ctx.out


@dataclass
class _Ctx:
    z2jh: Z2jh
    file_of: FileOf
    hub: str | None
    custom_image: str | None  # `name:tag` of a hub image the fleet chose instead of the chart's
    layers: tuple[str, ...] = ()
    out: list[Problem] = field(default_factory=list)
    used: list[str] = field(default_factory=list)  # the classes this hub instantiates, as far as known

    @property
    def used_key(self) -> tuple[str, ...]:
        return tuple(self.used)

    def rank(self, keypath: KeyPath) -> int:
        """How high the layer setting a key is: -1 a chart's values.yaml, len(layers) unknown."""
        file = self.file_of((*self.z2jh.prefix, *keypath))
        if file in self.layers:
            return self.layers.index(file)
        return -1 if file is not None else len(self.layers)

    @property
    def cat(self) -> Catalogue:
        return self.z2jh.catalogue

    def add(self, keypath: KeyPath, message: str, severity: Severity = "error", *, image_may_differ=False):
        keypath = (*self.z2jh.prefix, *keypath)
        file = self.file_of(keypath)
        if file is None:
            return
        if image_may_differ and self.custom_image and severity == "error":
            severity = "warning"
            message += f"; this hub runs its own hub image `{self.custom_image}`, which may differ"
        if self.z2jh.chart_version != self.cat.chart_version and severity == "error":
            severity = "warning"
            message += (
                f" (checked against the catalogue of jupyterhub {self.cat.chart_version}:"
                f" hubfleet has none for {self.z2jh.chart_version})"
            )
        self.out.append(Problem(file, message, keypath, severity=severity, hub=self.hub))

    def image_note(self) -> str:
        return f"the chart's hub image {self.cat.hub_image_name}:{self.cat.hub_image_tag}"

    # --- hub.config.<Class>.<trait> ---------------------------------------------------

    def sections(self, config: Mapping[str, Any]) -> None:
        for section, traits in config.items():
            where = ("hub", "config", section)
            name = str(section)
            if not name[:1].isupper():
                self.add(
                    where,
                    "hub.config sections are class names (the chart's hub exits at start on this one): "
                    f"a misplaced key?{did_you_mean(name, self.cat.classes)}",
                )
            elif name not in self.cat:
                self.add(
                    where,
                    f"no configurable class `{name}` in {self.image_note()}"
                    + did_you_mean(name, self.cat.classes),
                    image_may_differ=True,
                )
            elif not isinstance(traits, dict):
                self.add(where, f"must be a mapping of {name}'s traits to values (got {_kind(traits)})")
            else:
                for at, message, severity, may_differ in self.shared(
                    ("section", name), traits, self._section
                ):
                    self.add((*where, *at), message, severity, image_may_differ=may_differ)

    def _section(self, name: str, traits: Mapping[str, Any]) -> list[Located]:
        out: list[Located] = []
        for trait, value in traits.items():
            if str(trait)[:1].isupper() and isinstance(value, dict):
                out += [((trait,), m, s, False) for m, s in self.nested(name, str(trait))]
            else:
                out += [((trait,), *f) for f in self.trait(name, str(trait), value)]
        return out

    def shared(self, what: tuple[Any, ...], node: Any, find: Callable[..., list[Located]]) -> list[Located]:
        """`find(*what[1:], node)`, memoised by the node itself: a section or profile list that only a
        shared layer sets is one object in every hub of that layer (merge and resolve copy only
        what they change), so 2000 hubs check it a few times. The memo holds the node: its id
        cannot be reused while it is there, and parsed layers are never mutated."""
        memo = self.cat.memo
        entry = (*what, id(node), self.used_key)
        hit = memo.get(entry)
        if hit is not None:  # the held node keeps its id from being reused
            return hit[1]
        found = find(*what[1:], node)
        if len(memo) < 100_000:
            memo[entry] = (node, found)
        return found

    def nested(self, outer: str, inner: str) -> list[tuple[str, Severity]]:
        """`hub.config.A.B`: traitlets reads it only for a B whose parent object is an A."""
        if outer == "JupyterHub" and inner in self.cat:
            return []  # the hub application is the parent of its authenticator, spawners, proxy...
        known = f"`{inner}`" if inner in self.cat else f"`{inner}` (no such class in {self.image_note()})"
        return [
            (
                f"a section {known} nested in {outer}: it applies only to a {inner} whose parent is a "
                f"{outer}, so most likely to nothing (misindented? hub.config.{inner} is one level up)",
                "warning",
            )
        ]

    def trait(self, cls: str, name: str, value: Any, *, settable: bool = False) -> list[Finding]:
        """Findings about one `trait: value` of a class (memoised: 2000 hubs share most values)."""
        key = _hashable(value)
        memo = self.cat.memo
        found = None
        if key is not _UNHASHABLE:
            found = memo.get(entry := (cls, name, key, settable, self.used_key))
        if found is None:
            found = _trait_findings(self.cat, cls, name, value, settable, self.used)
            if key is not _UNHASHABLE and len(memo) < 100_000:
                memo[entry] = found
        return found

    # --- authenticator_class / spawner_class, and what they make of hub.config ---------

    def configured(self, config: Mapping[str, Any], trait: str) -> tuple[str | None, str | None]:
        """(the value, the class it names) of JupyterHub.<trait>; the chart's spawner by default."""
        value = _node(config, ("JupyterHub", trait))
        if value is None and trait == "spawner_class":
            value = CHART_SPAWNER
        if not isinstance(value, str):
            return None, None
        return value, self.cat.resolve(value, CLASS_TRAITS[trait])

    def classes(self, config: Mapping[str, Any]) -> None:
        for trait, group in CLASS_TRAITS.items():
            value, cls = self.configured(config, trait)
            if value is None or cls is not None:
                if cls and group in FAMILY:
                    self.overrides(config, cls, FAMILY[group])
                continue
            self.add(
                ("hub", "config", "JupyterHub", trait),
                f"`{value}` is no {group[:-1]} entry point or class in {self.image_note()}"
                f"{did_you_mean(value, self.cat.names_for(group))}",
                image_may_differ=True,
            )

    def overrides(self, config: Mapping[str, Any], cls: str, family: str) -> None:
        """Info: config of a parent class that the configured class overrides, or of a class not used."""
        mro = self.cat.mro(cls)
        for section, traits in config.items():
            if section not in self.cat or not isinstance(traits, dict) or section == cls:
                continue
            if section not in mro:
                own = not self.layers or self.rank(("hub", "config", section)) >= len(self.layers) - 1
                if self.cat.is_a(section, family) and section != family and own:
                    self.add(
                        ("hub", "config", section),
                        f"has no effect: this hub's {family.lower()} is {cls}, not a {section}",
                        "info",
                    )
                continue
            closer = mro[: mro.index(section)]  # the configured class and ancestors nearer to it
            for trait in traits:
                nearer = [c for c in closer if isinstance(config.get(c), dict) and trait in config[c]]
                owner = self.cat.traits(cls).get(str(trait))
                where = ("hub", "config", section, trait)
                # a nearer class's value from a higher layer than this one is plain layering
                if nearer and self.rank(where) >= self.rank(("hub", "config", nearer[0], trait)):
                    self.add(
                        where, f"overridden by hub.config.{nearer[0]}.{trait} (the nearer class wins)", "info"
                    )
                elif (
                    not nearer
                    and owner is not None
                    and owner.owner in closer
                    and str(trait) in self.cat.traits(section)
                ):
                    self.add(
                        where,
                        f"{owner.owner} redefines `{trait}` (its own default and meaning); this value "
                        f"applies to {cls} all the same: consider hub.config.{cls}.{trait}",
                        "info",
                    )

    # --- profiles ----------------------------------------------------------------------

    def profiles(self, root: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        _, spawner = self.configured(config, "spawner_class")
        cls = spawner if spawner and self.cat.is_a(spawner, "KubeSpawner") else "KubeSpawner"
        if cls not in self.cat:
            return
        lists = [(("singleuser", "profileList"), _node(root, ("singleuser", "profileList")))]
        lists.append(
            (("hub", "config", "KubeSpawner", "profile_list"), _node(config, ("KubeSpawner", "profile_list")))
        )
        for where, profiles in lists:
            if isinstance(profiles, list):
                for at, message, severity, may_differ in self.shared(
                    ("profiles", cls), profiles, self._profiles
                ):
                    self.add((*where, *at), message, severity, image_may_differ=may_differ)

    def _profiles(self, cls: str, profiles: list[Any]) -> list[Located]:
        out: list[Located] = []
        for i, profile in enumerate(profiles):
            if isinstance(profile, dict):
                for at, override, typed in _overrides(profile, (i,)):
                    for key, value in override.items():
                        found = self.trait(cls, str(key), value if typed else None, settable=True)
                        out += [((*at, key), *f) for f in found]
        return out

    # --- hub.extraConfig ---------------------------------------------------------------

    def extra_config(self, snippets: Any) -> None:
        if not isinstance(snippets, dict):
            return
        for key, code in snippets.items():
            where = ("hub", "extraConfig", key)
            if not isinstance(code, str):
                self.add(where, f"must be Python code, a string (got {_kind(code)})")
                continue
            problem = _syntax_problem(code)
            if problem:
                self.add(where, problem)


@functools.lru_cache(maxsize=4096)
def _syntax_problem(code: str) -> str | None:
    """Why a snippet is not Python, or None. Memoised: 2000 hubs share their layers' snippets."""
    try:
        compile(code, "<hub.extraConfig>", "exec", dont_inherit=True)
    except SyntaxError as e:
        return f"Python syntax error on line {e.lineno} of this snippet: {e.msg}"
    except ValueError as e:  # null bytes
        return f"not Python: {e}"
    return None


def _overrides(
    profile: Mapping[str, Any], where: KeyPath
) -> Iterator[tuple[KeyPath, Mapping[str, Any], bool]]:
    """(keypath, kubespawner_override, whether its values are literal) of a profile and its options."""
    override = profile.get("kubespawner_override")
    if isinstance(override, dict):
        yield (*where, "kubespawner_override"), override, True
    options = profile.get("profile_options")
    if not isinstance(options, dict):
        return
    for name, option in options.items():
        if not isinstance(option, dict):
            continue
        choices = option.get("choices")
        for key, choice in choices.items() if isinstance(choices, dict) else ():
            inner = choice.get("kubespawner_override") if isinstance(choice, dict) else None
            if isinstance(inner, dict):
                yield (*where, "profile_options", name, "choices", key, "kubespawner_override"), inner, True
        unlisted = option.get("unlisted_choice")
        inner = unlisted.get("kubespawner_override") if isinstance(unlisted, dict) else None
        if isinstance(inner, dict):  # `{value}` templates: keys are checked, values are not
            yield (*where, "profile_options", name, "unlisted_choice", "kubespawner_override"), inner, False


_UNHASHABLE: Any = object()
Finding = tuple[str, Severity, bool]  # message, severity, whether the hub's own image may differ
Located = tuple[KeyPath, str, Severity, bool]  # a Finding at a key path under the node checked


def _hashable(value: Any) -> Any:
    """A memo key for a YAML value: its kind and content (`1`, `1.0` and `true` are equal in
    Python, not here); lists of scalars count, anything deeper is not memoised."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return (type(value), value)
    if isinstance(value, list) and all(v is None or isinstance(v, (str, int, float, bool)) for v in value):
        return (list, tuple((type(v), v) for v in value))
    return _UNHASHABLE


def _trait_findings(
    cat: Catalogue, cls: str, name: str, value: Any, settable: bool, used: Sequence[str]
) -> list[Finding]:
    """What to say about `cls.name = value` (pure; `used`: the classes the hub instantiates)."""
    known = cat.traits(cls)
    old = cat.deprecated(cls).get(name)
    if old is not None:
        new, version, same = old
        package = cat.package_of(known[new].owner if new in known else cls)
        if same:
            return [
                (f"deprecated since {version}: use `{new}` ({package} still reads this)", "warning", False)
            ]
        return [(f"replaced by `{new}` in {version}: {package} refuses to start with this", "error", False)]
    if name in known:
        problem = _value_problem(known[name], value) if value is not None else None  # Helm drops nulls
        return [(problem, "error", False)] if problem else []
    if settable and name in cat.settable(cls):
        return []
    # traitlets merges every section of an object's MRO, then keeps the object's own traits:
    # `Authenticator.logout_redirect_url` reaches a GenericOAuthenticator, which has it.
    via = [c for c in used if c != cls and cat.is_a(c, cls) and name in cat.traits(c)]
    if via:
        out: list[Finding] = [
            (
                f"not a trait of {cls}: it applies only because this hub's {via[0]} has it "
                f"(hub.config.{via[0]}.{name} says so plainly)",
                "info",
                False,
            )
        ]
        problem = _value_problem(cat.traits(via[0])[name], value) if value is not None else None
        return out + ([(problem, "error", False)] if problem else [])
    choices = [*known, *cat.deprecated(cls)] + (list(cat.settable(cls)) if settable else [])
    message = (
        f"unknown trait of {cls} ({cat.package_of(cls)} in the chart's hub image): JupyterHub "
        f"would ignore it with only a log line{did_you_mean(name, choices)}"
    )
    return [(message, "error", True)]


def _value_problem(trait: Trait, value: Any) -> str | None:
    """Why a value does not fit the trait, or None."""
    if trait.enum is not None:
        return _enum_problem(trait, value)
    kind = kind_of(value)
    if "*" not in trait.kinds and kind not in trait.kinds:
        if not trait.kinds.replace("n", ""):
            return f"takes a Python object ({trait.type}), which YAML cannot give: set it in hub.extraConfig"
        return f"must be {_kinds(trait.kinds)} ({trait.type}), got {_kind(value)}"
    if kind == "l" and trait.items and "*" not in trait.items:
        for i, item in enumerate(value):
            k = kind_of(item)
            if item is not None and k not in trait.items:
                return f"item {i} must be {_kinds(trait.items)}, got {_kind(item)}"
    if kind == "d" and trait.values and "*" not in trait.values:
        for key, item in value.items():
            k = kind_of(item)
            if item is not None and k not in trait.values:
                return f"the value of `{key}` must be {_kinds(trait.values)}, got {_kind(item)}"
    return None


def _enum_problem(trait: Trait, value: Any) -> str | None:
    allowed = trait.enum or ()
    if (value in allowed and not isinstance(value, bool)) or (value is None and "n" in trait.kinds):
        return None
    if isinstance(value, str) and (trait.caseless or trait.fuzzy):
        folded = value.lower()
        texts = [str(a).lower() for a in allowed]
        if folded in texts or (trait.fuzzy and folded and any(t.startswith(folded) for t in texts)):
            return None
    shown = ", ".join(f"`{a}`" for a in allowed)
    by_case = {str(a).lower(): str(a) for a in allowed}
    hint = (
        f" (did you mean `{by_case[str(value).lower()]}`?)"
        if str(value).lower() in by_case
        else did_you_mean(str(value), [str(a) for a in allowed])
    )
    return f"must be one of {shown} ({trait.type}), got {_kind(value)}{hint}"


def _custom_image(root: Mapping[str, Any], z2jh: Z2jh, file_of: FileOf) -> str | None:
    """`name:tag` of the hub image when the fleet set one other than the chart's own."""
    image = _node(root, ("hub", "image"))
    if not isinstance(image, dict):
        return None
    name, tag = image.get("name"), image.get("tag")
    cat = z2jh.catalogue
    at = (*z2jh.prefix, "hub", "image")
    custom_name = file_of((*at, "name")) is not None and name not in (None, cat.hub_image_name)
    custom_tag = file_of((*at, "tag")) is not None and str(tag) != cat.hub_image_tag
    if custom_name or custom_tag:
        return f"{name}:{tag}"
    return None


def _node(data: Any, path: KeyPath) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _kinds(kinds: str) -> str:
    if "i" in kinds:  # Python's bool is an int, so Int takes true/false too: not worth saying
        kinds = kinds.replace("b", "")
    names = [KIND_NAMES[k] for k in kinds if k in KIND_NAMES]
    return " or ".join(names) if names else "something else"


def _kind(value: Any) -> str:
    """`the string "x"`, `true`, `3`, `a list [...]`: what the value is, shortly."""
    kind = kind_of(value)
    if kind == "s":
        return f'the string "{_short(value)}"'
    if kind == "b":
        return "true" if value else "false"
    if kind in "ifn":
        return "null" if value is None else str(value)
    return f"{KIND_NAMES.get(kind, type(value).__name__)} {_short(value)}"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 50 else text[:47] + "..."
