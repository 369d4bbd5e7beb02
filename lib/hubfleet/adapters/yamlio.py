"""YAML in and out: PyYAML's C loader/dumper (10x the pure ones), located errors.

Lines are found lazily (`line_of`) by composing the node tree only when a
problem needs one, so the fast path never pays for marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from hubfleet.core.errors import HubfleetError, KeyPath

try:  # the C bindings ship in PyYAML's wheels; keep a slow fallback for odd builds
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that reads values as Helm does: `2024-01-01` stays a string.

    Helm's YAML (go-yaml into interface{}) never makes timestamps; PyYAML would.
    """


_MERGE_TAG = "tag:yaml.org,2002:merge"


class KeyProblem(yaml.MarkedYAMLError):
    """A mapping key YAML would drop: a duplicate (or one that is not a plain value)."""


def _check_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    """Duplicate keys: YAML keeps the last one silently, dropping a whole block."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise KeyProblem(
                problem="a key must be text, not a list or mapping", problem_mark=key_node.start_mark
            )
        key = loader.construct_object(key_node)
        if key in seen:
            raise KeyProblem(
                problem=f"key `{key_node.value}` is repeated (first on line {seen[key]}): "
                "YAML keeps only the last; merge the two",
                problem_mark=key_node.start_mark,
            )
        seen[key] = line


class _StrictLoader(_Loader):
    """Our own files: every mapping's keys are checked (`_check_keys`)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            _check_keys(self, node)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Multi-line strings (hub.extraConfig) as `|` blocks, so reviews read as code."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise HubfleetError.at(file, "not UTF-8 text: save the file as UTF-8", line=line) from None


def parse(data: bytes | str, file: str, *, allow_empty: bool = False, strict: bool = True) -> dict[str, Any]:
    """Parse a YAML document that must be a mapping.

    `strict` (our files) refuses duplicate keys; a chart's own defaults
    are read as Helm reads them (`strict=False`).
    """
    text = decode(data, file) if isinstance(data, bytes) else data
    try:
        docs = list(yaml.load_all(text, Loader=_StrictLoader if strict else _Loader))
    except KeyProblem as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise HubfleetError.at(file, str(e.problem), line=line) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = (e.problem or "syntax error").strip()
        if "unknown escape" in what:
            what += (
                ' (inside "double quotes" a backslash needs doubling: "\\\\${HOME}"; or use single quotes)'
            )
        elif "did not find expected ','" in what and line and "${" in _line(text, line):
            what += ' (inside [...] or {...} an interpolation needs quotes: ["${hub:domain}"])'
        raise HubfleetError.at(file, f"YAML syntax error: {what}", line=line) from None
    except yaml.YAMLError as e:
        raise HubfleetError.at(file, f"YAML error: {e}") from None
    if len(docs) > 1:
        raise HubfleetError.at(file, "holds several YAML documents (`---`): keep one")
    if "*" in text and docs:
        _check_aliases(docs[0], file)
    value = docs[0] if docs else None
    if value is None:
        if allow_empty:
            return {}
        raise HubfleetError.at(file, "is empty: it must hold a YAML mapping (key: value)")
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("list", "a list").replace("str", "a string")
        raise HubfleetError.at(file, f"holds {kind}, not a mapping (key: value) at the top", line=1)
    return value


MAX_EXPANDED = 1_000_000  # values after aliases expand ("billion laughs" stops here)


_VISITING = -1


def _check_aliases(doc: Any, file: str) -> None:
    """Aliases may share values, not nest a value in itself or explode ("billion laughs")."""
    size = _expanded_size(doc, {})
    if size == _VISITING:
        raise HubfleetError.at(
            file, "a YAML alias (*name) refers to a value that contains it: remove the loop"
        )
    if size > MAX_EXPANDED:
        raise HubfleetError.at(
            file, f"YAML aliases (*name) expand to over {MAX_EXPANDED:,} values: write the values out"
        )


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """How many values `node` becomes once every alias is written out; -1 for a loop."""
    if not isinstance(node, dict | list):
        return 1
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = _VISITING
    total = 1
    for child in node.values() if isinstance(node, dict) else node:
        size = _expanded_size(child, memo)
        if size == _VISITING:
            return _VISITING
        total = min(total + size, MAX_EXPANDED + 1)
    memo[id(node)] = total
    return total


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number - 1] if 0 < number <= len(lines) else ""


def dump(data: Any) -> str:
    """Deterministic block YAML: keys in layer order, wide lines, unicode as is."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=10_000,
    )


def line_of(text: str | bytes, keypath: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node of `keypath` found in `text`, or None."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    line = None
    for part in keypath:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def locate(text: str | bytes, keypath: KeyPath) -> int | None:
    return line_of(text, keypath) if keypath else None
