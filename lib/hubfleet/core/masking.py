"""Pure: every form a secret value can take in a tool's output or ours, replaced by `*****`.

A value reaches text re-encoded: as is; JSON-escaped (`\\"`, `\\u00e4`, and Go's `\\u003c` for
`<>&`); YAML-quoted (single quotes doubled, `'it''s: x'`; double-quoted with escapes,
`"p\\xE4ssw\\xF6rd"`); base64 at any of its three alignments inside longer encoded data (a
Secret's `data`). Emitters also wrap long strings: YAML folds at a space (the space becomes a
line break and indentation) or, double-quoted, ends a line with `\\` and may start the next with
`\\ `; base64 is wrapped every 64 or 76 characters; and a unified diff prefixes each line with
`+`, `-` or a space. So each form is matched as a pattern that allows such a break between any
two of its characters.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable

__all__ = ["MASK", "MIN_LENGTH", "mask", "secret_forms"]

MASK = "*****"
MIN_LENGTH = 4  # shorter values are everywhere ("true", "80"): masking them would hide everything

# A line break an emitter or a diff may put inside a value: optional `\` (YAML double-quoted),
# the newline, an optional diff marker, the indentation, and an optional `\` before a space.
_BREAK = r"(?:\\?\r?\n[-+ ]?[ \t]*\\?)?"
_SPACE = r"(?: |\\?\r?\n[-+ ]?[ \t]*\\? ?)"  # YAML may fold a space into the break itself
_HEX_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")


def _yaml_double(secret: str) -> str:
    """The inside of a YAML double-quoted scalar (PyYAML's and libyaml's escapes, ASCII only)."""
    special = {"\0": "0", "\x07": "a", "\b": "b", "\t": "t", "\n": "n", "\x0b": "v", "\f": "f"}
    special |= {"\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_"}
    special |= {"\u2028": "L", "\u2029": "P"}
    out = []
    for ch in secret:
        if ch in special:
            out.append("\\" + special[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        elif ch <= "\xff":
            out.append(f"\\x{ord(ch):02X}")
        elif ch <= "\uffff":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(f"\\U{ord(ch):08X}")
    return "".join(out)


def _hex_cases(form: str) -> set[str]:
    """`\\xE4` as emitters differ: upper or lower case digits, and `\\u00e4` for a `\\x` escape."""
    lower = _HEX_ESCAPE.sub(lambda m: "\\" + m[1][0] + m[1][1:].lower(), form)
    upper = _HEX_ESCAPE.sub(lambda m: "\\" + m[1][0] + m[1][1:].upper(), form)
    out = {form, lower, upper}
    for text in (lower, upper):
        out.add(re.sub(r"\\x([0-9A-Fa-f]{2})", r"\\u00\1", text))
    return out


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters made of the secret's bits only, at each of the three alignments."""
    out = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        core = encoded[-(-8 * shift // 6) : 8 * (shift + len(raw)) // 6]
        out |= {core, core.replace("+", "-").replace("/", "_")}  # standard and URL-safe
    return {c for c in out if len(c) >= 6}


def secret_forms(secret: str) -> list[str]:
    """The texts `secret` may be printed as (before any line wrapping), longest first."""
    as_json = json.dumps(secret)[1:-1]
    forms = {secret, as_json, json.dumps(secret, ensure_ascii=False)[1:-1], secret.replace("'", "''")}
    forms.add(as_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # Go
    forms |= _hex_cases(_yaml_double(secret)) | _hex_cases(as_json)
    forms |= _base64_cores(secret.encode())
    return sorted((f for f in forms if len(f) >= MIN_LENGTH), key=len, reverse=True)


def _pattern(form: str) -> str:
    """`form` with a possible line break between any two characters (and in place of a space)."""
    parts = [_SPACE if ch == " " else re.escape(ch) for ch in form]
    return parts[0] + "".join(p if p == _SPACE else _BREAK + p for p in parts[1:])


@functools.lru_cache(maxsize=1024)
def _compiled(secret: str) -> re.Pattern[str]:
    return re.compile("|".join(_pattern(f) for f in secret_forms(secret)))


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every form (`secret_forms`, wrapped or not) of every secret of `MIN_LENGTH`
    characters or more replaced by `*****` (longest secrets first: one may hold another)."""
    wanted = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_LENGTH}
    for secret in sorted(wanted, key=len, reverse=True):
        if not text:
            break
        text = _compiled(secret).sub(MASK, text)
    return text
