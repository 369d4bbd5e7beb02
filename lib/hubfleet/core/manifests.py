"""Manifests and values compared the way an operator reads them: pure, over text and plain data.

Used by `invoke diff` (what is deployed vs what the repository renders) and by the plan comment
(a chart bump's manifests, base vs head). Both sides go through one normalisation so only real
differences show:

- documents are keyed by `kind/namespace/name` and printed as sorted YAML, so template order,
  `# Source:` comments and key order never count;
- Helm hooks (`helm.sh/hook` annotations: tests, pre-install jobs) are dropped: `helm get
  manifest` never holds them, `helm template` does;
- a Secret's `data`/`stringData` values are redacted (its keys still compare), and
  `checksum/*` annotations (digests of config and secrets, which charts such as jupyterhub make
  from values generated at template time) read `<checksum>`: no secret ever appears in a diff,
  and a randomly generated token is not drift.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "DefaultChange",
    "default_changes",
    "diff_text",
    "live_diff_text",
    "mask_paths",
    "normalise",
    "parse_manifests",
    "unified",
]

REDACTED = "<redacted>"
CHECKSUM = "<checksum>"


def parse_manifests(text: str) -> list[dict[str, Any]]:
    """The mapping documents of a multi-document YAML stream (empty ones skipped)."""
    try:
        docs = list(yaml.safe_load_all(text or ""))
    except yaml.YAMLError as e:
        raise ValueError(f"manifests are not YAML: {str(e).splitlines()[0]}") from None
    return [d for d in docs if isinstance(d, dict)]


def _key(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata") or {}
    ns = meta.get("namespace") or ""
    return f"{doc.get('kind', '?')}/{ns + '/' if ns else ''}{meta.get('name', '?')}"


def _is_hook(doc: Mapping[str, Any]) -> bool:
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    return "helm.sh/hook" in annotations


def _scrub(doc: dict[str, Any]) -> dict[str, Any]:
    doc = _copy(doc)
    if doc.get("kind") == "Secret":
        for field in ("data", "stringData"):
            if isinstance(doc.get(field), dict):
                doc[field] = {k: REDACTED for k in doc[field]}
    _scrub_checksums(doc)
    return doc


def _scrub_checksums(node: Any) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "annotations" and isinstance(v, dict):
                for a in v:
                    if isinstance(a, str) and a.startswith("checksum/"):
                        v[a] = CHECKSUM
            else:
                _scrub_checksums(v)
    elif isinstance(node, list):
        for item in node:
            _scrub_checksums(item)


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def same_objects(deployed: str, rendered: str) -> bool:
    """Pure: `helm get manifest` and `helm template` make the same objects (hooks aside: Helm keeps
    them apart from a release's manifest). What tells a folder chart's edit that kept its version."""

    def objects(text: str) -> dict[str, str]:
        docs = [d for d in parse_manifests(text) if not _is_hook(d)]
        return {_key(d): json.dumps(d, sort_keys=True, default=str) for d in docs}

    try:
        return objects(deployed) == objects(rendered)
    except ValueError:  # not YAML: cannot tell, so not the same
        return False


def normalise(text: str) -> dict[str, str]:
    """`kind/namespace/name` -> that object as sorted YAML, hooks dropped, secrets redacted."""
    out: dict[str, str] = {}
    for doc in parse_manifests(text):
        if _is_hook(doc):
            continue
        out[_key(doc)] = yaml.safe_dump(_scrub(doc), sort_keys=True, default_flow_style=False)
    return dict(sorted(out.items()))


def unified(before: str, after: str, a_name: str, b_name: str, context: int = 3) -> str:
    """A unified diff of two texts ('' when equal)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), a_name, b_name, n=context
    )
    text = "".join(lines)
    return text if text.endswith("\n") or not text else text + "\n"


def diff_text(
    before: str, after: str, a_label: str, b_label: str, mask: Callable[[str], str] | None = None
) -> str:
    """The normalised manifests' diff, object by object ('' when they agree).

    `mask` is applied to each whole object before the diff cuts it into hunks, so a secret that
    YAML folded over several lines is masked whole, never shown in part as a hunk's context."""
    a, b = normalise(before), normalise(after)
    parts = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            old, new = (mask(t) if mask else t for t in (a.get(key, ""), b.get(key, "")))
            if old == new:  # the objects differ only inside a masked value
                parts.append(f"{a_label}/{key}: differs from {b_label} in a secret value (not shown)\n")
                continue
            parts.append(unified(old, new, f"{a_label}/{key}", f"{b_label}/{key}"))
    return "".join(parts)


_LIVE_HEADER = re.compile(r"^(diff -u -N |--- |\+\+\+ )(/\S*/(LIVE|MERGED)-[^/\s]*/)(\S+)")


def live_diff_text(kubectl_diff: str, a_label: str = "live", b_label: str = "release") -> str:
    """`kubectl diff` output with its temporary file names (`/tmp/LIVE-123/apps.v1.Deployment.ns.x`,
    and the files' timestamps) read as `live/...` and `release/...`: stable, and saying which is which."""
    out = []
    for line in kubectl_diff.splitlines(keepends=True):
        m = _LIVE_HEADER.match(line)
        if m is None:
            out.append(line)
        elif m.group(1) != "diff -u -N ":  # the `diff` command line itself says nothing more
            label = a_label if m.group(3) == "LIVE" else b_label
            out.append(f"{m.group(1)}{label}/{m.group(4)}\n")
    return "".join(out)


def mask_paths(values: Any, secret: Any) -> Any:
    """`values` with every leaf that `secret` (a values tree) also holds replaced by `<redacted>`."""
    if isinstance(secret, Mapping) and isinstance(values, Mapping):
        return {k: (mask_paths(v, secret[k]) if k in secret else v) for k, v in values.items()}
    return REDACTED


@dataclass(frozen=True)
class DefaultChange:
    path: str
    before: Any
    after: Any

    def line(self) -> str:
        return f"{self.path}: {_show(self.before)} -> {_show(self.after)}"


_ABSENT = object()


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    text = text.removesuffix("...").strip()
    return text if len(text) <= 80 else text[:77] + "..."


def _leaves(tree: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(tree, Mapping) and tree:
        out: dict[tuple[str, ...], Any] = {}
        for k, v in tree.items():
            out.update(_leaves(v, (*prefix, str(k))))
        return out
    return {prefix: tree}


def _kind(value: Any) -> str:
    if value is _ABSENT:
        return "absent"
    return "empty" if value == {} else "value"


def _sets(values: Any, path: Sequence[str]) -> bool:
    """Whether `values` decides `path`: it holds the path, or a non-mapping at a prefix of it."""
    node = values
    for part in path:
        if not isinstance(node, Mapping):
            return True
        if part not in node:
            return False
        node = node[part]
    return True


def default_changes(before: Any, after: Any, fleet_values: Any) -> list[DefaultChange]:
    """Chart defaults that changed between two chart versions, for keys `fleet_values` leaves alone."""
    a, b = _leaves(before or {}), _leaves(after or {})
    out = []
    for path in sorted(set(a) | set(b)):
        old, new = a.get(path, _ABSENT), b.get(path, _ABSENT)
        if old == new or not path or _sets(fleet_values or {}, path):
            continue
        if {_kind(old), _kind(new)} == {"empty", "absent"}:
            continue  # `x: {}` appearing or going: its keys, if any, are listed themselves
        out.append(DefaultChange(".".join(path), old, new))
    return out
