"""`validate --server`, the pure part: which objects each release makes, which two releases claim
the same object, and the API server's rejections as one line each.

An object is owned by one release (a hub, or a support release `cluster/name`) on one cluster.
Two owners on one cluster claiming the same group/kind/namespace/name would fight over it (the
second `helm upgrade` fails, or worse, adopts it); a cluster-scoped object is claimed across
namespaces, so two hubs naming one ClusterRole the same way conflict although their namespaces
differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ObjectRef",
    "Owned",
    "causes",
    "collect",
    "conflicts",
    "crd_groups",
    "crds",
    "namespaces_needed",
]

CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")


@dataclass(frozen=True)
class ObjectRef:
    group: str
    version: str
    kind: str
    namespace: str  # "" for a cluster-scoped object (or one whose scope is not known yet)
    name: str

    @property
    def shown(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Owned:
    """One manifest of one release, as it would be submitted."""

    owner: str  # the hub's name, or `cluster/release` for a support release
    file: str  # the rendered values file it came from (the line's location)
    cluster: str
    release_namespace: str  # where Helm puts a namespaced object that names none
    doc: Mapping[str, Any]

    @property
    def ref(self) -> ObjectRef:
        api = str(self.doc.get("apiVersion", ""))
        group, _, version = api.rpartition("/")
        meta = self.doc.get("metadata") or {}
        return ObjectRef(
            group,
            version,
            str(self.doc.get("kind", "")),
            str(meta.get("namespace") or ""),
            str(meta.get("name", "")),
        )

    def placed(self, namespaced: bool) -> ObjectRef:
        """Its reference on the cluster: a namespaced object without one lands in the release's."""
        ref = self.ref
        ns = (ref.namespace or self.release_namespace) if namespaced else ""
        return ObjectRef(ref.group, ref.version, ref.kind, ns, ref.name)


def collect(owner: str, file: str, cluster: str, namespace: str, docs: Iterable[Any]) -> list[Owned]:
    """Every object of a release's manifests (a `List`'s items each), skipping empty documents."""
    out: list[Owned] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            out += collect(owner, file, cluster, namespace, doc["items"])
        else:
            out.append(Owned(owner, file, cluster, namespace, doc))
    return out


def crd_groups(objects: Sequence[Owned]) -> list[list[Owned]]:
    """The objects split by the exact set of CRDs their cluster's releases define, in order: one
    test API server per part, so a custom resource is judged by its own cluster's CRDs (a cluster
    on another cert-manager, or none) and never by another cluster's. A fleet whose clusters run
    the same support charts is one part."""
    defined: dict[str, set[tuple[str, str]]] = {}
    for o in objects:
        found = defined.setdefault(o.cluster, set())
        if (o.ref.group, o.ref.kind) == CRD:
            found.add((o.ref.name, json.dumps(o.doc, sort_keys=True, default=str)))
    parts: dict[frozenset[tuple[str, str]], list[Owned]] = {}
    for o in objects:
        parts.setdefault(frozenset(defined[o.cluster]), []).append(o)
    return list(parts.values())


def crds(objects: Iterable[Owned]) -> list[Owned]:
    """The CustomResourceDefinitions among them, one per name (the first release's wins)."""
    seen: dict[str, Owned] = {}
    for o in objects:
        if (o.ref.group, o.ref.kind) == CRD:
            seen.setdefault(o.ref.name, o)
    return list(seen.values())


def namespaces_needed(objects: Iterable[Owned], namespaced: Callable[[ObjectRef], bool | None]) -> list[str]:
    """The namespaces the objects land in (each must exist before a namespaced object's dry run)."""
    out = {o.release_namespace for o in objects}
    out |= {o.placed(True).namespace for o in objects if namespaced(o.ref)}
    return sorted(n for n in out if n)


def conflicts(
    objects: Sequence[Owned], namespaced: Callable[[ObjectRef], bool | None]
) -> list[tuple[Owned, str]]:
    """Each object another release on its cluster already claims: (the later object, what says so;
    the line names the object).
    `namespaced(ref)`: its scope from API discovery (None: unknown kind, taken as namespaced)."""
    first: dict[tuple[str, str, str, str, str], Owned] = {}
    out: list[tuple[Owned, str]] = []
    for o in objects:
        scoped = namespaced(o.ref)
        ref = o.placed(scoped is not False)
        key = (o.cluster, ref.group, ref.kind, ref.namespace, ref.name)
        other = first.setdefault(key, o)
        if other is o or other.owner == o.owner:
            continue
        where = f"in namespace {ref.namespace}" if ref.namespace else "cluster-scoped"
        out.append((o, f"{where}, also made by {_who(other)} on cluster {o.cluster}"))
    return out


def _who(o: Owned) -> str:
    return f"support release {o.owner}" if "/" in o.owner else f"hub {o.owner}"


def causes(status: Any) -> list[tuple[str, str]]:
    """A rejection (a Kubernetes Status, or whatever the server said) as (field, message) pairs:
    one per cause with its field, else the Status's own message; each pair once."""
    if not isinstance(status, dict):
        return [("", " ".join(str(status).split())[:300] or "rejected without a message")]
    found = []
    for c in (status.get("details") or {}).get("causes") or []:
        if isinstance(c, dict) and (c.get("field") or c.get("message")):
            found.append((str(c.get("field") or ""), str(c.get("message") or c.get("reason") or "")))
    if not found:
        found = [_field_of(_strip_prefix(str(status.get("message") or status.get("reason") or "rejected")))]
    return list(dict.fromkeys(found))


# What server-side apply puts before the reason: `failed to create typed patch object (/x;
# cert-manager.io/v1, Kind=ClusterIssuer): ` and `failed to convert new object (...) to proper
# version: unable to convert unstructured object to apps/v1, Kind=Deployment: `.
_APPLY_PREFIX = re.compile(
    r"^failed to (?:create typed patch object \([^)]*\)"
    r"|convert new object \([^)]*\) to proper version: unable to convert unstructured object to [^:]*): "
)
_FIELD_FIRST = re.compile(r"^(\.?[A-Za-z][\w.\[\]-]*): (.+)$")  # `.spec.acme.retries: field not declared`


def _strip_prefix(message: str) -> str:
    # `Deployment.apps "x" is invalid: spec...: ...` names the object the line already names.
    head, sep, rest = message.partition(" is invalid: ")
    message = rest if sep and '"' in head else message
    return _APPLY_PREFIX.sub("", message)


def _field_of(message: str) -> tuple[str, str]:
    m = _FIELD_FIRST.match(message)
    return (m.group(1).lstrip("."), m.group(2)) if m else ("", message)
