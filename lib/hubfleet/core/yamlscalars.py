"""How Helm reads a YAML scalar and a mapping key (pure): the rules hubfleet reads values by.

Helm reads values files with sigs.k8s.io/yaml: go-yaml v2 decodes the document into
`interface{}`, then every key becomes a JSON string and the tree goes through JSON. So:

- plain (unquoted) scalars resolve as go-yaml v2's `resolve()` does: booleans in the YAML 1.1
  spellings including `y`/`n`, `~`/`null`, ints by Go's `strconv.ParseInt(s, 0, 64)` after
  removing every `_` (so `0x1F`, `0o17`, `017`, `0b101` are ints), then uint64, then floats
  matching `[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?` (so `1e3` is a number and
  `08` is 8.0), and nothing else: `2222:22` (a YAML 1.1 sexagesimal) and dates stay strings;
- `.nan` and `.inf` decode, but JSON cannot hold them: Helm refuses the file;
- keys become strings: ints in decimal, floats as Go's `%g` of a float32, booleans as
  `true`/`false`; a null key or one beyond int64 makes Helm refuse the file. Two keys that become
  the same string (`1` and `'1'`, `on` and `true`) are kept one at random by Helm.

`tests/adapters/test_yaml_helm_differential.py` checks all of this against real `helm template`.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "HINT_CHARS",
    "NotJson",
    "helm_key",
    "helm_reads_as_text",
    "resolve_plain",
    "resolve_tagged",
]

INT64 = (-(2**63), 2**63 - 1)
UINT64_MAX = 2**64 - 1

# go-yaml v2's resolveTable: only plain scalars starting with one of these may be non-strings.
HINT_CHARS = "+-0123456789yYnNtTfFoO~."

_MAP: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}

_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")  # what Go's ParseFloat takes after a '.'
_DEC = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_OCT = re.compile(r"[0-7]+")
_BIN = re.compile(r"[01]+")
_DATE = re.compile(r"[0-9]{4}-")
_PREFIXED = {"0x": (16, _HEX), "0o": (8, _OCT), "0b": (2, _BIN)}


class NotJson(ValueError):
    """A value or key Helm's YAML-to-JSON step refuses (NaN, infinity, a null key, ...)."""


def _go_parse_int(text: str) -> int | None:
    """Go's `strconv.ParseInt(text, 0, 64)`, unbounded (the caller checks the range)."""
    sign = 1
    body = text
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        return None
    low = body[:2].lower()
    if low in _PREFIXED:
        digits, (base, rx) = body[2:], _PREFIXED[low]
    elif body[0] == "0" and len(body) > 1:
        digits, base, rx = body[1:], 8, _OCT
    else:
        digits, base, rx = body, 10, _DEC
    if not rx.fullmatch(digits):
        return None
    return sign * int(digits, base)


def _go_float(text: str) -> float | None:
    """Go's `strconv.ParseFloat(text, 64)` on text already known to be decimal: None on overflow."""
    value = float(text)
    return None if math.isinf(value) else value


def resolve_plain(text: str) -> Any:
    """The value go-yaml v2 gives the plain scalar `text` (NaN/inf included: see `NotJson`)."""
    if text in _MAP:
        return _MAP[text]
    hint = text[:1]
    if not hint or hint not in HINT_CHARS or hint in "yYnNtTfFoO~":
        return text
    if hint == ".":
        value = _go_float(text) if _DOT_FLOAT.fullmatch(text) else None
        return text if value is None else value
    if _DATE.match(text):  # a timestamp, which go-yaml v2 hands back as its text
        return text
    plain = text.replace("_", "")
    if not plain:
        return text
    number = _go_parse_int(plain)
    if number is not None:
        if INT64[0] <= number <= INT64[1]:
            return number
        if plain[0] != "-" and plain[0] != "+" and number <= UINT64_MAX:
            return number  # ParseUint
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        value = _go_float(plain)
        if value is not None:
            return value
    return text


def resolve_tagged(tag: str, text: str) -> Any:
    """An explicitly tagged scalar (`!!int 5`) as go-yaml v2 reads it; ValueError if it cannot."""
    if tag in ("str", "timestamp"):  # go-yaml v2 hands a timestamp back as its text
        return text
    value = resolve_plain(text)
    kinds = {"bool": bool, "null": type(None), "int": int, "float": float}
    want = kinds.get(tag)
    if want is None:
        raise ValueError(f"explicit tag `!!{tag}` is not read the same by Helm: remove it")
    if tag == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not want:
        raise ValueError(f"`!!{tag} {text}` is not a {tag} as Helm reads it")
    return value


def check_json(value: Any) -> Any:
    """`value` if JSON can hold it, else `NotJson` (Helm refuses NaN and infinities)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise NotJson(
            "`.nan`/`.inf` is not a number Helm accepts (its YAML goes through JSON): quote it "
            "if you mean the text"
        )
    return value


def _float32_g(value: float) -> str:
    """Go's `strconv.FormatFloat(v, 'g', -1, 32)`: the shortest digits that round-trip as a
    float32, in %e form when the exponent is below -4 or at least 6 (Go's rule for shortest)."""
    import struct

    def f32(x: float) -> float:
        return struct.unpack("f", struct.pack("f", x))[0]

    target = f32(value)
    for digits in range(1, 10):
        text = f"{target:.{digits - 1}e}"
        if f32(float(text)) == target:
            break
    mantissa, _, exp_text = text.partition("e")
    sign = "-" if mantissa.startswith("-") else ""
    figures = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exp = int(exp_text)
    if exp < -4 or exp >= 6:
        body = figures[0] + ("." + figures[1:] if len(figures) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{figures}"
    whole = figures[: exp + 1].ljust(exp + 1, "0")
    rest = figures[exp + 1 :]
    return f"{sign}{whole}" + (f".{rest}" if rest else "")


def helm_key(key: Any) -> str:
    """The JSON key Helm makes of a YAML mapping key; `NotJson` for keys it refuses."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        if INT64[0] <= key <= INT64[1]:
            return str(key)
        raise NotJson(f"key `{key}` is beyond 64-bit integers: Helm refuses it; quote it")
    if isinstance(key, float):
        if math.isnan(key):
            return ".nan"
        if math.isinf(key):
            return ".inf" if key > 0 else "-.inf"
        return _float32_g(key)
    if key is None:
        raise NotJson("a null key (`~:` or `null:`) is refused by Helm: quote it or remove it")
    raise NotJson(f"a key must be text, not {type(key).__name__}")


def helm_reads_as_text(text: str) -> bool:
    """True when Helm reads `text`, written plain (unquoted), as this same string."""
    return resolve_plain(text) == text and type(resolve_plain(text)) is str
