"""Rendered values against the chart's own values schema, exactly as Helm checks them.

Helm validates the chart's defaults coalesced with the user's values, not the
values alone (several required keys come only from defaults). The schema is
compiled once per chart with fastjsonschema (~0.1 ms a document); only documents
that fail are re-checked with jsonschema, for every error with its path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubfleet.core.errors import KeyPath, did_you_mean
from hubfleet.core.tree import coalesce

if TYPE_CHECKING:  # jsonschema costs ~1 s to import (rfc3987 grammar): only failing documents need it
    import jsonschema


@dataclass(frozen=True)
class SchemaError:
    keypath: KeyPath  # the offending key (for unknown keys: the unknown key itself)
    message: str
    validator: str


class ChartSchema:
    """One chart's values schema, compiled once; `errors(values)` is the whole API."""

    def __init__(
        self,
        schema: Mapping[str, Any] | None,
        defaults: Mapping[str, Any],
        cache_dir: Path | None = None,
        subcharts: Sequence[tuple[str, str | None, ChartSchema]] = (),
        *,
        charts: Sequence[tuple[KeyPath, str, str]] = (),
    ):
        """`subcharts`: (key, condition, schema) of each vendored dependency; `charts`: (values
        prefix, name, version) of the chart itself and of each dependency its Chart.yaml declares."""
        self.schema = dict(schema) if schema is not None else None
        self.subcharts = tuple(subcharts)
        self.charts = tuple(charts)
        self.own_defaults = dict(defaults)  # the chart's own values.yaml, without its subcharts'

        # Helm: a subchart's defaults sit under its key, and the parent's own defaults win.
        nested = {key: sub.defaults for key, _, sub in self.subcharts}
        self.defaults = coalesce(nested, defaults)
        self.digest = _digest(self.schema, self.defaults, [(k, c, s.digest) for k, c, s in self.subcharts])
        self._cache_dir = cache_dir
        self._fast: Callable[[Any], Any] | None = None  # compiled on first use: a warm run needs none
        self._slow: jsonschema.Validator | None = None

    def compile(self) -> Callable[[Any], Any]:
        """The fast validator, compiled once (call before forking workers, so they share it)."""
        if self._fast is None:
            self._fast = _compile(self.schema, self._cache_dir) if self.schema is not None else _accept
        for _, _, sub in self.subcharts:
            sub.compile()
        return self._fast

    def errors(
        self, values: Mapping[str, Any], coalesced: Mapping[str, Any] | None = None
    ) -> list[SchemaError]:
        """What Helm would reject: the chart's schema, then each enabled subchart's on its part.
        `coalesced`: `coalesce(self.defaults, values)` where the caller has it already."""
        doc = coalesce(self.defaults, values) if coalesced is None else coalesced
        found = self._own_errors(doc)
        for key, condition, sub in self.subcharts:
            part = doc.get(key)
            if not isinstance(part, dict) or not _enabled(doc, condition):
                continue
            # Helm hands the parent's `global` to every subchart.
            part = {**part, "global": coalesce(part.get("global") or {}, doc.get("global") or {})}
            found += [SchemaError((key, *e.keypath), e.message, e.validator) for e in sub._own_errors(part)]
        return found

    def _own_errors(self, doc: Mapping[str, Any]) -> list[SchemaError]:
        if self.schema is None:
            return []
        import fastjsonschema  # only a hub being checked needs it: a warm run checks none

        try:
            self.compile()(doc)
            return []
        except fastjsonschema.JsonSchemaException:
            pass
        except TypeError:  # a number/boolean key met a key pattern: Helm sees it as text
            doc = _text_keys(doc)
            try:
                self.compile()(doc)
                return []
            except fastjsonschema.JsonSchemaException:
                pass
        if self._slow is None:
            import jsonschema

            cls = jsonschema.validators.validator_for(self.schema)
            self._slow = cls(self.schema)
        found = [x for e in self._slow.iter_errors(doc) for x in self._explain(e)]
        return sorted(found, key=lambda e: [str(p) for p in e.keypath])

    def _explain(self, e: jsonschema.ValidationError) -> list[SchemaError]:
        path: KeyPath = tuple(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            allowed = set((e.schema or {}).get("properties", {}))
            patterns = [re.compile(p) for p in (e.schema or {}).get("patternProperties", {})]
            return [
                SchemaError((*path, key), f"unknown key for this chart{_hint(key, allowed)}", e.validator)
                for key in e.instance
                if key not in allowed and not any(p.search(str(key)) for p in patterns)
            ]
        return [self._explain_one(e, path)]

    def _explain_one(self, e: jsonschema.ValidationError, path: KeyPath) -> SchemaError:
        if e.validator == "type":
            want = e.validator_value
            want = " or ".join(want) if isinstance(want, list) else want
            got = type(e.instance).__name__.replace("dict", "mapping").replace("NoneType", "null")
            shown = "" if e.instance is None else f" {_short(e.instance)}"  # not `got null null`
            return SchemaError(path, f"must be {want} (got {got}{shown})", "type")
        if e.validator == "enum":
            return SchemaError(path, f"must be one of {e.validator_value} (got {_short(e.instance)})", "enum")
        if e.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", e.message)
            key = missing[0] if missing else "?"
            return SchemaError(
                (*path, key), "required by the chart but missing (null deleted it?)", "required"
            )
        return SchemaError(path, e.message.split("\n")[0][:200], str(e.validator))


def _accept(_doc: Any) -> None:
    """The validator of a chart that ships no schema."""


def _enabled(doc: Mapping[str, Any], condition: str | None) -> bool:
    """A dependency's `condition` (first path that is set decides, as in Helm); default on."""
    for path in (condition or "").split(","):
        node: Any = doc
        for part in path.strip().split(".") if path.strip() else ():
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, bool):
            return node
    return True


def _text_keys(node: Any) -> Any:
    """`{1: x, true: y}` as Helm's JSON has it: `{"1": x, "true": y}`."""
    if isinstance(node, dict):
        return {_as_text(k): _text_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_text_keys(v) for v in node]
    return node


def _as_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _hint(key: Any, allowed: set[str]) -> str:
    hint = did_you_mean(str(key), allowed)
    if hint or not allowed:
        return hint
    more = ", ..." if len(allowed) > 12 else ""
    return f"; allowed here: {', '.join(sorted(allowed)[:12])}{more}"


def _digest(*docs: Any) -> str:
    return hashlib.sha256(json.dumps(docs, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _compile(schema: Mapping[str, Any], cache_dir: Path | None) -> Callable[[Any], Any]:
    """fastjsonschema's generated code, cached on disk by schema digest. Schema defaults are not
    filled in: Helm does not, and the document checked shares its subtrees with parsed layers."""
    digest = _digest(schema)
    code = None
    cached = cache_dir / f"schema-{digest}-p.py" if cache_dir else None
    if cached and cached.is_file():
        code = cached.read_text()
    if code is None:
        code = _generate(dict(schema))
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(code)
            tmp.replace(cached)
    scope: dict[str, Any] = {}
    exec(compile(code, str(cached or "<schema>"), "exec"), scope)
    return scope["validate"]


def _generate(schema: dict[str, Any]) -> str:
    """Pass/fail code: every `raise` without its message, name and sub-schema literal.

    Only whether a document passes is used here (a failing one is explained by jsonschema), and
    z2jh's messages and literals are over half of its 760 kB of generated code and of the time to
    generate and compile it (0.07 s instead of 0.25 s). The generator classes are fastjsonschema's
    own; where their layout differs (another version), its public `compile_to_code` is used."""
    import fastjsonschema

    try:
        from fastjsonschema import _get_code_generator_class
        from fastjsonschema.ref_resolver import RefResolver

        cls = type("PassFail", (_get_code_generator_class(schema),), {"exc": _pass_fail})
        gen = cls(schema, resolver=RefResolver.from_schema(schema, handlers={}, store={}), use_default=False)
        return f'VERSION = "{fastjsonschema.VERSION}"\n{gen.global_state_code}\n{gen.func_code}'
    except (ImportError, AttributeError, TypeError):
        return fastjsonschema.compile_to_code(schema, use_default=False)


def _pass_fail(self: Any, msg: str, *args: Any, append_to_msg: Any = None, rule: Any = None) -> None:
    self.l(
        'raise JsonSchemaValueException("")'
        if self._fast_fail
        else 'errors.append(JsonSchemaValueException(""))'
    )


__all__ = ["ChartSchema", "SchemaError", "coalesce"]
