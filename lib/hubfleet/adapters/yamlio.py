"""YAML in and out: PyYAML's C parser read and written as Helm reads (`helmyaml`), located errors.

Values are read exactly as Helm reads them (`2222:22` stays text, `1e3` is a number, `.nan` is
refused, `1` and `'1'` are one key); what `dump` writes Helm reads back unchanged. Limits are
one clear line each: nesting depth (`MAX_DEPTH`), aliases that expand past `MAX_EXPANDED`.

Lines are found lazily (`line_of`) by composing the node tree only when a
problem needs one, so the fast path never pays for marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from hubfleet.adapters.helmyaml import Dumper as _Dumper
from hubfleet.adapters.helmyaml import KeyProblem, ValueProblem
from hubfleet.adapters.helmyaml import Loader as _Loader
from hubfleet.adapters.helmyaml import StrictLoader as _StrictLoader
from hubfleet.core.errors import HubfleetError, KeyPath
from hubfleet.core.yamlscalars import NotJson, helm_key, resolve_plain

MAX_DEPTH = 64  # nested mappings/lists: real values stay under 20; Python's stack ends near 300


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
    except (KeyProblem, ValueProblem) as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        where = keypath_at(text, e.problem_mark.index) if e.problem_mark else ()
        raise HubfleetError.at(file, str(e.problem), where, line=line) from None
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        what = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        raise HubfleetError.at(
            file, f"character {what} (a control character) is not allowed in YAML: remove it", line=line
        ) from None
    except RecursionError:
        raise HubfleetError.at(file, f"nested deeper than {MAX_DEPTH} levels: flatten it") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = (e.problem or "syntax error").strip()
        if "nesting depth" in what:  # libyaml's own limit (1000)
            raise HubfleetError.at(
                file, f"nested deeper than {MAX_DEPTH} levels: flatten it", line=line
            ) from None
        if "recursive node" in what:
            raise HubfleetError.at(
                file, "a YAML alias (*name) refers to a value that contains it: remove the loop", line=line
            ) from None
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
    if docs and _may_be_deep(text):
        _check_depth(docs[0], file)
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


def _may_be_deep(text: str) -> bool:
    """Cheap: can `text` nest past MAX_DEPTH at all? (flow brackets, or that much indentation)"""
    return text.count("[") + text.count("{") >= MAX_DEPTH or " " * MAX_DEPTH in text


def _check_depth(doc: Any, file: str) -> None:
    """Deeper than MAX_DEPTH is refused before any work recurses over it (merge, resolve, dump)."""
    todo = [(doc, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise HubfleetError.at(file, f"nested deeper than {MAX_DEPTH} levels: flatten it")
        if isinstance(node, dict):
            todo.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node if isinstance(v, dict | list))


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
                if _key_text(key) == str(part):
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


def _key_text(node: yaml.Node) -> str:
    """A key as Helm names it (`y:` is "true", `1.0:` is "1"): how key paths are written."""
    if not isinstance(node, yaml.ScalarNode) or node.style:
        return str(node.value)
    try:
        return helm_key(resolve_plain(node.value))
    except NotJson:
        return str(node.value)


def keypath_at(text: str, index: int) -> KeyPath:
    """The key path of the node (value or key) that starts at character `index` of `text`, so a
    problem found while loading names its key as well as its line; () if none does."""
    try:
        docs = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError:
        return ()
    todo: list[tuple[yaml.Node, KeyPath]] = [(doc, ()) for doc in reversed(docs) if doc is not None]
    seen: set[int] = set()  # an alias shares its anchor's node: walk it once
    best: KeyPath = ()
    while todo:
        node, path = todo.pop()
        if node.start_mark.index == index and len(path) > len(best):
            best = path  # a block mapping starts where its first key does: the key is deeper
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                where = (*path, _key_text(key)) if key.tag != "tag:yaml.org,2002:merge" else path
                todo.extend([(value, where), (key, where)])
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, (*path, i)) for i, item in reversed(list(enumerate(node.value))))
    return best


def locate(text: str | bytes, keypath: KeyPath) -> int | None:
    return line_of(text, keypath) if keypath else None
