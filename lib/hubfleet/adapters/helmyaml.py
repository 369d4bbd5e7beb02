"""PyYAML loaders and a dumper that read and write values exactly as Helm reads them.

PyYAML reads YAML 1.1 (`2222:22` is 133342, `1e3` a string, `y` a string); Helm reads
go-yaml v2 through JSON (`hubfleet.core.yamlscalars` says how). The loaders here resolve every
plain scalar with those rules, turn keys into the strings Helm makes of them, apply merge keys
(`<<`) in document order as go-yaml does, and refuse what Helm refuses (NaN, infinities, null
keys). The dumper quotes every string Helm would otherwise read as something else, so what
hubfleet writes is what Helm reads back. The C parser does the parsing in both cases.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import yaml

from ..core.yamlscalars import (
    HINT_CHARS,
    NotJson,
    check_json,
    helm_key,
    helm_reads_as_text,
    resolve_plain,
    resolve_tagged,
)

try:  # the C bindings ship in PyYAML's wheels; keep a slow fallback for odd builds
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["Dumper", "KeyProblem", "Loader", "StrictLoader", "ValueProblem"]

PLAIN_TAG = "tag:hubfleet,2026:helm-plain"  # a plain scalar that may not be a string
_CORE = "tag:yaml.org,2002:"
MERGE_TAG = _CORE + "merge"
_STR_TAG = _CORE + "str"
_MAP_WORDS = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
    r"|on|On|ON|off|Off|OFF|null|Null|NULL|~)$"
)
_ANY = re.compile(r"(?s)^.*$")


class KeyProblem(yaml.MarkedYAMLError):
    """A mapping key Helm would drop or refuse: a duplicate, two keys Helm reads as one, a null key."""


class ValueProblem(yaml.MarkedYAMLError):
    """A value Helm refuses (NaN, infinity) or reads differently from its tag."""


def _shown(node: yaml.ScalarNode) -> str:
    """A key as written: `1`, `'1'`."""
    quote = {"'": "'", '"': '"'}.get(node.style or "", "")
    return f"{quote}{node.value}{quote}"


def _problem(cls: type[yaml.MarkedYAMLError], node: yaml.Node, text: str) -> yaml.MarkedYAMLError:
    return cls(problem=text, problem_mark=node.start_mark)


class Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Reads a values file as Helm does; a repeated key keeps the last value (as Helm does)."""

    strict = False

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        """PyYAML's resolver over this class's table (`_resolvers`: no wildcard, no path
        resolvers), without building two lists per scalar: every scalar of every layer comes here."""
        if kind is yaml.ScalarNode and implicit[0]:
            for tag, regexp in self.yaml_implicit_resolvers.get(value[0] if value else "", ()):
                if regexp.match(value):
                    return tag
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)

    def construct_plain(self, node: yaml.ScalarNode) -> Any:
        try:
            return check_json(resolve_plain(node.value))
        except NotJson as e:
            raise _problem(ValueProblem, node, str(e)) from None

    def construct_tagged(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag[len(_CORE) :]
        try:
            return check_json(resolve_tagged(tag, self.construct_scalar(node)))
        except ValueError as e:
            raise _problem(ValueProblem, node, str(e)) from None

    def construct_binary(self, node: yaml.ScalarNode) -> str:
        try:
            data = base64.b64decode(self.construct_scalar(node).encode("ascii"), validate=False)
        except (binascii.Error, UnicodeEncodeError):
            raise _problem(ValueProblem, node, "`!!binary` holds no base64") from None
        return data.decode("utf-8", "replace")

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's, with a fast path for the common scalars: a plain one, or a quoted string.

        A scalar needs none of the bookkeeping (it cannot be recursive, and an alias to it reads
        the same value again); PyYAML's path costs more per node than the value itself."""
        if node.__class__ is yaml.ScalarNode:
            if node.tag == PLAIN_TAG:
                return self.construct_plain(node)
            if node.tag == _STR_TAG:
                return node.value
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise _problem(KeyProblem, node, "expected a mapping here")
        out: dict[str, Any] = {}
        explicit: dict[str, yaml.Node] = {}  # the key's node: its line and spelling only for a message
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                for merged in self._merged(value_node):
                    out.update(merged)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _problem(KeyProblem, key_node, "a key must be text, not a list or mapping")
            try:
                raw = (
                    resolve_plain(key_node.value)  # a key may be .nan or .inf: Helm makes text of it
                    if key_node.tag == PLAIN_TAG
                    else self.construct_object(key_node, deep=True)
                )
                key = helm_key(raw)
            except NotJson as e:
                raise _problem(KeyProblem, key_node, str(e)) from None
            if self.strict and key in explicit:
                line, raw = explicit[key].start_mark.line + 1, _shown(explicit[key])
                shown = _shown(key_node)
                same = raw == shown
                raise _problem(
                    KeyProblem,
                    key_node,
                    f"key `{key_node.value}` is repeated (first on line {line}): YAML keeps only the last; "
                    "merge the two"
                    if same
                    else f"keys `{raw}` (line {line}) and `{shown}` are the same key `{key}` to "
                    "Helm, which keeps one of them at random: keep one",
                )
            explicit[key] = key_node
            out[key] = self.construct_object(value_node, deep=deep)
        return out

    def _merged(self, node: yaml.Node) -> list[dict[str, Any]]:
        """`<<: *a` or `<<: [*a, *b]`: mappings to apply in order (earlier ones in a list win)."""
        if isinstance(node, yaml.MappingNode):
            return [self.construct_mapping(node, deep=True)]
        if isinstance(node, yaml.SequenceNode):
            items = []
            for sub in reversed(node.value):
                if not isinstance(sub, yaml.MappingNode):
                    raise _problem(KeyProblem, sub, "a merge key (`<<`) takes mappings only")
                items.append(self.construct_mapping(sub, deep=True))
            return items
        raise _problem(KeyProblem, node, "a merge key (`<<`) takes a mapping or a list of mappings")


class StrictLoader(Loader):
    """Our own files: a repeated key, or two keys Helm reads as one, is an error."""

    strict = True


def _resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for ch in HINT_CHARS:
        table[ch] = [(PLAIN_TAG, _MAP_WORDS if ch in "yYnNtTfFoO~" else _ANY)]
    table[""] = [(PLAIN_TAG, _ANY)]
    table["<"] = [(MERGE_TAG, re.compile(r"^(?:<<)$"))]
    return table


Loader.yaml_implicit_resolvers = _resolvers()
assert None not in Loader.yaml_implicit_resolvers and not Loader.yaml_path_resolvers  # Loader.resolve
Loader.add_constructor(PLAIN_TAG, Loader.construct_plain)
for _tag in ("int", "float", "bool", "null", "timestamp"):
    Loader.add_constructor(_CORE + _tag, Loader.construct_tagged)
Loader.add_constructor(_CORE + "binary", Loader.construct_binary)
Loader.add_constructor(_CORE + "map", Loader.construct_mapping)
for _tag in ("set", "omap", "pairs"):
    Loader.add_constructor(_CORE + _tag, None)  # type: ignore[arg-type]
Loader.yaml_constructors = {k: v for k, v in Loader.yaml_constructors.items() if v is not None}


class Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Block YAML Helm reads back as written: multi-line strings as `|` blocks (reviews read as
    code), and every string Helm would read as a number, boolean or null quoted."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        style = "|"
    elif value[:1] in HINT_CHARS and not helm_reads_as_text(value):
        style = "'"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Dumper.add_representer(str, _str)
