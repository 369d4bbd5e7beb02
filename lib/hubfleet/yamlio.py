"""YAML in and out: PyYAML's C loader/dumper (10x the pure ones), located errors.

Lines are found lazily (`line_of`) by composing the node tree only when a
problem needs one, so the fast path never pays for marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from .errors import HubfleetError, KeyPath

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


def parse(data: bytes | str, file: str, *, allow_empty: bool = False) -> dict[str, Any]:
    """Parse a YAML document that must be a mapping."""
    text = decode(data, file) if isinstance(data, bytes) else data
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = (e.problem or "syntax error").strip()
        if "unknown escape" in what:
            what += (
                ' (inside "double quotes" a backslash needs doubling: "\\\\${HOME}"; or use single quotes)'
            )
        raise HubfleetError.at(file, f"YAML syntax error: {what}", line=line) from None
    except yaml.YAMLError as e:
        raise HubfleetError.at(file, f"YAML error: {e}") from None
    if len(docs) > 1:
        raise HubfleetError.at(file, "holds several YAML documents (`---`): keep one")
    value = docs[0] if docs else None
    if value is None:
        if allow_empty:
            return {}
        raise HubfleetError.at(file, "is empty: it must hold a YAML mapping (key: value)")
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("list", "a list").replace("str", "a string")
        raise HubfleetError.at(file, f"holds {kind}, not a mapping (key: value) at the top", line=1)
    return value


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
