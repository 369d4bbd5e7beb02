"""Pure: a tool's JSON output read without trusting it, and named by its shape in errors.

Errors never quote the text itself (`helm get values --all` holds decrypted secrets); they say
what was expected and what kind of JSON value came instead.
"""

from __future__ import annotations

import json

__all__ = ["json_doc", "json_kind"]


def json_doc(text: str, expected: str) -> object:
    """Pure: `text` as JSON, or ValueError naming what was `expected` (never the text: it may hold values)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # a JSONDecodeError, or an integer of 4300+ digits
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise ValueError(f"{expected} (got text that is not JSON{where})") from None


def json_kind(value: object) -> str:
    """Pure: a JSON value named by its type (a number by its value): `an object`, `1e400` as `inf`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value) if len(repr(value)) <= 24 else "a long number"
    kinds = {str: "a string", list: "a list", dict: "an object"}
    return next((k for t, k in kinds.items() if isinstance(value, t)), type(value).__name__)
