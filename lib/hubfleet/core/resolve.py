"""Resolve interpolations in merged values, with OmegaConf's semantics (the contract).

Paid for only where needed: the interpolations almost every fleet uses (`${hub:name}`,
`${cluster:name}`, `${a.b.c}`, `\\${` escapes) resolve in a small fast resolver.
Anything else that contains `${` (nested interpolations, relative keys, other
resolvers) is handed to OmegaConf itself for that hub. The test suite checks the
fast path against OmegaConf on generated layers.
"""

from __future__ import annotations

import contextvars
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hubfleet.core.errors import KeyPath, did_you_mean, format_keypath

MISSING = "???"  # OmegaConf's mandatory-missing marker: a later ??? keeps the earlier value
MAX_EXPANDED_CHARS = 1_000_000  # one value after interpolation: values that repeat each other stop here

HUB_FACTS = ("name", "domain", "namespace", "stage")
CLUSTER_FACTS = ("name", "provider")


class InterpolationProblem(Exception):
    """`keypath`: where the interpolation is; `missing`: the key path it reads that is not there
    (when that is the trouble), so that a layer that replaced its mapping can be named."""

    def __init__(self, keypath: KeyPath, message: str, missing: KeyPath = ()) -> None:
        super().__init__(message)
        self.keypath = keypath
        self.message = message
        self.missing = missing


class _NeedsOmegaConf(Exception):
    """The fast resolver met a form it does not handle: use OmegaConf for this hub."""


_SEG = r"[A-Za-z0-9_][A-Za-z0-9_\-]*"
_SIMPLE = re.compile(
    r"\$\{(?:(?P<res>hub|cluster):(?P<fact>[A-Za-z_][A-Za-z0-9_]*)|(?P<key>"
    + _SEG
    + r"(?:\."
    + _SEG
    + r")*))\}"
)


@dataclass(frozen=True)
class Facts:
    hub: Mapping[str, str]
    cluster: Mapping[str, str]

    def lookup(self, resolver: str, name: str, where: KeyPath) -> str:
        table, allowed = (self.hub, HUB_FACTS) if resolver == "hub" else (self.cluster, CLUSTER_FACTS)
        if name not in allowed:
            hint = did_you_mean(name, allowed)
            raise InterpolationProblem(
                where,
                f"`${{{resolver}:{name}}}` is not a fact{hint}; use one of: "
                + ", ".join(f"${{{resolver}:{a}}}" for a in allowed),
            )
        return table[name]


@dataclass(frozen=True)
class Scan:
    """What one walk over merged values finds: every string holding `${` (key path and text, in
    tree order) and whether any scalar is `???`. Compose, resolve and the interpolated-secret check
    share it, so 2000 hubs' values are walked once each, not once per question."""

    interpolated: tuple[tuple[KeyPath, str], ...]
    missing: bool
    keys: tuple[KeyPath, ...] = ()  # keys holding `${`: never resolved (OmegaConf leaves keys as written)


def scan(tree: Any) -> Scan:
    found: list[tuple[KeyPath, str]] = []
    keys: list[KeyPath] = []
    missing = False

    def walk(node: Any, at: KeyPath) -> None:
        nonlocal missing
        if isinstance(node, dict):
            keys.extend((*at, k) for k in node if isinstance(k, str) and "${" in k)
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            kind = type(value)  # exact types first: this runs over every hub's whole values
            if kind is str or (kind is not dict and kind is not list and isinstance(value, str)):
                if "${" in value:
                    found.append(((*at, key), value))
                elif value == MISSING:
                    missing = True
            elif kind is dict or kind is list or isinstance(value, (dict, list)):
                walk(value, (*at, key))

    if isinstance(tree, (dict, list)):
        walk(tree, ())
    elif isinstance(tree, str) and "${" in tree:
        found.append(((), tree))
    return Scan(tuple(found), missing or tree == MISSING, tuple(keys))


def resolve(values: Mapping[str, Any], facts: Facts, found: Scan | None = None) -> dict[str, Any]:
    """Resolve every interpolation in merged values (fast path, OmegaConf fallback).

    The result shares every subtree without an interpolation with `values` (neither is mutated)."""
    found = scan(values) if found is None else found
    if found.keys:
        path = found.keys[0]
        raise InterpolationProblem(
            path,
            f"an interpolation in a key (`{path[-1]}`) is never resolved: Helm would get the key as "
            "written; use a fixed key (the hub's own values file can name it), or interpolate the value",
        )
    if not found.interpolated:
        return values if isinstance(values, dict) else dict(values)
    try:
        return _FastResolver(values, facts).run(found.interpolated)
    except _NeedsOmegaConf:
        _check_expansion(values)  # OmegaConf has no limit of its own: refuse a blow-up before it
        return _resolve_with_omegaconf(values, facts)


class _FastResolver:
    def __init__(self, root: Mapping[str, Any], facts: Facts) -> None:
        self.root = root
        self.facts = facts
        self.done: dict[KeyPath, Any] = {}
        self.active: list[KeyPath] = []

    def run(self, strings: Sequence[tuple[KeyPath, str]]) -> dict[str, Any]:
        """Resolve each interpolated string in tree order (the first error is the one a full walk
        meets first), copying only the mappings and lists on the way to them."""
        out: dict[str, Any] = dict(self.root)
        copied: dict[KeyPath, Any] = {(): out}
        for path, text in strings:
            value = self.string(path, text)
            node: Any = out
            for i in range(1, len(path)):
                prefix = path[:i]
                child = copied.get(prefix)
                if child is None:
                    old = node[path[i - 1]]
                    child = copied[prefix] = dict(old) if isinstance(old, dict) else list(old)
                    node[path[i - 1]] = child
                node = child
            node[path[-1]] = value
        return out

    def node(self, path: KeyPath, value: Any) -> Any:
        """A resolved copy of a referenced value (`${a.b}` naming a mapping or list)."""
        # A plain scalar is kept as it is without building its key path (most leaves are plain).
        if isinstance(value, dict):
            return {
                k: self.node((*path, k), v)
                if isinstance(v, (dict, list)) or (isinstance(v, str) and "${" in v)
                else v
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self.node((*path, i), v)
                if isinstance(v, (dict, list)) or (isinstance(v, str) and "${" in v)
                else v
                for i, v in enumerate(value)
            ]
        if isinstance(value, str) and "${" in value:
            return self.string(path, value)
        return value

    def string(self, path: KeyPath, text: str) -> Any:
        if path in self.done:
            return self.done[path]
        if path in self.active:
            cycle = " -> ".join(format_keypath(p) for p in self.active[self.active.index(path) :])
            raise InterpolationProblem(path, f"interpolation cycle: {cycle} -> {format_keypath(path)}")
        self.active.append(path)
        try:
            result = self._string(path, text)
        finally:
            self.active.pop()
        self.done[path] = result
        return result

    def _string(self, path: KeyPath, text: str) -> Any:
        if text[:2] == "${" and "\\" not in text and (m := _SIMPLE.fullmatch(text)):
            return self.interpolate(path, m)  # the whole value is one interpolation: its own type
        parts: list[str] = []
        pos = 0
        whole = None
        for start in _find_all(text, "${"):
            if start < pos:
                continue
            slashes = _backslashes_before(text, start)
            if slashes == 1:  # `\${` is a literal `${`
                parts.append(text[pos : start - 1] + "${")
                pos = start + 2
                continue
            if slashes > 1 or ("\\" in text[pos:start] and text[pos:start].endswith("\\")):
                raise _NeedsOmegaConf
            m = _SIMPLE.match(text, start)
            if not m:
                raise _NeedsOmegaConf
            value = self.interpolate(path, m)
            if start == 0 and m.end() == len(text):
                whole = value
                pos = m.end()
                break
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise _NeedsOmegaConf  # str() of None/bool/containers: let OmegaConf decide
            parts.append(text[pos:start] + str(value))
            pos = m.end()
            if sum(map(len, parts)) > MAX_EXPANDED_CHARS:
                raise _too_big(path)
        else:
            parts.append(text[pos:])
            return "".join(parts)
        return whole

    def interpolate(self, path: KeyPath, m: re.Match[str]) -> Any:
        if m.group("res"):
            return self.facts.lookup(m.group("res"), m.group("fact"), path)
        target = tuple(m.group("key").split("."))
        node: Any = self.root
        for i, part in enumerate(target):
            if isinstance(node, list):
                raise _NeedsOmegaConf  # list indexing: OmegaConf's rules
            if not isinstance(node, dict) or part not in node:
                if isinstance(node, dict) and any(not isinstance(k, str) for k in node):
                    raise _NeedsOmegaConf
                hint = did_you_mean(part, [str(k) for k in node]) if isinstance(node, dict) else ""
                if i == 0 and not hint:  # most likely a shell/Python `${VAR}` meant literally
                    hint = "; " + literal_hint(m.group(0))
                raise InterpolationProblem(
                    path,
                    f"`${{{m.group('key')}}}`: no key `{format_keypath(target[: i + 1])}` in the "
                    f"merged values{hint}",
                    target[: i + 1],
                )
            node = node[part]
        if node == MISSING:
            raise InterpolationProblem(path, f"`${{{m.group('key')}}}` is ??? (a value no layer set)")
        return self.node(target, node)


def _too_big(path: KeyPath) -> InterpolationProblem:
    return InterpolationProblem(
        path,
        f"expands to over {MAX_EXPANDED_CHARS:,} characters (interpolations that repeat each other): "
        "write the value out",
    )


def _check_expansion(values: Mapping[str, Any]) -> None:
    """Before OmegaConf: the size each string reaches once its `${a.b}` references are written out
    (an upper bound, each reference counted with its own expansion), refused past the limit."""
    strings: dict[KeyPath, str] = {}
    todo: list[tuple[KeyPath, Any]] = [((), values)]
    while todo:
        path, node = todo.pop()
        if isinstance(node, dict):
            todo.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            todo.extend(((*path, i), v) for i, v in enumerate(node))
        elif isinstance(node, str) and "${" in node:
            strings[path] = node
    sizes: dict[KeyPath, int] = {}

    def size(path: KeyPath, seen: frozenset[KeyPath]) -> int:
        if path in sizes:
            return sizes[path]
        text = strings[path]
        total = len(text)
        for m in _SIMPLE.finditer(text):
            ref = tuple(m.group("key").split(".")) if m.group("key") else None
            if ref in strings and ref not in seen:
                total += size(ref, seen | {path})
            if total > MAX_EXPANDED_CHARS:
                raise _too_big(path)
        sizes[path] = total
        return total

    for path in strings:
        size(path, frozenset())


def _find_all(text: str, sub: str):
    i = text.find(sub)
    while i != -1:
        yield i
        i = text.find(sub, i + 1)


def _backslashes_before(text: str, i: int) -> int:
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n


def literal_hint(expr: str) -> str:
    """How to write `expr` (a `${...}`) so that it stays literal."""
    return f"if `{expr}` is meant literally (shell, Python), escape it: `\\{expr}`"


def _unresolvable(text: str) -> str | None:
    """The first unescaped `${...}` in `text` that is not one of the simple forms, for messages."""
    for start in _find_all(text, "${"):
        if _backslashes_before(text, start) % 2 == 0 and not _SIMPLE.match(text, start):
            end = text.find("}", start)
            expr = text[start : end + 1] if 0 < end - start <= 60 else text[start : start + 20] + "..."
            return expr.splitlines()[0] if "\n" in expr else expr
    return None


# OmegaConf resolvers are process-global; per-hub facts travel in a ContextVar.
_facts: contextvars.ContextVar[Facts] = contextvars.ContextVar("hubfleet_facts")
_registered = False


def _register_resolvers() -> None:
    global _registered
    if _registered:
        return
    from omegaconf import OmegaConf

    def fact(resolver: str):
        def lookup(*args: Any) -> str:  # `${hub:}` passes no name: say which facts there are
            return _facts.get().lookup(resolver, str(args[0]) if args else "", ())

        return lookup

    def not_allowed(name: str):
        def refuse(*_args: Any) -> Any:
            raise ValueError(
                f"`${{{name}:...}}` is not allowed in fleet values: write the value or key it means"
            )

        return refuse

    def machine_dependent(*_args: Any) -> Any:
        raise ValueError(
            "machine-dependent resolvers (oc.env) are not allowed: the same commit "
            "must render the same files; put the value in a layer"
        )

    OmegaConf.register_resolver("hub", fact("hub"), replace=True)
    OmegaConf.register_resolver("cluster", fact("cluster"), replace=True)
    OmegaConf.register_resolver("oc.env", machine_dependent, replace=True)
    for name in ("oc.deprecated", "oc.decode", "oc.create"):  # warn on stderr, or build objects
        OmegaConf.register_resolver(name, not_allowed(name), replace=True)
    _registered = True


def _resolve_with_omegaconf(values: Mapping[str, Any], facts: Facts) -> dict[str, Any]:
    from omegaconf import OmegaConf
    from omegaconf.errors import (
        GrammarParseError,
        InterpolationKeyError,
        OmegaConfBaseException,
        UnsupportedInterpolationType,
    )

    _register_resolvers()
    token = _facts.set(facts)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a library warning is a problem with a place, not stderr noise
            cfg = OmegaConf.create(dict(values))
            return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    except InterpolationProblem:
        raise
    except Warning as e:
        raise InterpolationProblem((), f"cannot resolve: {str(e).splitlines()[0]}") from None
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", "") or ""
        keypath = tuple(k for k in re.split(r"\.|\[|\]", str(key)) if k)
        cause = e.__cause__
        msg = str(cause) if isinstance(cause, (ValueError, InterpolationProblem)) else str(e).splitlines()[0]
        if isinstance(cause, InterpolationProblem):
            msg = cause.message
        if isinstance(e, (GrammarParseError, UnsupportedInterpolationType, InterpolationKeyError)):
            raise InterpolationProblem(keypath, _not_an_interpolation(values, keypath, msg)) from None
        raise InterpolationProblem(keypath, f"cannot resolve: {msg}") from None
    except (ValueError, TypeError) as e:
        raise InterpolationProblem((), f"cannot resolve: {e}") from None
    except RecursionError:  # `${oc.select:hub}` inside hub: a value that holds itself, endlessly
        keypath, expr = _first_unresolvable(values)
        raise InterpolationProblem(
            keypath,
            f"`{expr}` refers to a value that contains it, so it never finishes resolving: "
            "point it at a key outside it",
        ) from None
    finally:
        _facts.reset(token)


def _first_unresolvable(values: Mapping[str, Any]) -> tuple[KeyPath, str]:
    """The first string (tree order) holding an interpolation only OmegaConf resolves, for a message."""
    for keypath, text in scan(values).interpolated:
        expr = _unresolvable(text)
        if expr is not None:
            return keypath, expr
    return (), "an interpolation"


def _not_an_interpolation(values: Mapping[str, Any], keypath: KeyPath, reason: str) -> str:
    """A `${...}` that OmegaConf cannot parse, or whose resolver or key does not exist: almost always
    shell or Python text (`${HOME:-/tmp}`, `${VAR#prefix}`) that needed the `\\${` escape."""
    node: Any = values
    for part in keypath:
        node = node.get(part) if isinstance(node, dict) else None
    expr = _unresolvable(node) if isinstance(node, str) else None
    if expr is None:
        return f"cannot resolve: {reason}"
    return (
        f"cannot resolve `{expr}` ({reason}): interpolations are "
        f"${{hub:...}}, ${{cluster:...}} and ${{other.key}}; {literal_hint(expr)}"
    )
