"""`yamlio.dump`'s text, fast, to compare many rendered files with what render would write.

PyYAML's dumper costs ~2 ms per hub (its Python representer walk); validate compares 2000 hubs'
rendered files (trees with no container twice, as render writes them). This writes the same
block layout itself, each distinct `key: value` line at each indentation once (by `yamlio.dump`
for its scalars) and reused across hubs. Whatever it does not know how to write exactly (a key PyYAML
writes as `? key`, a multi-line quoted scalar, a type other than YAML's) makes `dump` answer
None: the caller then uses `yamlio.dump`. A caller that finds a difference confirms it with
`yamlio.dump` too, so a gap here costs time, never a wrong verdict.
"""

from __future__ import annotations

from typing import Any

from hubfleet.adapters import yamlio

__all__ = ["Writer"]

_SCALARS = (str, int, float, bool, type(None))
_CONTAINERS = (dict, list)


_OPEN = object()  # a key whose value follows on the next lines


class _Unsupported(Exception):
    """A shape this writer does not reproduce exactly."""


class Writer:
    """One per run: its memos serve every hub (2000 hubs share most of their lines)."""

    def __init__(self) -> None:
        self._values: dict[tuple[type, Any], tuple[str, list[str] | None]] = {}
        self._keys: dict[tuple[type, Any], str] = {}
        self._lines: dict[tuple[Any, ...], str] = {}  # (key's type, key, value's type, value, indent)

    def dump(self, data: dict[str, Any]) -> str | None:
        """`yamlio.dump(data)` for a non-empty mapping, or None where this writer cannot say."""
        try:
            return self._mapping(data, 0)
        except (_Unsupported, RecursionError):
            return None

    def _mapping(self, node: dict[Any, Any], indent: int) -> str:
        lines = self._lines
        parts = []
        for k, v in node.items():
            if isinstance(v, _CONTAINERS):
                head = self._line(k, _OPEN, indent)
                if not v:
                    parts.append(head[:-1] + (" {}\n" if isinstance(v, dict) else " []\n"))
                elif isinstance(v, dict):
                    parts += (head, self._mapping(v, indent + 2))
                else:
                    parts += (head, self._sequence(v, indent))
            else:
                line = lines.get((type(k), k, type(v), v if type(v) is not float else repr(v), indent))
                parts.append(line if line is not None else self._line(k, v, indent))
        return "".join(parts)

    def _sequence(self, node: list[Any], indent: int) -> str:
        pad = " " * indent
        inner = indent + 2
        parts = []
        for v in node:
            if isinstance(v, dict):
                parts.append(pad + "- " + self._mapping(v, inner)[inner:] if v else pad + "- {}\n")
            elif isinstance(v, list):
                parts.append(pad + "- " + self._sequence(v, inner)[inner:] if v else pad + "- []\n")
            else:
                parts.append(self._scalar_line(pad + "-", v, inner))
        return "".join(parts)

    def _line(self, key: Any, value: Any, indent: int) -> str:
        """`key: value` at `indent` (`key:` alone for `_OPEN`), memoised."""
        # Types apart (True == 1), and a float by its text (0.0 == -0.0).
        memo_key = (type(key), key, type(value), value if type(value) is not float else repr(value), indent)
        line = self._lines.get(memo_key)
        if line is None:
            head = " " * indent + self._key(key) + ":"
            line = head + "\n" if value is _OPEN else self._scalar_line(head, value, indent + 2)
            self._lines[memo_key] = line
        return line

    def _scalar_line(self, head: str, value: Any, indent: int) -> str:
        if not isinstance(value, _SCALARS):
            raise _Unsupported
        memo_key = (type(value), value if type(value) is not float else repr(value))
        hit = self._values.get(memo_key)
        if hit is None:
            hit = self._values[memo_key] = _value_text(value)
        first, body = hit
        if body is None:
            return f"{head} {first}\n"
        pad = " " * indent
        return f"{head} {first}\n" + "".join(pad + line + "\n" if line else "\n" for line in body)

    def _key(self, key: Any) -> str:
        if not isinstance(key, _SCALARS):
            raise _Unsupported
        memo_key = (type(key), key if type(key) is not float else repr(key))
        hit = self._keys.get(memo_key)
        if hit is None:
            text = yamlio.dump({key: 0})
            if not text.endswith(": 0\n") or text.startswith("?") or text.count("\n") != 1:
                raise _Unsupported
            hit = self._keys[memo_key] = text[: -len(": 0\n")]
        return hit


def _value_text(value: Any) -> tuple[str, list[str] | None]:
    """How PyYAML writes `value` after `k:`: one line, or a block header and its lines
    (unindented; empty lines stay empty)."""
    text = yamlio.dump({"k": value})
    if not text.startswith("k: "):
        raise _Unsupported
    first, _, rest = text[3:].partition("\n")
    if not rest:
        return first, None
    if first[:1] != "|":
        raise _Unsupported  # a quoted scalar folded over lines
    lines = rest.split("\n")
    if lines[-1] != "" or any(line and not line.startswith("  ") for line in lines[:-1]):
        raise _Unsupported
    return first, [line[2:] for line in lines[:-1]]
